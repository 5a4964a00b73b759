#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod code;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod driver;
pub mod error;
#[cfg(any(fuzzing, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod host;
pub mod mask;
pub mod ops;
pub mod password;
pub mod protocol;
pub mod store;
pub mod time;
pub mod triggers;
pub mod types;
pub mod user;
pub mod validate;
#[cfg(feature = "wire")]
pub mod wire;

pub use code::{Code, CodeKeys, CodeTag, Seed};
pub use config::{
    AliasAttribute, AppClient, DeliveryMedium, OperationName, PolicyPreset,
    PreventUserExistenceErrors, SignUpPolicy, UserPool, VerifiableAttribute,
};
pub use driver::Driver;
pub use error::{Error, Exception, HostError};
pub use host::{
    ClientContext, Clock, Delivery, Directory, HiddenResendLimiter, LambdaInvoker, ManualClock,
    MemoryHiddenResendLimiter, MemoryRateLimiter, Message, NoDelivery, NoLambda, OsRandomness,
    PoolContext, Randomness, RateLimiter, RecordingDelivery, RecordingLambda, RequestGuard,
    SeededRandomness, StaticDirectory, SystemClock,
};
pub use password::{HashPermit, PasswordHasher, PasswordHashing};
pub use protocol::{Need, Operation, Step};
pub use store::{MemoryStore, UserStore};
pub use time::Timestamp;
pub use types::*;
pub use user::{UserRecord, UserStatus};

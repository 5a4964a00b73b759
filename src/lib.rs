#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod code;
pub mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod decoy;
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
pub mod reference;
pub mod seed;
pub mod store;
pub mod time;
pub mod triggers;
pub mod types;
pub mod user;
pub mod validate;
#[cfg(feature = "wire")]
pub mod wire;

pub use code::{Code, CodeKeys, CodeTag};
pub use config::{
    AliasAttribute, AppClient, DeliveryMedium, OperationName, PolicyPreset,
    PreventUserExistenceErrors, SignUpPolicy, UserPool, VerifiableAttribute,
};
pub use driver::Driver;
pub use error::{Error, Exception, HostError};
pub use host::{
    Clock, Delivery, Directory, HiddenResendLimiter, LambdaInvoker, Randomness, RateLimiter,
    RequestGuard, UserStore,
};
pub use password::{HashPermit, PasswordHasher, PasswordHashing};
pub use protocol::{
    ClientContext, Commit, CommitOutcome, IndexKey, Message, Need, Operation, PoolContext, Step,
    Versioned,
};
pub use reference::{
    ManualClock, MemoryHiddenResendLimiter, MemoryRateLimiter, MemoryStore, NoDelivery, NoLambda,
    OsRandomness, RecordingDelivery, RecordingLambda, SeededRandomness, StaticDirectory,
    SystemClock,
};
pub use seed::Seed;
pub use time::Timestamp;
pub use types::*;
pub use user::{UserRecord, UserStatus};

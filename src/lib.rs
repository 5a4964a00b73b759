#![doc = include_str!("../README.md")]
//! ## Layout
//!
//! * [`protocol`]: the protocol between the core and its host, and nothing else: the
//!   [`Operation`] trait, [`Step`], [`Need`] and its typed continuations, the requests the core
//!   makes ([`GuardRequest`](protocol::GuardRequest), [`Message`],
//!   [`LambdaInvocation`](protocol::LambdaInvocation), …) and the store's [`Commit`] types.
//! * [`ops`]: the operations ([`SignUp`](ops::SignUp), [`ConfirmSignUp`](ops::ConfirmSignUp),
//!   …), each a sans-IO state machine.
//! * [`host`]: the traits a host implements, and only those.
//! * [`reference`](mod@reference): the implementations shipped with the traits (in-memory store, manual clock,
//!   static directory, in-memory limits, no-op and recording Lambda and delivery).
//! * [`driver`]: the synchronous loop over the traits; [`wire`] (feature `wire`): AWS JSON 1.1.
//! * [`manage`]: pool and app client management (CreateUserPool, …, ListUserPoolClients) over
//!   the host's [`PoolCatalog`]; [`CatalogDirectory`] serves the catalog's pools to the rest.
//! * [`store`]: what a store implementation needs, in one place (re-exports, and
//!   [`store::plan`]); [`decoy`]: the record that stands for a missing user.
//!
//! The crate root exports what a host calls and implements: the [`Driver`], the requests and
//! responses, [`Error`], the host traits, the protocol's [`Operation`], [`Step`], [`Need`] and
//! the store's [`Commit`], [`CommitOutcome`], [`IndexKey`] and [`Versioned`], the configuration,
//! and the reference implementations (also under [`reference`](mod@reference)), so that a quick start needs one
//! `use`. The request types of the other needs and the continuations are under [`protocol`]
//! (and [`ops`] for the continuations).
#![forbid(unsafe_code)]

pub mod code;
pub mod config;
pub mod decoy;
pub mod driver;
pub mod error;
pub mod host;
pub mod manage;
pub mod mask;
pub mod ops;
pub mod password;
pub mod protocol;
pub mod reference;
pub mod seed;
mod shared;
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
    Clock, Delivery, Directory, HiddenResendLimiter, LambdaInvoker, PoolCatalog, Randomness,
    RateLimiter, RequestGuard, UserStore,
};
pub use password::{HashPermit, PasswordHasher, PasswordHashing};
pub use protocol::{
    ClientContext, Commit, CommitOutcome, IndexKey, Message, Need, Operation, PoolContext, Step,
    Versioned,
};
pub use reference::{
    CatalogDirectory, ManualClock, MemoryHiddenResendLimiter, MemoryRateLimiter, MemoryStore,
    NoDelivery, NoLambda, OsRandomness, RecordingDelivery, RecordingLambda, SeededRandomness,
    StaticDirectory, SystemClock,
};
pub use seed::Seed;
pub use time::Timestamp;
pub use types::*;
pub use user::{UserRecord, UserStatus};

//! The reference implementations of the host traits, shipped with them: an in-memory store, a
//! manual clock, seeded randomness, a static directory, in-memory rate limits, and no-op and
//! recording Lambda and delivery. Good for tests, simulations and small hosts; the crate root
//! re-exports them, so that a quick start needs one `use`.

mod catalog_directory;
mod clock;
mod delivery;
mod directory;
mod lambda;
mod limits;
mod memory_catalog;
mod memory_store;
mod mix;
mod randomness;

pub use catalog_directory::{CatalogDirectory, CodeKeysFn};
pub use clock::{ManualClock, SystemClock};
pub use delivery::{DeliverySwitchedOff, NoDelivery, RecordingDelivery};
pub use directory::{StaticDirectory, UnknownPool};
pub use lambda::{NoLambda, RecordingLambda};
pub use limits::{
    AllowAll, MemoryHiddenResendLimiter, MemoryRateLimiter, ResendSketch, TokenBucket, Unlimited,
};
pub use memory_store::{MemoryStore, PoisonedStore};
pub use randomness::{OsRandomness, SeededRandomness};

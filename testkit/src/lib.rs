//! Test support for [`cognito_signup`], kept out of the library: a dev-dependency.
//!
//! * [`conformance`]: the conformance kit every [`UserStore`](cognito_signup::UserStore)
//!   implementation should pass, and [`FaultyStore`](conformance::FaultyStore), a wrapper that
//!   fails a chosen call, for hosts that check their own handling of store failures.
//! * [`catalog`]: the conformance kit of [`PoolCatalog`](cognito_signup::PoolCatalog) (pools,
//!   clients, and what deleting a pool does to its users), for a store that implements it with
//!   [`UserStore`](cognito_signup::UserStore).
//! * [`invariants`]: what must hold in a pool's stored state after any mix of operations.
//! * [`host`]: a configurable test host (a driver over the test's store, a manual clock,
//!   recording Lambda and delivery, no rate limit, fast hashing).
//! * [`fuzzing`]: the fuzz target bodies (`fuzz/` calls them); not a stable API.
//!
//! A store crate adds it under `[dev-dependencies]` and runs the kits from a test:
//!
//! ```toml
//! [dev-dependencies]
//! cognito-signup-testkit = "0.2"
//! ```
#![forbid(unsafe_code)]

pub mod catalog;
pub mod conformance;
pub mod fuzzing;
pub mod host;
pub mod invariants;

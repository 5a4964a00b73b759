//! The public API's behaviour, operation by operation: every exception path, every rule of
//! `docs/behaviour.md`, the trigger events ([trigger-event]) and the state afterwards (read with
//! AdminGetUser). One test binary; modules by `#[path]`.

// Test code: a failed expectation is a panic.
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "api/harness.rs"]
mod harness;

#[path = "api/admin.rs"]
mod admin;
#[path = "api/config.rs"]
mod config;
#[path = "api/confirm.rs"]
mod confirm;
#[path = "api/interleave.rs"]
mod interleave;
#[path = "api/order.rs"]
mod order;
#[path = "api/pools.rs"]
mod pools;
#[path = "api/redaction.rs"]
mod redaction;
#[path = "api/resend.rs"]
mod resend;
#[path = "api/sign_up.rs"]
mod sign_up;
#[path = "api/surface.rs"]
mod surface;
#[path = "api/users.rs"]
mod users;

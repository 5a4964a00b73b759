//! Machine-checked claims: the model-based test, interleavings, faults, the store conformance
//! kit and statistical checks, in one test binary.
//!
//! `COGNITO_SIGNUP_PROPTEST_SCALE=N` multiplies case counts and sequence lengths by `N` (default
//! 1) for long runs.

// Test code: a failed expectation is a panic, and counters in tests cannot overflow.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod existence;
mod hidden;
mod interleave;
mod machine;
mod model;
mod stats;
mod sut;

mod catalog_kit;
mod conformance;
mod faults;
mod fuzz_bodies;

/// The scale factor from `COGNITO_SIGNUP_PROPTEST_SCALE` (at least 1).
pub(crate) fn scale() -> u32 {
    std::env::var("COGNITO_SIGNUP_PROPTEST_SCALE")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// A case count, scaled.
pub(crate) fn scaled(cases: u32) -> u32 {
    cases.saturating_mul(scale())
}

/// A sequence length, scaled.
pub(crate) fn scaled_len(len: usize) -> usize {
    len.saturating_mul(usize::try_from(scale()).unwrap_or(1))
}

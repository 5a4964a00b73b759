//! Machine-checked claims: model-based tests, interleavings, faults, the store conformance kit.

#[cfg(feature = "conformance")]
mod conformance;

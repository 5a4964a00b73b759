//! Randomness: the operating system's, and a seeded stream for reproducible tests.

use crate::error::HostError;
use crate::host::Randomness;
use std::sync::atomic::{AtomicU64, Ordering};

/// The operating system's randomness (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandomness;

impl Randomness for OsRandomness {
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError> {
        getrandom::fill(dest).map_err(|e| -> HostError { e.to_string().into() })
    }
}

/// Reproducible randomness: seed `n` is derived from a base seed and `n`, so successive seeds
/// differ (for tests and fuzzing; **not** for production).
///
/// ```
/// use cognito_signup::{Seed, SeededRandomness};
/// let randomness = SeededRandomness::new([1; 32]);
/// let (first, second) = (Seed::generate(&randomness)?, Seed::generate(&randomness)?);
/// assert_ne!(first, second);
/// # Ok::<(), cognito_signup::Error>(())
/// ```
#[derive(Debug)]
pub struct SeededRandomness {
    base: [u8; 32],
    counter: AtomicU64,
}

impl SeededRandomness {
    /// A source whose seeds derive from `base`.
    #[must_use]
    pub fn new(base: [u8; 32]) -> Self {
        Self {
            base,
            counter: AtomicU64::new(0),
        }
    }
}

impl Randomness for SeededRandomness {
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError> {
        use sha2::Digest as _;
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let mut h = sha2::Sha256::new();
        h.update(self.base);
        h.update(n.to_be_bytes());
        *dest = h.finalize().into();
        Ok(())
    }
}

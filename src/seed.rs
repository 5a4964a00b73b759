//! The seed of an operation and the deterministic randomness expanded from it: the `sub`, the
//! password salt and the code all derive from one [`Seed`] drawn from the host's [`Randomness`].

use crate::code::{CODE_DIGITS, Code};
use crate::error::Error;
use crate::host::Randomness;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng};
use std::fmt;

/// 32 bytes of randomness handed to one operation; everything random in it derives from these.
///
/// A seed is made only by [`Seed::generate`] from a [`Randomness`] (or by
/// [`Driver::seed`](crate::Driver::seed)), and an operation takes it by value: it is neither
/// `Clone` nor `Copy`, so one seed cannot serve two operations. Two SignUps with the same seed
/// would draw the same `sub`; the second answers InternalErrorException "The generated sub is
/// already taken: an operation's seed was reused, or the host's randomness repeats." For
/// reproducible tests, draw seeds from a [`SeededRandomness`](crate::SeededRandomness), whose
/// successive seeds differ.
///
/// ```
/// use cognito_signup::{OsRandomness, Seed};
/// let seed = Seed::generate(&OsRandomness)?;
/// # let _ = seed;
/// # Ok::<(), cognito_signup::Error>(())
/// ```
///
/// A seed cannot be written by hand, nor used twice:
///
/// ```compile_fail
/// let seed = cognito_signup::Seed([3; 32]);
/// ```
///
/// ```compile_fail
/// # use cognito_signup::{OsRandomness, Seed};
/// let seed = Seed::generate(&OsRandomness)?;
/// let again = seed.clone();
/// # Ok::<(), cognito_signup::Error>(())
/// ```
#[derive(PartialEq, Eq)]
pub struct Seed([u8; 32]);

impl Seed {
    /// Draws a fresh seed from `randomness`.
    ///
    /// # Errors
    /// InternalErrorException, with the host's failure as its source, when `randomness` fails.
    pub fn generate(randomness: &dyn Randomness) -> Result<Self, Error> {
        let mut bytes = [0u8; 32];
        randomness.fill(&mut bytes).map_err(Error::internal)?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// A deterministic stream of randomness expanded from a [`Seed`] (ChaCha20).
#[derive(Debug)]
pub(crate) struct Entropy(ChaCha20Rng);

impl Entropy {
    pub(crate) fn new(seed: Seed) -> Self {
        Self(ChaCha20Rng::from_seed(seed.0))
    }

    pub(crate) fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.0.fill_bytes(&mut out);
        out
    }

    /// A uniform integer in `0..bound` by rejection sampling (no modulo bias).
    pub(crate) fn below(&mut self, bound: u32) -> u32 {
        if bound == 0 {
            return 0;
        }
        // The largest multiple of `bound` that fits in u32 arithmetic; draws at or above it are
        // rejected so that every residue is equally likely.
        let zone = u32::MAX.saturating_sub(u32::MAX.checked_rem(bound).unwrap_or(0));
        loop {
            let x = self.0.next_u32();
            if x < zone {
                return x.checked_rem(bound).unwrap_or(0);
            }
        }
    }

    /// A new confirmation code: six independent uniform digits.
    pub(crate) fn code(&mut self) -> Code {
        let mut digits = [b'0'; CODE_DIGITS];
        for d in &mut digits {
            // `below(10)` < 10, so the addition stays within ASCII digits.
            let v = u8::try_from(self.below(10)).unwrap_or(0);
            *d = b'0'.saturating_add(v);
        }
        Code::from_digits(digits)
    }

    /// A version-4 UUID for `sub`.
    pub(crate) fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.bytes::<16>())
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

/// Generates a code from a seed, exactly as SignUp and ResendConfirmationCode do. Public for the
/// statistical tests and tools; a host never needs it.
#[must_use]
pub fn generate_code(seed: Seed) -> Code {
    Entropy::new(seed).code()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::CodeKeys;

    #[test]
    fn codes_are_six_digits_and_debug_redacts() {
        let mut e = Entropy::new(Seed([3; 32]));
        for _ in 0..1000 {
            let c = e.code();
            assert_eq!(c.as_str().len(), 6);
            assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(format!("{c:?}"), "Code(<redacted>)");
        }
        let tag =
            CodeKeys::new(&[[1u8; 32]])
                .unwrap()
                .tag("p", "u", &Code::parse("111111").unwrap());
        assert_eq!(format!("{tag:?}"), "CodeTag(<redacted>)");
    }

    #[test]
    fn below_is_in_range() {
        let mut e = Entropy::new(Seed([9; 32]));
        for bound in [1, 2, 3, 10, 1000, u32::MAX] {
            for _ in 0..100 {
                assert!(e.below(bound) < bound);
            }
        }
        assert_eq!(e.below(0), 0);
    }
}

//! Password policy and password hashing (argon2id, PHC strings).

use crate::config::PasswordPolicy;
use crate::error::{Error, Exception};
use crate::user::PasswordHash;
use argon2::password_hash::PasswordHasher as _;

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

/// Checks a password against the pool's policy, in the order of the policy's members.
///
/// # Errors
/// InvalidPasswordException with Cognito's message for the first rule broken.
pub fn check_policy(policy: &PasswordPolicy, password: &str) -> Result<(), Error> {
    let fail = |what: &str| {
        Err(Error::new(
            Exception::InvalidPassword,
            format!("Password did not conform with policy: {what}"),
        ))
    };
    let len = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
    if len < policy.minimum_length {
        return fail("Password not long enough");
    }
    if policy.require_uppercase && !password.chars().any(char::is_uppercase) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_lowercase && !password.chars().any(char::is_lowercase) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

/// Argon2id parameters for password hashing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashing {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    /// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashing {
    /// The cheapest parameters argon2 accepts: for tests only.
    #[must_use]
    pub const fn insecure_fast_for_tests() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Hashes a password with a 16-byte salt into a PHC string.
    ///
    /// # Errors
    /// InternalErrorException if the parameters are out of argon2's range.
    pub fn hash(&self, password: &str, salt: [u8; 16]) -> Result<PasswordHash, Error> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::internal(e.to_string().into()))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let hash = argon
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map_err(|e| Error::internal(e.to_string().into()))?;
        Ok(PasswordHash::from_phc(hash.to_string()))
    }
}

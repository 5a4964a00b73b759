//! Confirmation codes and SecretHash: generation, tags at rest, constant-time verification.
//!
//! * A code is 6 decimal digits drawn uniformly (rejection sampling, no modulo bias) from a
//!   ChaCha20 stream seeded by the host's randomness.
//! * A code is never stored. The store keeps a [`CodeTag`]: HMAC-SHA256 keyed with a pool secret
//!   over the pool id, the user's immutable username and the code, length-prefixed so that no two
//!   inputs share an encoding ([code-storage]). [`CodeKeys`] holds several keys for rotation:
//!   the newest tags new codes, all are tried when verifying.
//! * Tags and SecretHashes are compared in constant time, as fixed-length byte arrays.
//! * A successful check yields a `CodeVerified` proof that only this module can create; the
//!   commit that confirms a user requires it.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Number of digits in a confirmation code.
pub const CODE_DIGITS: usize = 6;

/// A freshly drawn confirmation code. It exists only on its way to delivery; `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct Code([u8; CODE_DIGITS]);

impl Code {
    /// The code as text, e.g. `"042917"`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Always ASCII digits, so always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// Parses six ASCII digits (for tests and tools that read a code back from an outbox).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; CODE_DIGITS] = text.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(Self(bytes))
    }
}

impl Code {
    /// A code from six ASCII digits the caller drew.
    pub(crate) fn from_digits(digits: [u8; CODE_DIGITS]) -> Self {
        Self(digits)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(<redacted>)")
    }
}

/// The stored form of a code: an HMAC-SHA256 tag ([code-storage]). `PartialEq` is constant-time and
/// `Debug` redacts it.
#[derive(Clone, Copy, Serialize, Deserialize)]
pub struct CodeTag(#[serde(with = "tag_b64")] [u8; 32]);

mod tag_b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub(super) fn serialize<S: Serializer>(t: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(t))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("a code tag is 32 bytes"))
    }
}

impl CodeTag {
    /// The raw tag bytes (for stores that keep them in a binary column).
    #[must_use]
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// A tag from raw bytes, e.g. read back from a binary column.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl PartialEq for CodeTag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for CodeTag {}

impl fmt::Debug for CodeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeTag(<redacted>)")
    }
}

/// A pool's code-tagging keys, newest first (key rotation, [code-storage]).
///
/// The newest key tags new codes; verification tries every key, in constant time per key.
#[derive(Clone)]
pub struct CodeKeys {
    keys: Vec<HmacSha256>,
}

impl fmt::Debug for CodeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeKeys")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// A key ring needs at least one key of at least 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a code key ring needs at least one key of at least 16 bytes")]
pub struct InvalidCodeKeys;

impl CodeKeys {
    /// A key ring from keys given newest first. Each key must be at least 16 bytes (32 random
    /// bytes recommended).
    ///
    /// # Errors
    /// [`InvalidCodeKeys`] for an empty ring or a short key.
    pub fn new<K: AsRef<[u8]>>(keys_newest_first: &[K]) -> Result<Self, InvalidCodeKeys> {
        if keys_newest_first.is_empty() {
            return Err(InvalidCodeKeys);
        }
        let mut keys = Vec::with_capacity(keys_newest_first.len());
        for k in keys_newest_first {
            let k = k.as_ref();
            if k.len() < 16 {
                return Err(InvalidCodeKeys);
            }
            keys.push(HmacSha256::new_from_slice(k).map_err(|_| InvalidCodeKeys)?);
        }
        Ok(Self { keys })
    }

    fn tag_with(key: &HmacSha256, pool_id: &str, username: &str, code: &[u8]) -> [u8; 32] {
        let mut mac = key.clone();
        for part in [pool_id.as_bytes(), username.as_bytes(), code] {
            // Lengths are bounded by the shape limits (far below 4 GiB); saturate regardless.
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            mac.update(&len.to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The tag of a new code, with the newest key.
    #[must_use]
    pub fn tag(&self, pool_id: &str, username: &str, code: &Code) -> CodeTag {
        match self.keys.first() {
            Some(key) => CodeTag(Self::tag_with(key, pool_id, username, &code.0)),
            // Unreachable by construction (`new` refuses an empty ring).
            None => CodeTag([0; 32]),
        }
    }

    /// Checks a submitted code against a stored tag with every key. The work done is the same
    /// whatever the input and whichever key matches: one HMAC and one constant-time comparison
    /// per key.
    pub(crate) fn verify(
        &self,
        pool_id: &str,
        username: &str,
        submitted: &str,
        stored: &CodeTag,
    ) -> Option<CodeVerified> {
        let mut ok = subtle::Choice::from(0);
        for key in &self.keys {
            let candidate = Self::tag_with(key, pool_id, username, submitted.as_bytes());
            ok |= candidate.ct_eq(&stored.0);
        }
        bool::from(ok).then_some(CodeVerified { _private: () })
    }

    /// A keyed digest of a name for one `purpose` (the fake destination and the resend-limit
    /// cells of a name that must look present under ENABLED). Keyed with the ring's oldest key,
    /// which stays while newer keys are added, so the digest of a name changes only when that
    /// key is retired. The purpose is bound like a code is bound in a tag, and no purpose is a
    /// six-digit code, so a digest is never a code's tag.
    pub(crate) fn name_digest(&self, purpose: &str, pool_id: &str, name: &str) -> [u8; 32] {
        match self.keys.last() {
            Some(key) => Self::tag_with(key, pool_id, name, purpose.as_bytes()),
            // Unreachable by construction (`new` refuses an empty ring).
            None => [0; 32],
        }
    }
}

/// Proof that a submitted code matched the user's live tag. Only [`CodeKeys`] creates it; the
/// confirmation commit consumes it, so a confirmation without a check does not compile.
#[derive(Debug)]
#[must_use]
pub(crate) struct CodeVerified {
    _private: (),
}

/// Verifies a `SecretHash`: `Base64(HMAC-SHA256(client secret, username ‖ client id))` over the
/// username exactly as sent ([secret-hash]). The submitted value is decoded to 32 bytes and
/// compared in constant time; anything that does not decode to 32 bytes is a mismatch.
#[must_use]
pub fn verify_secret_hash(
    client_secret: &str,
    username: &str,
    client_id: &str,
    submitted: &str,
) -> bool {
    let Ok(key) = HmacSha256::new_from_slice(client_secret.as_bytes()) else {
        return false;
    };
    verify_secret_hash_with(&key, username, client_id, submitted)
}

/// [`verify_secret_hash`] with the secret's key schedule already set up.
fn verify_secret_hash_with(
    key: &HmacSha256,
    username: &str,
    client_id: &str,
    submitted: &str,
) -> bool {
    let mut mac = key.clone();
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    let mut decoded = [0u8; 33];
    let engine = &base64::engine::general_purpose::STANDARD;
    match engine.decode_slice(submitted.as_bytes(), &mut decoded) {
        Ok(32) => mac.verify_slice(&decoded[..32]).is_ok(),
        _ => false,
    }
}

/// A client secret's HMAC-SHA256 key schedule, set up on first use (two SHA-256 blocks a
/// request saved). It remembers the secret it was made from and is used only while the client's
/// secret is still that one, so a changed secret can never be checked with a stale key.
#[derive(Clone, Default)]
pub(crate) struct SecretHashKey(std::sync::OnceLock<Option<(Box<str>, HmacSha256)>>);

impl SecretHashKey {
    /// [`verify_secret_hash`] for `client_secret`, through the cached key when it matches.
    pub(crate) fn verify(
        &self,
        client_secret: &str,
        username: &str,
        client_id: &str,
        submitted: &str,
    ) -> bool {
        let cached = self.0.get_or_init(|| {
            HmacSha256::new_from_slice(client_secret.as_bytes())
                .ok()
                .map(|key| (client_secret.into(), key))
        });
        match cached {
            // Both sides are the server's own configuration: an ordinary comparison leaks
            // nothing a client controls.
            Some((secret, key)) if **secret == *client_secret => {
                verify_secret_hash_with(key, username, client_id, submitted)
            }
            _ => verify_secret_hash(client_secret, username, client_id, submitted),
        }
    }
}

impl fmt::Debug for SecretHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHashKey(<redacted>)")
    }
}

/// Computes a `SecretHash` as a client would (for tests, examples and tools).
#[must_use]
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let Ok(mut mac) = HmacSha256::new_from_slice(client_secret.as_bytes()) else {
        return String::new();
    };
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_hash_round_trips_and_rejects_variants() {
        let h = secret_hash("s3cret", "alice", "client1");
        assert_eq!(h.len(), 44);
        assert!(verify_secret_hash("s3cret", "alice", "client1", &h));
        assert!(!verify_secret_hash("s3cret", "Alice", "client1", &h));
        assert!(!verify_secret_hash("other", "alice", "client1", &h));
        assert!(!verify_secret_hash("s3cret", "alice", "client1", &h[..43]));
        assert!(!verify_secret_hash(
            "s3cret",
            "alice",
            "client1",
            "not base64!"
        ));
        let long = format!("{h}AAAA");
        assert!(!verify_secret_hash("s3cret", "alice", "client1", &long));
    }

    #[test]
    fn the_cached_secret_key_follows_the_secret() {
        let cache = SecretHashKey::default();
        let h = secret_hash("s3cret", "alice", "client1");
        assert!(cache.verify("s3cret", "alice", "client1", &h));
        assert!(cache.verify("s3cret", "alice", "client1", &h));
        assert!(!cache.verify("s3cret", "bob", "client1", &h));
        // The secret changed after the key was cached: the new secret decides.
        assert!(!cache.verify("other", "alice", "client1", &h));
        let h2 = secret_hash("other", "alice", "client1");
        assert!(cache.verify("other", "alice", "client1", &h2));
        assert!(!cache.verify("s3cret", "alice", "client1", &h2));
    }

    #[test]
    fn tags_bind_pool_user_and_code() {
        let keys = CodeKeys::new(&[[7u8; 32]]).unwrap();
        let code = Code::parse("123456").unwrap();
        let tag = keys.tag("pool", "alice", &code);
        assert!(keys.verify("pool", "alice", "123456", &tag).is_some());
        assert!(keys.verify("pool", "bob", "123456", &tag).is_none());
        assert!(keys.verify("pool2", "alice", "123456", &tag).is_none());
        assert!(keys.verify("pool", "alice", "123457", &tag).is_none());
        // Length prefixes keep ("ab","c") and ("a","bc") apart.
        assert_ne!(
            CodeKeys::tag_with(&keys.keys[0], "p", "ab", b"c"),
            CodeKeys::tag_with(&keys.keys[0], "p", "a", b"bc")
        );
    }

    proptest::proptest! {
        /// A submitted text verifies exactly when it is the code tagged, for the same pool and
        /// user, whatever the key and the text.
        #[test]
        fn verification_agrees_with_equality(
            key in proptest::array::uniform32(proptest::prelude::any::<u8>()),
            pool in ".{0,12}",
            user in ".{0,12}",
            code in "[0-9]{6}",
            submitted in proptest::prop_oneof!["[0-9]{6}", ".{0,8}"],
        ) {
            let keys = CodeKeys::new(&[key]).unwrap();
            let tag = keys.tag(&pool, &user, &Code::parse(&code).unwrap());
            proptest::prop_assert_eq!(
                keys.verify(&pool, &user, &submitted, &tag).is_some(),
                submitted == code
            );
            proptest::prop_assert!(keys.verify(&pool, &user, &code, &tag).is_some());
            let other = format!("{user}x");
            proptest::prop_assert!(keys.verify(&pool, &other, &code, &tag).is_none());
        }
    }

    #[test]
    fn rotated_keys_still_verify_old_tags() {
        let old = CodeKeys::new(&[[1u8; 32]]).unwrap();
        let code = Code::parse("000001").unwrap();
        let tag = old.tag("pool", "alice", &code);
        let rotated = CodeKeys::new(&[[2u8; 32], [1u8; 32]]).unwrap();
        assert!(rotated.verify("pool", "alice", "000001", &tag).is_some());
        assert_ne!(rotated.tag("pool", "alice", &code), tag);
        assert!(CodeKeys::new::<[u8; 8]>(&[[0u8; 8]]).is_err());
        assert!(CodeKeys::new::<[u8; 32]>(&[]).is_err());
    }
}

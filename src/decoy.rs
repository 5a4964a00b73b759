//! The decoy: the record that stands for a missing user under
//! `PreventUserExistenceErrors=ENABLED` ([hide-same-work]). Everything about it lives here: its
//! `sub`, its index key, its shape, its code tag, and how to tell it apart.

use crate::code::{CodeKeys, CodeTag};
use crate::config::VerifiableAttribute;
use crate::protocol::IndexKey;
use crate::time::Timestamp;
use crate::user::{PasswordHash, PendingCode, UserRecord, UserStatus};

/// The `sub` of a pool's decoy record: the nil UUID, which the core never draws (it draws
/// version-4 UUIDs).
///
/// Under `PreventUserExistenceErrors=ENABLED` a ConfirmSignUp for a user who does not exist must
/// cost what a wrong code costs a present user ([hide-same-work]), store work included. So every
/// such lookup ends with [`IndexKey::decoy`]: when no user matches, the store answers the decoy,
/// and the core checks the code against it and commits the counted failure to it, exactly as it
/// would for a present user, then answers CodeMismatchException. The first such request in a pool
/// creates the decoy. It is a record like any other to a store (stores need no special case), but
/// no username, alias or `sub` key reaches it, so no other operation ever sees it; listings of a
/// store's raw records include it ([`UserRecord::is_decoy`] tells it apart).
pub const DECOY_SUB: &str = "00000000-0000-0000-0000-000000000000";

/// The text of [`IndexKey::decoy`].
pub(crate) const DECOY_KEY: &str = "d:";

impl IndexKey {
    /// The key of the pool's decoy record (see [`DECOY_SUB`]). Only a ConfirmSignUp from a
    /// client with `PreventUserExistenceErrors=ENABLED` looks it up, as its last key.
    #[must_use]
    pub fn decoy() -> Self {
        Self::of(DECOY_KEY)
    }
}

/// The tag a decoy check compares against: no code is bound to it, and a decoy never confirms
/// whatever the comparison says.
pub(crate) const DECOY_TAG: CodeTag = CodeTag::from_bytes([0x5a; 32]);

/// The same work as [`CodeKeys::verify`] for a user who does not exist ([hide-same-work]): the
/// submitted code checked against [`DECOY_TAG`] with every key, so that the answer's timing does
/// not tell whether the user exists.
pub(crate) fn verify_decoy(keys: &CodeKeys, pool_id: &str, username: &str, submitted: &str) {
    let verified = keys.verify(pool_id, username, submitted, &DECOY_TAG);
    std::hint::black_box(verified.is_some());
}

/// The decoy's password: a PHC string shaped like the default argon2id cost's, whose salt and
/// hash are all zero bytes (no password hashes to it, and nothing signs the decoy in).
const DECOY_PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$\
                              AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A pool's decoy record (see [`DECOY_SUB`](DECOY_SUB)), shaped like the most
/// common unconfirmed user (a username, an email address, a password hash, a live code) so that
/// reading and writing it costs the store what a user's record costs. Its code tag is bound to
/// no code.
pub(crate) fn decoy_record(now: Timestamp) -> UserRecord {
    UserRecord {
        username: "decoy-record".into(),
        sub: DECOY_SUB.into(),
        status: UserStatus::Unconfirmed,
        enabled: true,
        email: Some("decoy@decoy.invalid".into()),
        email_verified: false,
        phone_number: None,
        phone_number_verified: false,
        other_attributes: Vec::new(),
        password: Some(PasswordHash::from_phc(DECOY_PASSWORD.to_owned())),
        created: now,
        last_modified: now,
        code: Some(PendingCode {
            tag: DECOY_TAG,
            issued_at: now,
            attribute: VerifiableAttribute::Email,
            failed_checks: 0,
        }),
        failed_confirmations: Vec::new(),
        resends: Vec::new(),
    }
}

impl UserRecord {
    /// Whether this is a pool's decoy record (see [`DECOY_SUB`]), not a
    /// user.
    #[must_use]
    pub fn is_decoy(&self) -> bool {
        // Without a short cut: telling the decoy apart costs the same for every record
        // ([hide-same-work]). Every byte is compared (the `sub` is no secret, so a fold the
        // optimizer cannot stop early does, without a barrier per byte).
        let (sub, decoy) = (self.sub.as_bytes(), DECOY_SUB.as_bytes());
        let diff = sub.iter().zip(decoy).fold(0u8, |d, (a, b)| d | (a ^ b));
        (std::hint::black_box(diff) == 0) & (sub.len() == decoy.len())
    }
}

#[cfg(test)]
mod tests {
    use super::{DECOY_SUB, decoy_record};
    use crate::time::Timestamp;

    #[test]
    fn only_the_decoy_sub_itself_is_the_decoy() {
        let mut record = decoy_record(Timestamp::from_secs(0));
        assert!(record.is_decoy());
        let mut last_differs = DECOY_SUB.to_owned();
        last_differs.pop();
        last_differs.push('1');
        let longer = format!("{DECOY_SUB}0");
        let prefix = DECOY_SUB.get(..35).unwrap_or_default().to_owned();
        for sub in [last_differs, longer, prefix, String::new()] {
            record.sub = sub.as_str().into();
            assert!(!record.is_decoy(), "{sub:?} is not the decoy");
        }
    }
}

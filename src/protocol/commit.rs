//! What the core asks of a store: index keys, versioned records, and the one atomic commit per
//! operation ([`UserStore::commit`](crate::host::UserStore::commit)) with its outcome.

use crate::config::AliasAttribute;
use crate::user::UserRecord;
use std::fmt;

/// A key of the per-pool index: a username, a `sub`, or an active alias, already folded as the
/// pool's case rule says. Opaque to stores: compare and hash it as a string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexKey(String);

/// `parts` joined, in one allocation of the exact size (no formatting machinery: keys are built
/// on every request).
fn joined(parts: &[&str]) -> String {
    let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    let mut s = String::with_capacity(len);
    for p in parts {
        s.push_str(p);
    }
    s
}

impl IndexKey {
    /// The key of a username, already case-folded when the pool is case-insensitive.
    #[must_use]
    pub fn username(folded: &str) -> Self {
        Self(joined(&["u:", folded]))
    }

    /// The key of a `sub`.
    #[must_use]
    pub fn sub(sub: &str) -> Self {
        Self(joined(&["s:", sub]))
    }

    /// The key of an active alias (or, in username-attribute pools, of the email or phone number
    /// that is the sign-in name), with the value already folded.
    #[must_use]
    pub fn alias(attribute: AliasAttribute, folded_value: &str) -> Self {
        Self(joined(&["a:", attribute.name(), ":", folded_value]))
    }

    /// The key as a string, for stores that keep it in a text column.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key read back from a store's text column.
    #[must_use]
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Alias keys hold addresses: print only the kind.
        let kind = self.0.split(':').next().unwrap_or("");
        let attr = if kind == "a" {
            self.0.split(':').nth(1).unwrap_or("")
        } else {
            ""
        };
        write!(f, "IndexKey({kind}:{attr}…)")
    }
}

/// A value with the version the store holds it at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned<T> {
    /// The version: 1 for a new record, one more for every committed write.
    pub version: u64,
    /// The value.
    pub value: T,
}

/// One record written by a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordWrite {
    /// The version the record must have now; `None` when the record must not exist yet.
    pub expected_version: Option<u64>,
    /// The new value; its key is `record.sub`.
    pub record: UserRecord,
}

/// One index entry written by a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexWrite {
    /// The key.
    pub key: IndexKey,
    /// The `sub` the key must point to now; `None` when the key must be absent.
    pub expected: Option<String>,
    /// The `sub` it points to afterwards; `None` removes the key.
    pub new: Option<String>,
}

/// Everything one operation changes, applied atomically by [`UserStore::commit`](crate::host::UserStore::commit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Records written (one, or two when an alias moves from its previous holder).
    pub records: Vec<RecordWrite>,
    /// Index entries written.
    pub index: Vec<IndexWrite>,
}

/// What [`UserStore::commit`](crate::host::UserStore::commit) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CommitOutcome {
    /// Every precondition held and everything was applied.
    Committed,
    /// A precondition failed (a version or an index entry changed); nothing was applied.
    Conflict,
}

//! What the core asks of a store: index keys, versioned records, and the one atomic commit per
//! operation ([`UserStore::commit`](crate::host::UserStore::commit)) with its outcome.

use crate::config::AliasAttribute;
use crate::user::UserRecord;
use std::fmt;

/// A key of the per-pool index: a username, a `sub`, or an active alias, already folded as the
/// pool's case rule says. Opaque to stores: compare and hash it as a string.
///
/// A key of up to 38 bytes (every username and `sub` key of a typical pool) is kept
/// inside the value: making one allocates nothing.
#[derive(Clone)]
pub struct IndexKey(Text);

/// Keys up to this many bytes are kept inline in an [`IndexKey`].
const INLINE_KEY: usize = 38;

/// An index key's text: inline when short, boxed otherwise. Always UTF-8: it is only ever made
/// from `str` parts.
#[derive(Clone)]
enum Text {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Boxed(Box<str>),
}

/// `parts` joined: inline when they fit, else in one allocation of the exact size (no
/// formatting machinery: keys are built on every request).
fn joined(parts: &[&str]) -> Text {
    let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    match u8::try_from(len) {
        Ok(short) if len <= INLINE_KEY => {
            let mut bytes = [0u8; INLINE_KEY];
            let mut at = 0usize;
            for p in parts {
                let end = at.saturating_add(p.len());
                if let Some(dst) = bytes.get_mut(at..end) {
                    dst.copy_from_slice(p.as_bytes());
                }
                at = end;
            }
            Text::Inline { len: short, bytes }
        }
        _ => {
            let mut s = String::with_capacity(len);
            for p in parts {
                s.push_str(p);
            }
            Text::Boxed(s.into_boxed_str())
        }
    }
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
        match &self.0 {
            Text::Inline { len, bytes } => {
                std::str::from_utf8(bytes.get(..usize::from(*len)).unwrap_or_default())
                    .unwrap_or_default()
            }
            Text::Boxed(s) => s,
        }
    }

    /// The key's bytes (its UTF-8 text): what a store hashes and compares.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Text::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Text::Boxed(s) => s.as_bytes(),
        }
    }

    /// A key of this text, copied.
    pub(crate) fn of(text: &str) -> Self {
        Self(joined(&[text]))
    }

    /// A key read back from a store's text column.
    #[must_use]
    pub fn from_stored(text: String) -> Self {
        if text.len() <= INLINE_KEY {
            Self(joined(&[&text]))
        } else {
            Self(Text::Boxed(text.into_boxed_str()))
        }
    }
}

impl IndexKey {
    /// The empty key, a placeholder in a [`KeyList`]'s free slots.
    const EMPTY: IndexKey = IndexKey(Text::Inline {
        len: 0,
        bytes: [0; INLINE_KEY],
    });
}

/// How many keys a [`KeyList`] holds without allocating: a username and a `sub`, and the decoy
/// under `PreventUserExistenceErrors=ENABLED`.
const INLINE_KEYS: usize = 3;

/// The keys of one lookup, in order: up to three inline, more in a vector.
#[derive(Clone)]
pub enum KeyList {
    Inline {
        len: u8,
        keys: [IndexKey; INLINE_KEYS],
    },
    Spilled(Vec<IndexKey>),
}

impl KeyList {
    /// No key yet.
    pub(crate) const fn new() -> Self {
        Self::Inline {
            len: 0,
            keys: [IndexKey::EMPTY; INLINE_KEYS],
        }
    }

    /// One key.
    pub(crate) fn one(key: IndexKey) -> Self {
        let mut list = Self::new();
        list.push(key);
        list
    }

    /// Appends `key`.
    pub(crate) fn push(&mut self, key: IndexKey) {
        match self {
            Self::Inline { len, keys } => {
                if let Some(slot) = keys.get_mut(usize::from(*len)) {
                    *slot = key;
                    *len = len.saturating_add(1);
                } else {
                    let mut spilled = Vec::with_capacity(INLINE_KEYS.saturating_mul(2));
                    spilled.extend(
                        keys.iter_mut()
                            .map(|k| std::mem::replace(k, IndexKey::EMPTY)),
                    );
                    spilled.push(key);
                    *self = Self::Spilled(spilled);
                }
            }
            Self::Spilled(keys) => keys.push(key),
        }
    }

    /// The keys, in order.
    pub(crate) fn as_slice(&self) -> &[IndexKey] {
        match self {
            Self::Inline { len, keys } => keys.get(..usize::from(*len)).unwrap_or_default(),
            Self::Spilled(keys) => keys,
        }
    }
}

impl From<Vec<IndexKey>> for KeyList {
    fn from(keys: Vec<IndexKey>) -> Self {
        Self::Spilled(keys)
    }
}

impl fmt::Debug for KeyList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl PartialEq for IndexKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for IndexKey {}

impl std::hash::Hash for IndexKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for IndexKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndexKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // UTF-8 orders as its code points do: the bytes order as the text does.
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Alias keys hold addresses: print only the kind.
        let text = self.as_str();
        let kind = text.split(':').next().unwrap_or("");
        let attr = if kind == "a" {
            text.split(':').nth(1).unwrap_or("")
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

/// One record removed by a commit (AdminDeleteUser).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRemoval {
    /// The `sub` of the record.
    pub sub: String,
    /// The version the record must have now.
    pub expected_version: u64,
}

/// Everything one operation changes, applied atomically by [`UserStore::commit`](crate::host::UserStore::commit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Records written (one, or two when an alias moves from its previous holder).
    pub records: Vec<RecordWrite>,
    /// Records removed, each with its expected version; a removal whose record is missing or at
    /// another version fails the commit like any other precondition.
    pub removals: Vec<RecordRemoval>,
    /// Index entries written.
    pub index: Vec<IndexWrite>,
}

/// What a [`PoolCatalog`](crate::host::PoolCatalog) write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CatalogOutcome {
    /// The write was applied.
    Done,
    /// An insert found its id taken; nothing was applied.
    Conflict,
    /// The pool or client to replace or delete (or, for a client insert, its pool) is absent;
    /// nothing was applied.
    NotFound,
}

/// What [`PoolCatalog::pool_version`](crate::host::PoolCatalog::pool_version) and
/// [`PoolCatalog::client_version`](crate::host::PoolCatalog::client_version) answer: how a
/// reader that keeps an entry tells, without reading it again, whether it is still current
/// ([pool-directory]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogVersion<T> {
    /// The catalog keeps no versions: a reader reads the entry itself every time. What the
    /// trait's default methods answer.
    Unversioned,
    /// No such entry (for a client: no such client, or its pool is gone).
    Absent,
    /// The entry is present, at this version.
    At(T),
}

/// The version of a client and that of its pool, read together
/// ([`PoolCatalog::client_version`](crate::host::PoolCatalog::client_version)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientVersion {
    /// The client's version.
    pub client: u64,
    /// Its pool's version.
    pub pool: u64,
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

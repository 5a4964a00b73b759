//! The store: what a host implements to keep users, asked for atomic intents rather than CRUD.
//!
//! A store holds, per pool, user records keyed by `sub`, each with a version, and an index from
//! [`IndexKey`]s (username, `sub`, active aliases) to the `sub` of their holder. The core reads
//! with [`UserStore::find`] and writes everything one operation changes with one
//! [`UserStore::commit`]: a multi-record compare-and-swap that applies all of it or none of it.
//! The core computes every index key (case folding included), so a store never interprets them.

use crate::config::AliasAttribute;
use crate::error::HostError;
use crate::user::UserRecord;
use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

/// A key of the per-pool index: a username, a `sub`, or an active alias, already folded as the
/// pool's case rule says. Opaque to stores: compare and hash it as a string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexKey(String);

impl IndexKey {
    /// The key of a username, already case-folded when the pool is case-insensitive.
    #[must_use]
    pub fn username(folded: &str) -> Self {
        Self(format!("u:{folded}"))
    }

    /// The key of a `sub`.
    #[must_use]
    pub fn sub(sub: &str) -> Self {
        Self(format!("s:{sub}"))
    }

    /// The key of an active alias (or, in username-attribute pools, of the email or phone number
    /// that is the sign-in name), with the value already folded.
    #[must_use]
    pub fn alias(attribute: AliasAttribute, folded_value: &str) -> Self {
        Self(format!("a:{}:{folded_value}", attribute.name()))
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

/// Everything one operation changes, applied atomically by [`UserStore::commit`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Records written (one, or two when an alias moves from its previous holder).
    pub records: Vec<RecordWrite>,
    /// Index entries written.
    pub index: Vec<IndexWrite>,
}

/// What [`UserStore::commit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum CommitOutcome {
    /// Every precondition held and everything was applied.
    Committed,
    /// A precondition failed (a version or an index entry changed); nothing was applied.
    Conflict,
}

/// The storage a host implements.
///
/// # Contract
/// * [`find`](Self::find) returns the record of the first key, in the order given, that the index
///   holds, together with the record's current version, as one consistent read.
/// * [`commit`](Self::commit) checks every `expected_version` and every index `expected` and, if
///   all hold, applies every record and index write as one atomic unit, incrementing each written
///   record's version by one (a new record gets version 1). If any does not hold it applies
///   nothing and answers [`CommitOutcome::Conflict`]. After `Committed`, every later `find` sees
///   the writes (read-your-writes).
/// * A commit with no writes is valid and answers `Committed`: the core sends one for a user it
///   must not reveal (P-4), so that the host's work looks the same as for a counted failure.
///
/// # Safe failure directions
/// A spurious `Conflict` is safe: the operation re-reads and decides again, a bounded number of
/// times. An `Err` is safe: the operation answers InternalErrorException, and the store must then
/// have applied all or nothing. A lost update (applying a write whose precondition no longer
/// holds) is **not** safe: it can let a code confirm twice or two users hold one alias.
pub trait UserStore: Send + Sync {
    /// Finds the user held by the first present key.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError>;

    /// Applies a commit atomically, or nothing if a precondition fails.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError>;
}

impl<S: UserStore + ?Sized> UserStore for &S {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        (**self).find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        (**self).commit(pool_id, commit)
    }
}

impl<S: UserStore + ?Sized> UserStore for std::sync::Arc<S> {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        (**self).find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        (**self).commit(pool_id, commit)
    }
}

#[derive(Default)]
struct PoolData {
    records: HashMap<String, Versioned<UserRecord>>,
    index: HashMap<IndexKey, String>,
}

/// The embedded default store: every pool in memory, behind one reader-writer lock.
///
/// Reads share the lock; a commit takes it exclusively for the time it needs to check and apply,
/// so commits are linearizable.
#[derive(Default)]
pub struct MemoryStore {
    pools: RwLock<HashMap<String, PoolData>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

/// The in-memory store's lock was poisoned by a panic in another thread.
#[derive(Debug, thiserror::Error)]
#[error("the in-memory store's lock is poisoned")]
pub struct PoisonedStore;

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record of a pool with its version, in no particular order (for tests and tools).
    ///
    /// # Errors
    /// [`PoisonedStore`] if another thread panicked while holding the lock.
    pub fn records(&self, pool_id: &str) -> Result<Vec<Versioned<UserRecord>>, PoisonedStore> {
        let pools = self.pools.read().map_err(|_| PoisonedStore)?;
        Ok(pools
            .get(pool_id)
            .map(|p| p.records.values().cloned().collect())
            .unwrap_or_default())
    }

    /// Every index entry of a pool as (key, sub) (for tests and tools).
    ///
    /// # Errors
    /// [`PoisonedStore`] if another thread panicked while holding the lock.
    pub fn index(&self, pool_id: &str) -> Result<Vec<(IndexKey, String)>, PoisonedStore> {
        let pools = self.pools.read().map_err(|_| PoisonedStore)?;
        Ok(pools
            .get(pool_id)
            .map(|p| {
                p.index
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

impl UserStore for MemoryStore {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        let pools = self.pools.read().map_err(|_| PoisonedStore)?;
        let Some(pool) = pools.get(pool_id) else {
            return Ok(None);
        };
        Ok(keys
            .iter()
            .find_map(|k| pool.index.get(k))
            .and_then(|sub| pool.records.get(sub))
            .cloned())
    }

    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        let mut pools = self.pools.write().map_err(|_| PoisonedStore)?;
        let pool = pools.entry(pool_id.to_owned()).or_default();
        for w in &commit.records {
            let current = pool.records.get(&w.record.sub).map(|r| r.version);
            if current != w.expected_version {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for w in &commit.index {
            if pool.index.get(&w.key) != w.expected.as_ref() {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for w in &commit.records {
            let version = w.expected_version.map_or(1, |v| v.saturating_add(1));
            pool.records.insert(
                w.record.sub.clone(),
                Versioned {
                    version,
                    value: w.record.clone(),
                },
            );
        }
        for w in &commit.index {
            match &w.new {
                Some(sub) => pool.index.insert(w.key.clone(), sub.clone()),
                None => pool.index.remove(&w.key),
            };
        }
        Ok(CommitOutcome::Committed)
    }
}

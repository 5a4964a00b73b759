//! The thread-safe in-memory store.

use super::mix::mix;
use crate::config::{AppClient, UserPool};
use crate::decoy::{DECOY_KEY, DECOY_SUB};
use crate::error::HostError;
use crate::host::UserStore;
use crate::protocol::{Commit, CommitOutcome, IndexKey, Versioned};
use crate::time::Timestamp;
use crate::user::{Attribute, PasswordHash, PendingCode, SharedStr, UserRecord, UserStatus};
use hashbrown::HashTable;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher as _, RandomState};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Shards of [`MemoryStore`]. At most 64: the shards one call touches are kept as a bit set.
const SHARDS: usize = 64;
const SHARD_MASK: u64 = 63;

/// A shard's lock on cache lines of its own, so that threads working in different shards never
/// write to a line another shard's lock lives on.
#[repr(align(128))]
#[derive(Default)]
struct PaddedShard(RwLock<Shard>);

/// One shard: for every pool that has keys or records hashing here, its part of them.
#[derive(Default)]
struct Shard {
    pools: HashTable<PoolShard>,
}

/// Where a record lives: its shard and its slot there. Slots are never freed (a removed record
/// leaves its slot empty), so a target stays valid for the life of the store.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Target {
    shard: u32,
    slot: u32,
}

/// A pool's records whose `sub` hashes to this shard, and its index entries whose key does.
struct PoolShard {
    id: Box<str>,
    hash: u64,
    /// Records by slot. A slot without a record is a `sub` an index entry points to that has no
    /// record (yet): `find` answers `None` through it, as for a dangling entry.
    slots: Vec<Slot>,
    /// Slot of each `sub`.
    by_sub: HashTable<u32>,
    /// Index entries by id; `key: None` marks a free id (listed in `free`).
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Entry id of each key.
    index: HashTable<u32>,
}

/// A `sub`'s place in a shard: its text (the `sub`, then the record's username and email, in
/// one allocation) and its record.
struct Slot {
    text: Arc<str>,
    /// The store's hash of the `sub`, kept for the commit that follows a find (see
    /// [`FoundHint`]) and for growing the table.
    sub_hash: u64,
    /// End of the `sub` in `text`; the username runs from there to `username_end`, the email
    /// (when the record has one) from there to the end.
    sub_end: u32,
    username_end: u32,
    record: Option<Stored>,
}

struct Entry {
    key: Option<KeyText>,
    target: Target,
}

/// Keys up to this long (every username and `sub` key of a typical pool) are kept inside the
/// entry: comparing a key then reads no other cache line.
const INLINE_KEY: usize = 38;

/// An index key's text: inline when short, boxed otherwise.
enum KeyText {
    Inline { len: u8, bytes: [u8; INLINE_KEY] },
    Boxed(Box<[u8]>),
}

impl KeyText {
    fn new(key: &str) -> Self {
        let b = key.as_bytes();
        match (u8::try_from(b.len()), b.len() <= INLINE_KEY) {
            (Ok(len), true) => {
                let mut bytes = [0; INLINE_KEY];
                bytes[..b.len()].copy_from_slice(b);
                Self::Inline { len, bytes }
            }
            _ => Self::Boxed(b.into()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Self::Boxed(b) => b,
        }
    }
}

/// A record as the store keeps it, but for its strings (in [`Slot::text`]): what every user
/// has inline, the rest (usually empty) boxed.
struct Stored {
    version: u64,
    has_email: bool,
    status: UserStatus,
    enabled: bool,
    email_verified: bool,
    phone_number_verified: bool,
    created: Timestamp,
    last_modified: Timestamp,
    code: Option<PendingCode>,
    /// `failed_confirmations` then `resends`, in one allocation (none when both are empty):
    /// a failed code check writes one allocation, not a box of every rare member.
    times: Box<[Timestamp]>,
    failed_len: u32,
    rest: Option<Box<Rest>>,
}

/// The members most users leave empty.
#[derive(Default, PartialEq, Eq)]
struct Rest {
    phone_number: Option<String>,
    other_attributes: Vec<Attribute>,
    password: Option<PasswordHash>,
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `parts` one after the other in one shared text: one allocation (and one more, for the
/// text as it is put together, only when it is longer than a typical record's).
fn joined(parts: [&str; 3]) -> Arc<str> {
    const ON_STACK: usize = 256;
    let len = parts.iter().fold(0usize, |n, p| n.saturating_add(p.len()));
    if len > ON_STACK {
        return Arc::from(parts.concat());
    }
    let mut buf = [0u8; ON_STACK];
    let mut end: usize = 0;
    for p in parts {
        let next = end.saturating_add(p.len());
        if let Some(to) = buf.get_mut(end..next) {
            to.copy_from_slice(p.as_bytes());
        }
        end = next;
    }
    // Whole strings one after another: always UTF-8.
    Arc::from(std::str::from_utf8(buf.get(..end).unwrap_or_default()).unwrap_or_default())
}

impl Slot {
    /// A slot for a `sub` without a record.
    fn empty(sub: &str, sub_hash: u64) -> Self {
        Self {
            text: sub.into(),
            sub_hash,
            sub_end: offset(sub.len()),
            username_end: offset(sub.len()),
            record: None,
        }
    }

    fn part(&self, from: u32, to: Option<u32>) -> &str {
        let from = at(from);
        match to {
            Some(to) => self.text.get(from..at(to)),
            None => self.text.get(from..),
        }
        .unwrap_or_default()
    }

    /// The text from `from` to `to` (or the end), sharing the slot's allocation.
    fn share(&self, from: u32, to: Option<u32>) -> SharedStr {
        let end = to.map_or(self.text.len(), at);
        SharedStr::share(&self.text, at(from)..end).unwrap_or_default()
    }

    fn sub(&self) -> &str {
        self.part(0, Some(self.sub_end))
    }

    fn username(&self) -> &str {
        self.part(self.sub_end, Some(self.username_end))
    }

    fn email(&self) -> Option<&str> {
        let has = self.record.as_ref().is_some_and(|r| r.has_email);
        has.then(|| self.part(self.username_end, None))
    }

    /// Stores `r` (whose `sub` is this slot's) at `version`, reusing the allocations of the
    /// previous value where they already hold the same text.
    fn write(&mut self, r: &UserRecord, version: u64) {
        let email = r.email.as_deref();
        if self.username() != r.username || self.email() != email || self.record.is_none() {
            let sub = self.sub();
            let parts = [sub, r.username.as_str(), email.unwrap_or_default()];
            let username_end = offset(sub.len().saturating_add(r.username.len()));
            self.text = joined(parts);
            self.username_end = username_end;
        }
        let (old_rest, old_times) = match self.record.take() {
            Some(p) => (p.rest, p.times),
            None => (None, Box::default()),
        };
        let (failed, resends) = (&r.failed_confirmations, &r.resends);
        let times = if old_times.len() == failed.len().saturating_add(resends.len())
            && old_times.starts_with(failed)
            && old_times.ends_with(resends)
        {
            old_times
        } else {
            failed.iter().chain(resends).copied().collect()
        };
        let rest_empty =
            r.phone_number.is_none() && r.other_attributes.is_empty() && r.password.is_none();
        let rest = if rest_empty {
            None
        } else {
            let mut rest = old_rest.unwrap_or_default();
            if rest.phone_number != r.phone_number {
                rest.phone_number.clone_from(&r.phone_number);
            }
            if rest.other_attributes != r.other_attributes {
                rest.other_attributes.clone_from(&r.other_attributes);
            }
            if rest.password != r.password {
                rest.password.clone_from(&r.password);
            }
            Some(rest)
        };
        self.record = Some(Stored {
            version,
            has_email: email.is_some(),
            status: r.status,
            enabled: r.enabled,
            email_verified: r.email_verified,
            phone_number_verified: r.phone_number_verified,
            created: r.created,
            last_modified: r.last_modified,
            code: r.code.clone(),
            times,
            failed_len: offset(failed.len()),
            rest,
        });
    }

    fn to_record(&self) -> Option<Versioned<UserRecord>> {
        let stored = self.record.as_ref()?;
        let rest = stored.rest.as_deref();
        let has_email = stored.has_email;
        Some(Versioned {
            version: stored.version,
            value: UserRecord {
                username: self.share(self.sub_end, Some(self.username_end)),
                sub: self.share(0, Some(self.sub_end)),
                status: stored.status,
                enabled: stored.enabled,
                email: has_email.then(|| self.share(self.username_end, None)),
                email_verified: stored.email_verified,
                phone_number: rest.and_then(|r| r.phone_number.clone()),
                phone_number_verified: stored.phone_number_verified,
                other_attributes: rest.map(|r| r.other_attributes.clone()).unwrap_or_default(),
                password: rest.and_then(|r| r.password.clone()),
                created: stored.created,
                last_modified: stored.last_modified,
                code: stored.code.clone(),
                failed_confirmations: stored
                    .times
                    .get(..at(stored.failed_len))
                    .unwrap_or_default()
                    .to_vec(),
                resends: stored
                    .times
                    .get(at(stored.failed_len)..)
                    .unwrap_or_default()
                    .to_vec(),
            },
        })
    }
}

thread_local! {
    /// (pool hash, shard, slot) of the record the last `find` on this thread returned: a hint
    /// for the commit that usually follows (see [`PoolShard::slot`]).
    static LAST_FOUND: std::cell::Cell<(u64, u32, u32)> =
        const { std::cell::Cell::new((0, u32::MAX, u32::MAX)) };
    /// The `sub` of the record the last `find` on this thread returned, and its hash.
    static FOUND_SUB: std::cell::Cell<FoundHint> = const { std::cell::Cell::new(FoundHint::NONE) };
}

/// Which `sub` the last `find` on a thread handed out, and the store's hash of it: the commit
/// that writes that record back takes the hash from here instead of hashing the `sub` again.
/// The hint names its store by an id no other store of the process shares, and its `sub` by
/// its bytes (a `sub` longer than [`HINT_SUB`] bytes is not hinted), so the hash it gives is
/// always the one the store would compute.
#[derive(Clone, Copy)]
struct FoundHint {
    store: u64,
    len: u8,
    sub: [u8; HINT_SUB],
    hash: u64,
}

/// The longest `sub` a [`FoundHint`] keeps (a UUID has 36 bytes).
const HINT_SUB: usize = 40;

impl FoundHint {
    const NONE: Self = Self {
        store: 0,
        len: 0,
        sub: [0; HINT_SUB],
        hash: 0,
    };

    fn new(store: u64, sub: &str, hash: u64) -> Self {
        let mut hint = Self::NONE;
        if let (Some(to), Ok(len)) = (hint.sub.get_mut(..sub.len()), u8::try_from(sub.len())) {
            to.copy_from_slice(sub.as_bytes());
            hint = Self {
                store,
                len,
                hash,
                ..hint
            };
        }
        hint
    }

    /// The hash of `sub` in store `store`, if this is its hint.
    fn hash_of(&self, store: u64, sub: &str) -> Option<u64> {
        let kept = self.sub.get(..usize::from(self.len))?;
        (self.store == store && kept == sub.as_bytes()).then_some(self.hash)
    }
}

/// Ids of stores, for [`FoundHint`]; 0 is none.
static STORE_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// An id of a vector position (slots and entries stay far below 4 billion per shard).
fn id_of(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn at(id: u32) -> usize {
    usize::try_from(id).unwrap_or(usize::MAX)
}

/// The store's hashes: SipHash with the store's own random keys, so that chosen usernames
/// cannot be made to collide.
struct Hashes(RandomState);

impl Hashes {
    /// A pool id comes from the host's directory, never from a request, and a store holds few
    /// pools: it is hashed with the cheap unkeyed [`mix`]. The random keys guard the keys a
    /// client chooses (usernames, aliases) and the `sub`s.
    fn pool(&self, pool_id: &str) -> u64 {
        mix(pool_id.as_bytes())
    }
    fn key(&self, key: &[u8]) -> u64 {
        self.0.hash_one((b'k', key))
    }
    fn sub(&self, sub: &str) -> u64 {
        self.0.hash_one((b's', sub))
    }
}

/// The shard of a hash: bits the tables do not use for buckets or tags.
fn shard_of(hash: u64) -> u32 {
    u32::try_from((hash >> 32) & SHARD_MASK).unwrap_or(0)
}

fn bit(shard: u32) -> u64 {
    1u64.checked_shl(shard).unwrap_or(0)
}

impl Shard {
    fn pool(&self, hash: u64, id: &str) -> Option<&PoolShard> {
        self.pools.find(hash, |p| *p.id == *id)
    }

    fn pool_mut(&mut self, hash: u64, id: &str) -> &mut PoolShard {
        self.pools
            .entry(hash, |p| *p.id == *id, |p| p.hash)
            .or_insert_with(|| PoolShard {
                id: id.into(),
                hash,
                slots: Vec::new(),
                by_sub: HashTable::new(),
                entries: Vec::new(),
                free: Vec::new(),
                index: HashTable::new(),
            })
            .into_mut()
    }
}

impl PoolShard {
    /// Reads, without copying, the memory a lookup of a present user reads (an index entry, a
    /// slot, its text, its times and its rarely used members), at positions chosen by `hash`:
    /// the cache misses of a present user's lookup, for a missing one's ([hide-same-work]). Each
    /// read's position depends on what the read before it found, so that the misses come one after
    /// another, as a present user's do (entry, then its slot, then the slot's text), rather than
    /// all at once.
    fn touch(&self, hash: u64) -> u8 {
        // Multiply and shift, not a division: the pick must cost next to nothing.
        let pick = |h: u64, len: usize| {
            let len = u128::try_from(len).unwrap_or(0);
            usize::try_from(u128::from(h).saturating_mul(len) >> 64).unwrap_or(0)
        };
        let mut x = 0u8;
        if let Some(e) = self.entries.get(pick(hash, self.entries.len())) {
            x ^= e
                .key
                .as_ref()
                .map_or(0, |k| k.bytes().first().copied().unwrap_or(0));
        }
        let hash = hash ^ u64::from(std::hint::black_box(x));
        if let Some(slot) = self.slots.get(pick(hash, self.slots.len())) {
            x ^= slot
                .text
                .as_bytes()
                .iter()
                .step_by(64)
                .fold(0, |a, b| a ^ b);
            if let Some(r) = &slot.record {
                x ^= r
                    .times
                    .first()
                    .map_or(0, |t| t.as_millis().to_le_bytes()[0]);
                if let Some(rest) = &r.rest {
                    let password = rest.password.as_ref().map(PasswordHash::as_phc);
                    x ^= password
                        .and_then(|p| p.as_bytes().first().copied())
                        .unwrap_or(0);
                }
            }
        }
        x
    }

    /// The slot of `sub` in this pool shard (shard number `shard`). The slot the last `find` on
    /// this thread returned is tried first: an operation commits the record it has just read,
    /// and the check (the slot holds this very `sub`, and a `sub` has one slot) makes a stale
    /// or foreign hint harmless; it saves the table probe, two cache misses in a large store.
    fn slot(&self, shard: u32, hash: u64, sub: &str) -> Option<u32> {
        let (pool, hinted_shard, hinted) = LAST_FOUND.get();
        if pool == self.hash && hinted_shard == shard {
            if let Some(s) = self.slots.get(at(hinted)) {
                if s.sub() == sub {
                    return Some(hinted);
                }
            }
        }
        self.by_sub
            .find(hash, |&s| self.slots[at(s)].sub() == sub)
            .copied()
    }

    fn slot_or_insert(&mut self, shard: u32, hash: u64, sub: &str) -> u32 {
        if let Some(s) = self.slot(shard, hash, sub) {
            return s;
        }
        let id = id_of(self.slots.len());
        self.slots.push(Slot::empty(sub, hash));
        let slots = &self.slots;
        self.by_sub
            .insert_unique(hash, id, |&s| slots[at(s)].sub_hash);
        id
    }

    fn entry(&self, hash: u64, key: &[u8]) -> Option<u32> {
        self.index
            .find(hash, |&e| {
                self.entries[at(e)].key.as_ref().map(KeyText::bytes) == Some(key)
            })
            .copied()
    }

    fn set_entry(&mut self, hashes: &Hashes, hash: u64, key: &str, target: Target) {
        if let Some(e) = self.entry(hash, key.as_bytes()) {
            self.entries[at(e)].target = target;
            return;
        }
        let entry = Entry {
            key: Some(KeyText::new(key)),
            target,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.entries[at(id)] = entry;
                id
            }
            None => {
                self.entries.push(entry);
                id_of(self.entries.len().saturating_sub(1))
            }
        };
        let entries = &self.entries;
        self.index.insert_unique(hash, id, |&e| {
            hashes.key(
                entries[at(e)]
                    .key
                    .as_ref()
                    .map(KeyText::bytes)
                    .unwrap_or_default(),
            )
        });
    }

    fn remove_entry(&mut self, hash: u64, key: &str) {
        let entries = &self.entries;
        let removed = match self.index.find_entry(hash, |&e| {
            entries[at(e)].key.as_ref().map(KeyText::bytes) == Some(key.as_bytes())
        }) {
            Ok(occupied) => Some(occupied.remove().0),
            Err(_) => None,
        };
        if let Some(id) = removed {
            self.entries[at(id)].key = None;
            self.free.push(id);
        }
    }
}

/// The embedded default store: every pool in memory, in 64 shards.
///
/// Records live in the shard of their `sub`'s hash, index entries in the shard of their key's
/// hash; an index entry points straight at its record's slot. Each call locks every shard it
/// reads or writes, in ascending shard order (so two calls never wait on each other in a
/// cycle), for as long as it checks and applies: reads of one call are one consistent snapshot
/// and commits are linearizable, while calls on different users mostly touch different shards
/// and run in parallel.
///
/// Records are kept compact (strings as boxed slices, the members most users leave empty in
/// one optional box) and index entries as a key and a slot reference; keys are hashed with
/// SipHash under the store's own random keys.
///
/// A pool deleted through its [`PoolCatalog`](crate::host::PoolCatalog) leaves a tombstone (its
/// id, in one table for the whole store: tens of bytes per deleted pool), which a commit
/// creating a record or an index entry in the pool finds, and answers `Conflict`
/// ([pool-delete]). Making a pool again under the id removes it.
pub struct MemoryStore {
    /// This store's id among the process's stores (see [`FoundHint`]).
    id: u64,
    hashes: Hashes,
    shards: Box<[PaddedShard]>,
    /// The tombstones of the pools deleted from the catalog ([pool-delete]). Lock order: this
    /// lock before any shard's. A commit that creates a record or an index entry holds it for
    /// reading from its check to its end, and a deletion holds it for writing while it empties
    /// the pool's shards, so no such commit lands in a pool between its deletion's check and its
    /// tombstone. Commits that create nothing (a confirmation, a counted failure) never take it.
    deleted: RwLock<HashSet<Box<str>>>,
    /// The pools and clients created through the API ([pool-delete]); see
    /// `memory_catalog.rs`.
    pub(super) catalog: RwLock<Catalog>,
}

/// The catalog part of a [`MemoryStore`]: pools by id, clients by client id, each with its
/// version ([pool-directory]). Its [`PoolCatalog`](crate::host::PoolCatalog) implementation is
/// in `memory_catalog.rs`.
#[derive(Default)]
pub(super) struct Catalog {
    pub(super) pools: BTreeMap<String, Versioned<UserPool>>,
    pub(super) clients: BTreeMap<String, Versioned<AppClient>>,
    /// The last version given to a pool or client: every insert and replace takes the next,
    /// so no two writes (of any id) ever share a version.
    pub(super) last_version: u64,
}

impl Catalog {
    /// The next version, never given before by this catalog.
    fn next_version(&mut self) -> u64 {
        // 2^64 writes are out of reach; saturating keeps the arithmetic total regardless.
        self.last_version = self.last_version.saturating_add(1);
        self.last_version
    }

    /// Stores `pool` (inserted or replaced) at a new version.
    pub(super) fn put_pool(&mut self, pool: &UserPool) {
        let version = self.next_version();
        let value = pool.clone();
        self.pools
            .insert(pool.id.clone(), Versioned { version, value });
    }

    /// Stores `client` (inserted or replaced) at a new version.
    pub(super) fn put_client(&mut self, client: &AppClient) {
        let version = self.next_version();
        let value = client.clone();
        self.clients
            .insert(client.client_id.clone(), Versioned { version, value });
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self {
            id: STORE_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            hashes: Hashes(RandomState::new()),
            shards: (0..SHARDS).map(|_| PaddedShard::default()).collect(),
            deleted: RwLock::default(),
            catalog: RwLock::default(),
        }
    }
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

/// The shard locks one call holds: a few inline (a call usually takes two to four), the rest
/// (whole-store listings) in a vector.
struct Held<G> {
    few: [Option<(u32, G)>; 6],
    more: Vec<(u32, G)>,
}

impl<G> Held<G> {
    fn new() -> Self {
        Self {
            few: std::array::from_fn(|_| None),
            more: Vec::new(),
        }
    }

    fn get(&self, shard: u32) -> Option<&G> {
        self.few
            .iter()
            .flatten()
            .chain(&self.more)
            .find(|(s, _)| *s == shard)
            .map(|(_, g)| g)
    }

    fn get_mut(&mut self, shard: u32) -> Option<&mut G> {
        self.few
            .iter_mut()
            .flatten()
            .chain(&mut self.more)
            .find(|(s, _)| *s == shard)
            .map(|(_, g)| g)
    }

    fn push(&mut self, shard: u32, guard: G) {
        match self.few.iter_mut().find(|x| x.is_none()) {
            Some(free) => *free = Some((shard, guard)),
            None => self.more.push((shard, guard)),
        }
    }

    fn iter(&self) -> impl Iterator<Item = &G> {
        self.few.iter().flatten().chain(&self.more).map(|(_, g)| g)
    }
}

type ReadGuards<'a> = Held<RwLockReadGuard<'a, Shard>>;
type WriteGuards<'a> = Held<RwLockWriteGuard<'a, Shard>>;

/// The shards of a bit set, in ascending order.
fn shards_in(mut mask: u64) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        if mask == 0 {
            return None;
        }
        let shard = mask.trailing_zeros();
        mask &= mask.wrapping_sub(1);
        Some(shard)
    })
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self, shard: u32) -> &RwLock<Shard> {
        &self.shards[at(shard)].0
    }

    /// Read-locks the shards of `mask` that are not held yet, in ascending order. The caller
    /// holds none above the lowest of them.
    fn read<'a>(&'a self, mask: u64, guards: &mut ReadGuards<'a>) -> Result<(), PoisonedStore> {
        for s in shards_in(mask) {
            if guards.get(s).is_none() {
                guards.push(s, self.lock(s).read().map_err(|_| PoisonedStore)?);
            }
        }
        Ok(())
    }

    fn write<'a>(&'a self, mask: u64, guards: &mut WriteGuards<'a>) -> Result<(), PoisonedStore> {
        for s in shards_in(mask) {
            if guards.get(s).is_none() {
                guards.push(s, self.lock(s).write().map_err(|_| PoisonedStore)?);
            }
        }
        Ok(())
    }

    /// Every shard, read-locked (for the whole-pool listings).
    fn read_everything(&self) -> Result<ReadGuards<'_>, PoisonedStore> {
        let mut guards: ReadGuards<'_> = Held::new();
        self.read(u64::MAX, &mut guards)?;
        Ok(guards)
    }

    /// Removes every record and index entry of a pool and leaves its tombstone, with the
    /// tombstones and every shard write-locked at once: a concurrent call sees all of the pool's
    /// users or none, and a commit after it that would create a record or an index entry in the
    /// pool answers `Conflict` ([pool-delete]).
    pub(super) fn delete_pool_users(&self, pool_id: &str) -> Result<(), PoisonedStore> {
        let mut deleted = self.deleted.write().map_err(|_| PoisonedStore)?;
        let mut guards: WriteGuards<'_> = Held::new();
        self.write(u64::MAX, &mut guards)?;
        let hash = self.hashes.pool(pool_id);
        for s in shards_in(u64::MAX) {
            if let Some(shard) = guards.get_mut(s) {
                if let Ok(entry) = shard.pools.find_entry(hash, |p| *p.id == *pool_id) {
                    entry.remove();
                }
            }
        }
        deleted.insert(pool_id.into());
        Ok(())
    }

    /// Removes the pool's tombstone, if it has one: a pool created again under a deleted pool's
    /// id takes users again ([pool-delete]).
    pub(super) fn revive_pool(&self, pool_id: &str) -> Result<(), PoisonedStore> {
        self.deleted
            .write()
            .map_err(|_| PoisonedStore)?
            .remove(pool_id);
        Ok(())
    }

    /// How many deleted pools' tombstones the store holds (for tests and monitoring).
    #[must_use]
    pub fn tombstones(&self) -> usize {
        self.deleted.read().map_or(0, |d| d.len())
    }

    /// Every record of a pool with its version, in no particular order (for tests and tools).
    ///
    /// # Errors
    /// [`PoisonedStore`] if another thread panicked while holding a lock.
    pub fn records(&self, pool_id: &str) -> Result<Vec<Versioned<UserRecord>>, PoisonedStore> {
        let guards = self.read_everything()?;
        let hash = self.hashes.pool(pool_id);
        Ok(guards
            .iter()
            .filter_map(|g| g.pool(hash, pool_id))
            .flat_map(|p| p.slots.iter())
            .filter_map(Slot::to_record)
            .collect())
    }

    /// Every index entry of a pool as (key, sub) (for tests and tools).
    ///
    /// # Errors
    /// [`PoisonedStore`] if another thread panicked while holding a lock.
    pub fn index(&self, pool_id: &str) -> Result<Vec<(IndexKey, String)>, PoisonedStore> {
        let guards = self.read_everything()?;
        let hash = self.hashes.pool(pool_id);
        let sub_of = |t: Target| -> Option<String> {
            let pool = guards.get(t.shard)?.pool(hash, pool_id)?;
            Some(pool.slots.get(at(t.slot))?.sub().to_owned())
        };
        Ok(guards
            .iter()
            .filter_map(|g| g.pool(hash, pool_id))
            .flat_map(|p| p.entries.iter())
            .filter_map(|e| {
                let key = std::str::from_utf8(e.key.as_ref()?.bytes()).ok()?;
                Some((IndexKey::from_stored(key.to_owned()), sub_of(e.target)?))
            })
            .collect())
    }
}

/// `f(0)`, …, `f(n - 1)`, on the stack when there are few (there usually are).
fn small<'b, T: Copy + Default, const N: usize>(
    n: usize,
    f: impl Fn(usize) -> T,
    stack: &'b mut [T; N],
    heap: &'b mut Vec<T>,
) -> &'b [T] {
    let out: &mut [T] = if n <= N {
        &mut stack[..n]
    } else {
        heap.resize(n, T::default());
        heap
    };
    for (i, x) in out.iter_mut().enumerate() {
        *x = f(i);
    }
    out
}

/// Whether a commit's removals can all hold together with its record writes: no record is
/// both written and removed, and none is removed at two versions.
fn removals_are_consistent(commit: &Commit) -> bool {
    commit.removals.iter().enumerate().all(|(i, r)| {
        !commit.records.iter().any(|w| w.record.sub == r.sub)
            && !commit.removals[..i]
                .iter()
                .any(|o| o.sub == r.sub && o.expected_version != r.expected_version)
    })
}

/// The hashes an index write needs.
#[derive(Clone, Copy, Default)]
struct IndexHashes {
    key: u64,
    expected: Option<u64>,
    new: Option<u64>,
}

impl UserStore for MemoryStore {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        let pool_hash = self.hashes.pool(pool_id);
        let (mut stack, mut heap) = ([0u64; 8], Vec::new());
        let hashes = small(
            keys.len(),
            |i| self.hashes.key(keys[i].as_bytes()),
            &mut stack,
            &mut heap,
        );
        let mut mask = hashes.iter().fold(0, |m, &h| m | bit(shard_of(h)));
        loop {
            let mut guards: ReadGuards<'_> = Held::new();
            self.read(mask, &mut guards)?;
            // The first key the index holds, in the order given. Every key is probed, so that
            // the lookup costs the same whichever key matches, or whether any does
            // ([hide-same-work]).
            let mut target = None;
            let mut first_held = None;
            for (i, (k, &h)) in keys.iter().zip(hashes).enumerate() {
                let held = guards
                    .get(shard_of(h))
                    .and_then(|g| g.pool(pool_hash, pool_id))
                    .and_then(|pool| {
                        let e = pool.entry(h, k.as_bytes())?;
                        Some(pool.entries[at(e)].target)
                    });
                first_held = first_held.or(held.map(|_| i));
                target = target.or(held);
            }
            let Some(target) = target else {
                return Ok(None);
            };
            if first_held.is_some_and(|i| keys[i].as_bytes() == DECOY_KEY.as_bytes()) {
                // Only the decoy matched: the name is missing ([hide-same-work]). Every missing
                // name of a pool reads the one decoy, which so stays in cache, while a present
                // user's record is usually read from memory: read what a present user's lookup
                // reads (`PoolShard::touch`).
                if let (Some(&h), Some(g)) = (
                    hashes.first(),
                    hashes.first().and_then(|&h| guards.get(shard_of(h))),
                ) {
                    if let Some(pool) = g.pool(pool_hash, pool_id) {
                        std::hint::black_box(pool.touch(h));
                    }
                }
            }
            let held_above = mask.checked_shr(target.shard).unwrap_or(0) > 1;
            if guards.get(target.shard).is_none() {
                if held_above {
                    // Taking it now would break the ascending order: try without waiting, and
                    // otherwise start again holding it from the beginning.
                    match self.lock(target.shard).try_read() {
                        Ok(g) => guards.push(target.shard, g),
                        Err(std::sync::TryLockError::WouldBlock) => {
                            mask |= bit(target.shard);
                            continue;
                        }
                        Err(std::sync::TryLockError::Poisoned(_)) => {
                            return Err(PoisonedStore.into());
                        }
                    }
                } else {
                    self.read(bit(target.shard), &mut guards)?;
                }
            }
            let slot = guards
                .get(target.shard)
                .and_then(|g| g.pool(pool_hash, pool_id))
                .and_then(|p| p.slots.get(at(target.slot)));
            LAST_FOUND.set((pool_hash, target.shard, target.slot));
            let found = slot.and_then(Slot::to_record);
            if let (Some(slot), Some(found)) = (slot, &found) {
                FOUND_SUB.set(FoundHint::new(self.id, &found.value.sub, slot.sub_hash));
            }
            return Ok(found);
        }
    }

    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        let guards = self.read_everything()?;
        let hash = self.hashes.pool(pool_id);
        // The slots after `after`, then the `limit` smallest of them, sorted; only those are
        // copied out.
        let mut slots: Vec<&Slot> = guards
            .iter()
            .filter_map(|g| g.pool(hash, pool_id))
            .flat_map(|p| p.slots.iter())
            .filter(|s| {
                s.record.is_some()
                    && s.sub() != DECOY_SUB
                    && after.is_none_or(|a| s.sub().as_bytes() > a.as_bytes())
            })
            .collect();
        if slots.len() > limit {
            if limit == 0 {
                return Ok(Vec::new());
            }
            slots.select_nth_unstable_by(limit.saturating_sub(1), |a, b| {
                a.sub().as_bytes().cmp(b.sub().as_bytes())
            });
            slots.truncate(limit);
        }
        slots.sort_unstable_by(|a, b| a.sub().as_bytes().cmp(b.sub().as_bytes()));
        Ok(slots.into_iter().filter_map(Slot::to_record).collect())
    }

    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        let hashes = &self.hashes;
        let pool_hash = hashes.pool(pool_id);
        // Every hash the commit needs, computed once: records' subs, and for each index write
        // its key and the subs it is expected to and will point to.
        let (mut stack, mut heap) = ([IndexHashes::default(); 8], Vec::new());
        let index_hashes = small(
            commit.index.len(),
            |i| {
                let w = &commit.index[i];
                IndexHashes {
                    key: hashes.key(w.key.as_bytes()),
                    expected: w.expected.as_deref().map(|s| hashes.sub(s)),
                    new: w.new.as_deref().map(|s| hashes.sub(s)),
                }
            },
            &mut stack,
            &mut heap,
        );
        let (mut stack, mut heap) = ([0u64; 8], Vec::new());
        let record_hashes = small(
            commit.records.len(),
            |i| {
                let sub = &commit.records[i].record.sub;
                FOUND_SUB
                    .get()
                    .hash_of(self.id, sub)
                    .unwrap_or_else(|| hashes.sub(sub))
            },
            &mut stack,
            &mut heap,
        );
        if !removals_are_consistent(commit) {
            return Ok(CommitOutcome::Conflict);
        }
        let removal_hashes: Vec<u64> = commit.removals.iter().map(|r| hashes.sub(&r.sub)).collect();
        // Every shard the commit reads or writes.
        let mut mask = record_hashes
            .iter()
            .chain(&removal_hashes)
            .fold(0u64, |m, &h| m | bit(shard_of(h)));
        for h in index_hashes {
            for x in [Some(h.key), h.expected, h.new].into_iter().flatten() {
                mask |= bit(shard_of(x));
            }
        }
        // A commit that would create a record or an index entry in a deleted pool: the
        // operation read the pool before it was deleted, and must leave nothing of it behind
        // ([pool-delete]). The tombstones stay read-locked (before the shards, the lock order)
        // until the commit is applied.
        let creates = commit.records.iter().any(|w| w.expected_version.is_none())
            || commit.index.iter().any(|w| w.expected.is_none());
        let _tombstones = if creates {
            let deleted = self.deleted.read().map_err(|_| PoisonedStore)?;
            if deleted.contains(pool_id) {
                return Ok(CommitOutcome::Conflict);
            }
            Some(deleted)
        } else {
            None
        };
        let mut guards: WriteGuards<'_> = Held::new();
        self.write(mask, &mut guards)?;
        // The slot of a sub, if it has one.
        let locate = |guards: &WriteGuards<'_>, h: u64, sub: &str| -> Option<Target> {
            let shard = shard_of(h);
            let pool = guards.get(shard)?.pool(pool_hash, pool_id)?;
            pool.slot(shard, h, sub).map(|slot| Target { shard, slot })
        };
        for (w, &h) in commit.records.iter().zip(record_hashes) {
            let current = locate(&guards, h, &w.record.sub).and_then(|t| {
                let pool = guards.get(t.shard)?.pool(pool_hash, pool_id)?;
                pool.slots[at(t.slot)].record.as_ref().map(|r| r.version)
            });
            if current != w.expected_version {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for (r, &h) in commit.removals.iter().zip(&removal_hashes) {
            let current = locate(&guards, h, &r.sub).and_then(|t| {
                let pool = guards.get(t.shard)?.pool(pool_hash, pool_id)?;
                pool.slots[at(t.slot)].record.as_ref().map(|r| r.version)
            });
            if current != Some(r.expected_version) {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for (w, h) in commit.index.iter().zip(index_hashes) {
            let held = guards
                .get(shard_of(h.key))
                .and_then(|g| g.pool(pool_hash, pool_id))
                .and_then(|p| {
                    p.entry(h.key, w.key.as_bytes())
                        .map(|e| p.entries[at(e)].target)
                });
            let holds = match (held, w.expected.as_deref().zip(h.expected)) {
                (None, None) => true,
                (Some(t), Some((sub, sub_hash))) => locate(&guards, sub_hash, sub) == Some(t),
                _ => false,
            };
            if !holds {
                return Ok(CommitOutcome::Conflict);
            }
        }
        let slot_of =
            |guards: &mut WriteGuards<'_>, h: u64, sub: &str| -> Result<Target, PoisonedStore> {
                let shard = shard_of(h);
                let g = guards.get_mut(shard).ok_or(PoisonedStore)?;
                let slot = g.pool_mut(pool_hash, pool_id).slot_or_insert(shard, h, sub);
                Ok(Target { shard, slot })
            };
        for (w, &h) in commit.records.iter().zip(record_hashes) {
            let version = w.expected_version.map_or(1, |v| v.saturating_add(1));
            let t = slot_of(&mut guards, h, &w.record.sub)?;
            let g = guards.get_mut(t.shard).ok_or(PoisonedStore)?;
            g.pool_mut(pool_hash, pool_id).slots[at(t.slot)].write(&w.record, version);
        }
        for (r, &h) in commit.removals.iter().zip(&removal_hashes) {
            // The slot stays (entries may still point at it, and find them dangling), emptied
            // of the record and of its username and email.
            if let Some(t) = locate(&guards, h, &r.sub) {
                if let Some(g) = guards.get_mut(t.shard) {
                    if let Some(p) = g.pools.find_mut(pool_hash, |p| *p.id == *pool_id) {
                        if let Some(slot) = p.slots.get_mut(at(t.slot)) {
                            *slot = Slot::empty(&r.sub, h);
                        }
                    }
                }
            }
        }
        for (w, h) in commit.index.iter().zip(index_hashes) {
            match w.new.as_deref().zip(h.new) {
                Some((sub, sub_hash)) => {
                    let t = slot_of(&mut guards, sub_hash, sub)?;
                    let g = guards.get_mut(shard_of(h.key)).ok_or(PoisonedStore)?;
                    g.pool_mut(pool_hash, pool_id)
                        .set_entry(hashes, h.key, w.key.as_str(), t);
                }
                None => {
                    if let Some(g) = guards.get_mut(shard_of(h.key)) {
                        if let Some(p) = g.pools.find_mut(pool_hash, |p| *p.id == *pool_id) {
                            p.remove_entry(h.key, w.key.as_str());
                        }
                    }
                }
            }
        }
        Ok(CommitOutcome::Committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AliasAttribute;
    use crate::decoy::DECOY_SUB;
    use crate::protocol::{IndexWrite, RecordWrite};
    use crate::user::UserStatus;
    use std::sync::Arc;

    fn user(sub: &str, name: &str) -> UserRecord {
        UserRecord {
            username: name.into(),
            sub: sub.into(),
            status: UserStatus::Unconfirmed,
            enabled: true,
            email: Some(format!("{name}@example.com").into()),
            email_verified: false,
            phone_number: None,
            phone_number_verified: false,
            other_attributes: Vec::new(),
            password: None,
            created: Timestamp::from_secs(1),
            last_modified: Timestamp::from_secs(1),
            code: None,
            failed_confirmations: Vec::new(),
            resends: Vec::new(),
        }
    }

    fn claim(key: IndexKey, expected: Option<&str>, new: Option<&str>) -> IndexWrite {
        IndexWrite {
            key,
            expected: expected.map(str::to_owned),
            new: new.map(str::to_owned),
        }
    }

    fn create(store: &MemoryStore, pool: &str, sub: &str, name: &str) -> CommitOutcome {
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: None,
                record: user(sub, name),
            }],
            index: vec![
                claim(IndexKey::username(name), None, Some(sub)),
                claim(IndexKey::sub(sub), None, Some(sub)),
            ],
        };
        store.commit(pool, &commit).unwrap()
    }

    /// The hash a `find` leaves for the commit that follows is its own store's: a commit in
    /// another store of a record with the same `sub` hashes the `sub` with that store's keys.
    #[test]
    fn a_find_in_one_store_does_not_lend_its_hash_to_another() {
        let sub = "11111111-2222-3333-4444-555555555555";
        let update = |record: UserRecord, version| Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(version),
                record,
            }],
            index: Vec::new(),
        };
        // Each round uses new stores (new keys): a borrowed hash would fall in another shard
        // in all but about one round in 64.
        for _ in 0..8 {
            let (a, b) = (MemoryStore::new(), MemoryStore::new());
            assert_eq!(create(&a, "p", sub, "alice"), CommitOutcome::Committed);
            let found = a.find("p", &[IndexKey::sub(sub)]).unwrap().unwrap();
            // On this thread, a's find left its hint: b's commits must not take it.
            assert_eq!(create(&b, "p", sub, "alice"), CommitOutcome::Committed);
            let mut record = found.value;
            record.status = UserStatus::Confirmed;
            assert_eq!(
                b.commit("p", &update(record.clone(), 1)).unwrap(),
                CommitOutcome::Committed
            );
            // From another thread (no hint), b finds the record where its own hash puts it.
            let b_found = std::thread::scope(|s| {
                s.spawn(|| b.find("p", &[IndexKey::sub(sub)]).unwrap())
                    .join()
                    .unwrap()
            })
            .unwrap();
            assert_eq!(b_found.version, 2);
            assert_eq!(b_found.value.status, UserStatus::Confirmed);
            // And a's record, written back after its own find, is a's version 2.
            let again = a.find("p", &[IndexKey::sub(sub)]).unwrap().unwrap();
            assert_eq!(
                a.commit("p", &update(record, again.version)).unwrap(),
                CommitOutcome::Committed
            );
            assert_eq!(a.records("p").unwrap().len(), 1);
        }
    }

    #[test]
    fn index_keys_keep_their_text() {
        assert_eq!(IndexKey::username("Al").as_str(), "u:Al");
        assert_eq!(IndexKey::sub("1-2").as_str(), "s:1-2");
        assert_eq!(
            IndexKey::alias(AliasAttribute::PhoneNumber, "+1").as_str(),
            "a:phone_number:+1"
        );
    }

    #[test]
    fn the_decoy_key_answers_only_when_no_other_key_is_held() {
        let store = MemoryStore::new();
        let keys = [IndexKey::username("alice"), IndexKey::decoy()];
        // No user, no decoy: nothing (the shard the first key falls in may be empty).
        assert_eq!(store.find("p", &keys).unwrap(), None);
        let decoy = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: None,
                record: user(DECOY_SUB, "decoy-record"),
            }],
            index: vec![claim(IndexKey::decoy(), None, Some(DECOY_SUB))],
        };
        assert_eq!(store.commit("p", &decoy).unwrap(), CommitOutcome::Committed);
        let found = store.find("p", &keys).unwrap().unwrap();
        assert!(found.value.is_decoy());
        for i in 0..50 {
            let name = format!("user{i}");
            assert_eq!(
                create(&store, "p", &format!("sub-{i}"), &name),
                CommitOutcome::Committed
            );
            let missing = [IndexKey::username(&format!("nobody{i}")), IndexKey::decoy()];
            assert!(store.find("p", &missing).unwrap().unwrap().value.is_decoy());
            let present = [IndexKey::username(&name), IndexKey::decoy()];
            let found = store.find("p", &present).unwrap().unwrap();
            assert_eq!(found.value.username, name, "a held key wins over the decoy");
        }
    }

    #[test]
    fn finds_by_the_first_present_key_and_round_trips_every_member() {
        let store = MemoryStore::new();
        assert_eq!(create(&store, "p", "s1", "alice"), CommitOutcome::Committed);
        assert_eq!(create(&store, "p", "s2", "bob"), CommitOutcome::Committed);
        let keys = [IndexKey::username("nobody"), IndexKey::username("bob")];
        let found = store.find("p", &keys).unwrap().unwrap();
        assert_eq!((found.version, found.value.sub.as_str()), (1, "s2"));
        assert!(store.find("other", &keys).unwrap().is_none());
        assert!(store.find("p", &[]).unwrap().is_none());

        let mut full = found.value.clone();
        full.phone_number = Some("+15550100".into());
        full.other_attributes = vec![Attribute {
            name: "custom:x".into(),
            value: "y".into(),
        }];
        full.password = Some(PasswordHash::from_phc("$argon2id$x".into()));
        full.failed_confirmations = vec![Timestamp::from_secs(5)];
        full.resends = vec![Timestamp::from_secs(6), Timestamp::from_secs(7)];
        full.email = None;
        full.status = UserStatus::Confirmed;
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(1),
                record: full.clone(),
            }],
            index: Vec::new(),
        };
        assert_eq!(
            store.commit("p", &commit).unwrap(),
            CommitOutcome::Committed
        );
        let again = store.find("p", &[IndexKey::sub("s2")]).unwrap().unwrap();
        assert_eq!(
            again,
            Versioned {
                version: 2,
                value: full
            }
        );
        assert_eq!(store.records("p").unwrap().len(), 2);
        let mut index = store.index("p").unwrap();
        index.sort();
        let subs: Vec<&str> = index.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(subs, ["s1", "s2", "s1", "s2"]);
    }

    #[test]
    fn a_failed_precondition_applies_nothing() {
        let store = MemoryStore::new();
        let _ = create(&store, "p", "s1", "alice");
        let _ = create(&store, "p", "s2", "bob");
        // The record write holds, the index precondition does not: nothing is applied.
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(1),
                record: user("s1", "alice-changed"),
            }],
            index: vec![
                claim(IndexKey::username("carol"), None, Some("s1")),
                claim(IndexKey::username("bob"), Some("s1"), None),
            ],
        };
        assert_eq!(store.commit("p", &commit).unwrap(), CommitOutcome::Conflict);
        let alice = store.find("p", &[IndexKey::sub("s1")]).unwrap().unwrap();
        assert_eq!((alice.version, alice.value.username.as_str()), (1, "alice"));
        assert!(
            store
                .find("p", &[IndexKey::username("carol")])
                .unwrap()
                .is_none()
        );
        // A stale version conflicts too; a new record where one exists conflicts.
        let stale = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(7),
                record: user("s1", "x"),
            }],
            index: Vec::new(),
        };
        assert_eq!(store.commit("p", &stale).unwrap(), CommitOutcome::Conflict);
        assert_eq!(create(&store, "p", "s1", "alice"), CommitOutcome::Conflict);
    }

    fn remove(sub: &str, version: u64, keys: &[IndexKey]) -> Commit {
        Commit {
            removals: vec![crate::protocol::RecordRemoval {
                sub: sub.to_owned(),
                expected_version: version,
            }],
            records: Vec::new(),
            index: keys
                .iter()
                .map(|k| claim(k.clone(), Some(sub), None))
                .collect(),
        }
    }

    #[test]
    fn list_pages_in_sub_order_without_the_decoy_or_other_pools() {
        let store = MemoryStore::new();
        for i in (0..40).rev() {
            let _ = create(&store, "p", &format!("s{i:02}"), &format!("u{i}"));
        }
        let _ = create(&store, "q", "s00x", "other-pool");
        let decoy = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: None,
                record: user(DECOY_SUB, "decoy-record"),
            }],
            index: vec![claim(IndexKey::decoy(), None, Some(DECOY_SUB))],
        };
        assert_eq!(store.commit("p", &decoy).unwrap(), CommitOutcome::Committed);
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.list("p", after.as_deref(), 7).unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            after = page.last().map(|r| r.value.sub.to_string());
            seen.extend(
                page.into_iter()
                    .map(|r| (r.value.sub.to_string(), r.version)),
            );
        }
        let want: Vec<(String, u64)> = (0..40).map(|i| (format!("s{i:02}"), 1)).collect();
        assert_eq!(seen, want);
        assert!(store.list("p", None, 0).unwrap().is_empty());
        assert!(store.list("p", Some("s39"), 10).unwrap().is_empty());
        assert!(store.list("nopool", None, 10).unwrap().is_empty());
        let q = store.list("q", None, 10).unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].value.username, "other-pool");
    }

    #[test]
    fn a_removal_holds_only_at_the_current_version_and_frees_the_sub() {
        let store = MemoryStore::new();
        let _ = create(&store, "p", "s1", "alice");
        let keys = [IndexKey::username("alice"), IndexKey::sub("s1")];
        // Wrong version, missing record: nothing changes.
        assert_eq!(
            store.commit("p", &remove("s1", 2, &keys)).unwrap(),
            CommitOutcome::Conflict
        );
        assert_eq!(
            store.commit("p", &remove("s9", 1, &[])).unwrap(),
            CommitOutcome::Conflict
        );
        assert_eq!(store.list("p", None, 10).unwrap().len(), 1);
        // A failing index precondition keeps the record too.
        let mut bad = remove("s1", 1, &keys);
        bad.index
            .push(claim(IndexKey::username("nobody"), Some("s1"), None));
        assert_eq!(store.commit("p", &bad).unwrap(), CommitOutcome::Conflict);
        assert!(store.find("p", &keys[1..]).unwrap().is_some());
        // Written and removed in one commit: a conflict.
        let mut both = remove("s1", 1, &[]);
        both.records.push(RecordWrite {
            expected_version: Some(1),
            record: user("s1", "alice"),
        });
        assert_eq!(store.commit("p", &both).unwrap(), CommitOutcome::Conflict);
        assert_eq!(
            store.commit("p", &remove("s1", 1, &keys)).unwrap(),
            CommitOutcome::Committed
        );
        assert!(store.find("p", &keys).unwrap().is_none());
        assert!(store.list("p", None, 10).unwrap().is_empty());
        assert!(store.records("p").unwrap().is_empty());
        assert!(store.index("p").unwrap().is_empty());
        // Removed twice: the second finds nothing to remove.
        assert_eq!(
            store.commit("p", &remove("s1", 1, &[])).unwrap(),
            CommitOutcome::Conflict
        );
        // The sub and the name are free again; the new record starts at version 1.
        assert_eq!(create(&store, "p", "s1", "alice"), CommitOutcome::Committed);
        let again = store.find("p", &keys[..1]).unwrap().unwrap();
        assert_eq!((again.version, again.value.sub.as_str()), (1, "s1"));
    }

    #[test]
    fn index_entries_move_and_disappear_and_may_dangle() {
        let store = MemoryStore::new();
        let _ = create(&store, "p", "s1", "alice");
        let _ = create(&store, "p", "s2", "bob");
        let alias = IndexKey::alias(AliasAttribute::Email, "x@example.com");
        let add = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), None, Some("s1"))],
        };
        assert_eq!(store.commit("p", &add).unwrap(), CommitOutcome::Committed);
        let wrong_holder = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), Some("s2"), Some("s2"))],
        };
        assert_eq!(
            store.commit("p", &wrong_holder).unwrap(),
            CommitOutcome::Conflict
        );
        let moved = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), Some("s1"), Some("s2"))],
        };
        assert_eq!(store.commit("p", &moved).unwrap(), CommitOutcome::Committed);
        let holder = store
            .find("p", std::slice::from_ref(&alias))
            .unwrap()
            .unwrap();
        assert_eq!(holder.value.sub, "s2");
        let removed = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), Some("s2"), None)],
        };
        assert_eq!(
            store.commit("p", &removed).unwrap(),
            CommitOutcome::Committed
        );
        assert!(
            store
                .find("p", std::slice::from_ref(&alias))
                .unwrap()
                .is_none()
        );
        // An entry pointing at a sub without a record finds nothing, and stops the search.
        let dangling = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), None, Some("s9"))],
        };
        assert_eq!(
            store.commit("p", &dangling).unwrap(),
            CommitOutcome::Committed
        );
        let keys = [alias.clone(), IndexKey::username("alice")];
        assert!(store.find("p", &keys).unwrap().is_none());
        assert!(
            store
                .index("p")
                .unwrap()
                .iter()
                .any(|(k, s)| *k == alias && s == "s9")
        );
        // Keys too long to keep inline work the same.
        let long = IndexKey::alias(
            AliasAttribute::Email,
            &format!("{}@example.com", "l".repeat(60)),
        );
        let add_long = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(long.clone(), None, Some("s1"))],
        };
        assert_eq!(
            store.commit("p", &add_long).unwrap(),
            CommitOutcome::Committed
        );
        let found = store
            .find("p", std::slice::from_ref(&long))
            .unwrap()
            .unwrap();
        assert_eq!(found.value.sub, "s1");
        assert!(store.index("p").unwrap().iter().any(|(k, _)| *k == long));
        let remove_long = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(long.clone(), Some("s1"), None)],
        };
        assert_eq!(
            store.commit("p", &remove_long).unwrap(),
            CommitOutcome::Committed
        );
        assert!(
            store
                .find("p", std::slice::from_ref(&long))
                .unwrap()
                .is_none()
        );
        // The freed entry id is reused.
        let reused = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(IndexKey::username("zed"), None, Some("s1"))],
        };
        assert_eq!(
            store.commit("p", &reused).unwrap(),
            CommitOutcome::Committed
        );
        assert_eq!(store.index("p").unwrap().len(), 6);
    }

    #[test]
    fn concurrent_alias_moves_stay_atomic_across_shards() {
        // Threads move one alias back and forth between two users; each move rewrites both
        // records (different shards, usually) and the alias entry (a third) in one commit.
        let store = Arc::new(MemoryStore::new());
        let _ = create(&store, "p", "sa", "a");
        let _ = create(&store, "p", "sb", "b");
        let alias = IndexKey::alias(AliasAttribute::Email, "shared@example.com");
        let start = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(alias.clone(), None, Some("sa"))],
        };
        assert_eq!(store.commit("p", &start).unwrap(), CommitOutcome::Committed);
        let moves: usize = (0..4)
            .map(|_| {
                let store = Arc::clone(&store);
                let alias = alias.clone();
                std::thread::spawn(move || {
                    let mut done = 0;
                    for _ in 0..300 {
                        let holder = store
                            .find("p", std::slice::from_ref(&alias))
                            .unwrap()
                            .unwrap();
                        let other_sub = if holder.value.sub == "sa" { "sb" } else { "sa" };
                        let other = store
                            .find("p", &[IndexKey::sub(other_sub)])
                            .unwrap()
                            .unwrap();
                        let commit = Commit {
                            removals: Vec::new(),
                            records: vec![
                                RecordWrite {
                                    expected_version: Some(holder.version),
                                    record: holder.value.clone(),
                                },
                                RecordWrite {
                                    expected_version: Some(other.version),
                                    record: other.value.clone(),
                                },
                            ],
                            index: vec![claim(
                                alias.clone(),
                                Some(&holder.value.sub),
                                Some(other_sub),
                            )],
                        };
                        if store.commit("p", &commit).unwrap() == CommitOutcome::Committed {
                            done += 1;
                        }
                    }
                    done
                })
            })
            .map(|t| t.join().unwrap())
            .sum();
        assert!(moves > 0);
        let versions: u64 = store.records("p").unwrap().iter().map(|r| r.version).sum();
        // Two records at version 1, plus two versions for every move that committed.
        assert_eq!(versions, 2 + 2 * u64::try_from(moves).unwrap());
        let holder = store
            .find("p", std::slice::from_ref(&alias))
            .unwrap()
            .unwrap();
        let expected = if moves % 2 == 0 { "sa" } else { "sb" };
        assert_eq!(holder.value.sub, expected);
    }

    #[test]
    fn concurrent_compare_and_swap_loses_no_update() {
        let store = Arc::new(MemoryStore::new());
        for i in 0..8 {
            let _ = create(&store, "p", &format!("s{i}"), &format!("u{i}"));
        }
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for n in 0..500 {
                        let i = (t + n) % 8;
                        // Look up by username (another shard than the record, usually).
                        loop {
                            let found = store
                                .find("p", &[IndexKey::username(&format!("u{i}"))])
                                .unwrap()
                                .unwrap();
                            let mut rec = found.value;
                            rec.failed_confirmations.push(Timestamp::from_millis(1));
                            let commit = Commit {
                                removals: Vec::new(),
                                records: vec![RecordWrite {
                                    expected_version: Some(found.version),
                                    record: rec,
                                }],
                                index: Vec::new(),
                            };
                            if store.commit("p", &commit).unwrap() == CommitOutcome::Committed {
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let total: usize = store
            .records("p")
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(
                    r.version,
                    u64::try_from(r.value.failed_confirmations.len()).unwrap() + 1
                );
                r.value.failed_confirmations.len()
            })
            .sum();
        assert_eq!(total, 2000);
    }
}

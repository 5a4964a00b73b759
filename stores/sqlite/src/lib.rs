//! A durable [`UserStore`] for [`cognito_signup`] on SQLite: one database file, shared by every
//! thread and every process that opens it.
//!
//! What it does: keeps each pool's user records and index in two tables, and the pools and app
//! clients created through the API ([`PoolCatalog`](cognito_signup::store::PoolCatalog)) in two
//! more, and applies every [`Commit`] as one SQLite transaction (`BEGIN IMMEDIATE`, write-ahead
//! log), whose preconditions the database checks with the writes themselves. What it does not:
//! it is not a store for many machines (use `cognito-signup-postgres`), it keeps no cache, and it
//! never logs.
//!
//! ```
//! use cognito_signup::{
//!     AppClient, CodeKeys, ConfirmSignUpRequest, Driver, RecordingDelivery, SignUpRequest,
//!     StaticDirectory, UserPool, VerifiableAttribute,
//! };
//! use cognito_signup_sqlite::SqliteStore;
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("users.db");
//! // Creates the file and its tables on first use, migrates them on later ones.
//! let store = SqliteStore::open(&path)?;
//!
//! let mut pool = UserPool::new("us-east-1_Example");
//! pool.auto_verified_attributes.insert(VerifiableAttribute::Email);
//! let mut directory = StaticDirectory::new();
//! directory.add_pool(pool, CodeKeys::new(&[[7u8; 32]])?);
//! directory.add_client("us-east-1_Example", AppClient::new("exampleclient"))?;
//! let delivery = Arc::new(RecordingDelivery::new());
//! let cognito = Driver::new(store, Arc::new(directory)).with_delivery(delivery.clone());
//!
//! cognito.sign_up(
//!     SignUpRequest::new("exampleclient", "alice", "Corr3ct-Horse")
//!         .attribute("email", "alice@example.com"),
//! )?;
//! let code = delivery.last().ok_or("no message")?.code;
//! cognito.confirm_sign_up(ConfirmSignUpRequest::new("exampleclient", "alice", code.as_str()))?;
//! # Ok(())
//! # }
//! ```
//!
//! # Schema
//!
//! [`SqliteStore::open`] creates and migrates the schema; the table `cognito_signup_migrations`
//! lists the migrations applied, so a newer version of this crate knows where to start and an
//! older one refuses a schema it does not know ([`StoreError::SchemaTooNew`]).
//!
//! * `cognito_users (pool_id, sub) -> version, record`: one row per user. The primary key is the
//!   record's identity in the trait (a pool and a `sub`); `version` is the compare-and-swap
//!   counter: a write is `UPDATE … WHERE pool_id = ? AND sub = ? AND version = ?` and succeeds
//!   only if it changed exactly one row; a new record is an `INSERT … ON CONFLICT DO NOTHING`
//!   that must insert one.
//! * `cognito_index (pool_id, key) -> sub`: the index of the trait, one row per key. Usernames
//!   (folded when the pool is case-insensitive), `sub`s and verified aliases all live here, as
//!   the opaque strings of [`IndexKey::as_str`], so the primary key both serves every lookup by
//!   name and makes a key impossible to hold twice: two users cannot own one alias. Claims are
//!   inserts that must insert one row, moves and removals are `UPDATE`/`DELETE … WHERE key = ?
//!   AND sub = ?` that must touch one.
//!
//! The pool's decoy record (`docs/behaviour.md` [hide-same-work]; see
//! [`cognito_signup::store::DECOY_SUB`]) is an ordinary row of `cognito_users` (`sub` is the nil
//! UUID) with one row in `cognito_index`, the key `d:`. The core creates it with the first
//! ConfirmSignUp for a missing user under `PreventUserExistenceErrors=ENABLED` and counts later
//! ones as failures on it, with the usual compare-and-swap: the store treats it like any other
//! record. A commit without writes is valid and answers [`CommitOutcome::Committed`] without
//! touching the database. (Migration 1 created a `cognito_decoys` table for the empty commits the
//! core once sent for hidden users; migration 2 drops it.)
//!
//! There is no other index on these two tables: every statement reads or writes by a primary key.
//! There is no foreign key from the index to the users either: the trait lets an index entry name
//! any `sub`, and the core, not the store, keeps entries and records consistent.
//!
//! [`list`](UserStore::list) (ListUsers) is one `SELECT … WHERE pool_id = ? AND sub > ? ORDER BY
//! sub LIMIT ?` on the primary key of `cognito_users`, so one snapshot, in byte order of `sub`
//! (SQLite's `BINARY` collation compares UTF-8 text as bytes), skipping the decoy record. A
//! commit's [`removals`](Commit::removals) (AdminDeleteUser) are `DELETE … WHERE pool_id = ? AND
//! sub = ? AND version = ?` that must delete one row, in the commit's transaction like its other
//! writes.
//!
//! Migration 3 adds the pool catalog, in the same file and so with the same owner-only mode:
//!
//! * `cognito_pools (pool_id) -> settings`: a pool created through the API; `settings` is the
//!   serde JSON of [`UserPool`](cognito_signup::UserPool), whole, so a member added to it later
//!   needs no migration (and one this version does not know is ignored when read).
//! * `cognito_clients (client_id) -> pool_id, settings`: its app clients; client ids are unique
//!   across pools. `settings` is the serde JSON of [`AppClient`](cognito_signup::AppClient),
//!   **client secret included**: the server needs it to check SecretHash. This crate never prints
//!   it, and its errors name a corrupt row by id and a position in its JSON, never its content.
//!   The index `cognito_clients_by_pool (pool_id, client_id)` lists a pool's clients in order.
//! * `cognito_deleted_pools (pool_id)`: the pools deleted from the catalog.
//!
//! [`delete_pool`](cognito_signup::store::PoolCatalog::delete_pool) is one `BEGIN IMMEDIATE`
//! transaction that deletes the pool's row, its clients, its users and its index entries, and
//! records the pool in `cognito_deleted_pools`. A commit that creates a row (a new record or
//! index entry) checks that table in its transaction and answers `Conflict` for a deleted pool:
//! an operation that read the pool just before the deletion cannot leave a user behind it.
//! Pools the host configures itself are never in the catalog, so they are never refused. Making
//! a pool again under a deleted id
//! ([`insert_pool`](cognito_signup::store::PoolCatalog::insert_pool)) removes the tombstone.
//!
//! Migration 4 gives the catalog versions ([pool-directory]): a `version` column in
//! `cognito_pools` and `cognito_clients`, and the one-row counter `cognito_catalog_versions`.
//! Every insert or replace of a pool or client takes the counter's next value, in its
//! transaction, as the row's version (rows from before the migration are at 0, which no write
//! gives), so a version is never given twice, not even to a pool made again under a deleted
//! pool's id. [`pool_version`](cognito_signup::store::PoolCatalog::pool_version) reads one
//! integer by primary key, and
//! [`client_version`](cognito_signup::store::PoolCatalog::client_version) the client's and its
//! pool's in one statement; no settings are read or parsed. A `CatalogDirectory` keeps what it
//! resolved while these answer the versions it read.
//!
//! The record is kept as JSON text (its serde form) rather than in columns. The store never
//! queries inside it (every lookup goes through the index), it is always read and written whole,
//! and keeping the core's type out of the schema means a new field of [`UserRecord`] needs no
//! migration. The JSON holds what the core keeps: HMAC tags of codes, never codes, and PHC
//! password hashes, never passwords; this crate never prints or logs it, and its errors never
//! carry its content.
//!
//! # Concurrency and durability
//!
//! The database is put in write-ahead-log mode, so readers never wait for the writer. A commit
//! starts with `BEGIN IMMEDIATE`, taking SQLite's write lock at once, and waits for it up to the
//! busy timeout: commits from every connection of every process are serialized by SQLite's own
//! file lock, not by anything in this process. Each precondition is checked by the write that
//! depends on it (see above); the first one that fails rolls the transaction back and the
//! commit answers [`CommitOutcome::Conflict`]. A [`find`](UserStore::find) is one `SELECT`, so it
//! reads one consistent snapshot. With the default `synchronous = FULL` a commit is on disk
//! before it is acknowledged, so neither a crash of the process nor of the machine loses it.
//!
//! Connections come from a small pool ([`SqliteOptions::max_connections`]); the pool only hands
//! out connections and has no part in correctness.

use cognito_signup::store::plan::plan;
use cognito_signup::store::{Commit, CommitOutcome, DECOY_SUB, IndexKey, UserStore, Versioned};
use cognito_signup::{HostError, UserRecord};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod catalog;

/// The migrations, in order: (version, what it does, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "users and index",
        "
    -- One row per user of a pool; version is the compare-and-swap counter of the trait.
    CREATE TABLE cognito_users (
        pool_id TEXT NOT NULL,
        sub     TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record  TEXT NOT NULL,
        PRIMARY KEY (pool_id, sub)
    ) WITHOUT ROWID;
    -- The index of the trait: usernames, subs and verified aliases of a pool, each held by one sub.
    -- The primary key serves every lookup by name and keeps each key unique.
    CREATE TABLE cognito_index (
        pool_id TEXT NOT NULL,
        key     TEXT NOT NULL,
        sub     TEXT NOT NULL,
        PRIMARY KEY (pool_id, key)
    ) WITHOUT ROWID;
    -- Absorbs the write of a commit without writes, which the core sends for a user it must not
    -- reveal [hide-same-work], so it costs the database what a counted failure costs: one write.
    -- Spread over a few slots per pool so that such commits do not all wait for one row.
    CREATE TABLE cognito_decoys (
        pool_id TEXT NOT NULL,
        slot    INTEGER NOT NULL,
        writes  INTEGER NOT NULL,
        PRIMARY KEY (pool_id, slot)
    ) WITHOUT ROWID;
    ",
    ),
    (
        2,
        "drop cognito_decoys",
        "
    -- The core now writes a decoy record for a hidden user, so an empty commit is a plain no-op.
    DROP TABLE IF EXISTS cognito_decoys;
    ",
    ),
    (
        3,
        "pools and clients",
        "
    -- The pools created through the API; settings is the serde JSON of the pool's settings.
    CREATE TABLE cognito_pools (
        pool_id  TEXT NOT NULL PRIMARY KEY,
        settings TEXT NOT NULL
    ) WITHOUT ROWID;
    -- Their app clients, by client id (unique across pools); settings is the serde JSON of the
    -- client's settings, its secret included.
    CREATE TABLE cognito_clients (
        client_id TEXT NOT NULL PRIMARY KEY,
        pool_id   TEXT NOT NULL,
        settings  TEXT NOT NULL
    ) WITHOUT ROWID;
    -- A pool's clients in id order, for listing and for deleting them with the pool.
    CREATE UNIQUE INDEX cognito_clients_by_pool ON cognito_clients (pool_id, client_id);
    -- The pools deleted from the catalog: a commit that would create a row in one of them
    -- (started before the pool was deleted) conflicts instead of leaving a user behind.
    CREATE TABLE cognito_deleted_pools (
        pool_id TEXT NOT NULL PRIMARY KEY
    ) WITHOUT ROWID;
    ",
    ),
    (
        4,
        "catalog versions",
        "
    -- [pool-directory] Every insert or replace of a pool or client takes the next value of this
    -- one counter as the row's version, so a version is never given twice (not even to a pool
    -- made again under a deleted pool's id): a reader that kept a pool or client knows it
    -- current while the row's version is the one it read.
    CREATE TABLE cognito_catalog_versions (
        id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 0),
        last INTEGER NOT NULL
    );
    INSERT INTO cognito_catalog_versions (id, last) VALUES (0, 0);
    -- Rows from before this migration are at version 0, which no later write gives.
    ALTER TABLE cognito_pools ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE cognito_clients ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    ",
    ),
];

/// The latest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 4;

/// How `synchronous` is set on every connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `FULL`: every commit is synced to disk before it is acknowledged; survives power loss.
    #[default]
    Full,
    /// `NORMAL`: in WAL mode, survives a crash of the process but may lose the last commits on
    /// power loss; faster, since only checkpoints sync.
    Normal,
}

/// Options of [`SqliteStore::open_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a commit waits for the write lock held by another connection or process before
    /// it fails (an `Err`, which the operation answers with InternalErrorException). Default 5 s.
    pub busy_timeout: Duration,
    /// The most connections open at once. Default 4.
    pub max_connections: u32,
    /// Durability of each commit. Default [`Synchronous::Full`].
    pub synchronous: Synchronous,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            max_connections: 4,
            synchronous: Synchronous::Full,
        }
    }
}

impl SqliteOptions {
    /// Sets [`busy_timeout`](Self::busy_timeout).
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets [`synchronous`](Self::synchronous).
    #[must_use]
    pub fn synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }
}

/// What can go wrong in this store. No variant carries a record's content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed (I/O, a lock held past the busy timeout, a full disk…).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No connection could be had from the pool.
    #[error("sqlite connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// The database's schema is newer than this crate.
    #[error(
        "the database schema is at version {found}, newer than the {supported} this crate knows"
    )]
    SchemaTooNew {
        /// The version in the database.
        found: i64,
        /// [`SCHEMA_VERSION`].
        supported: i64,
    },
    /// The database could not be put in write-ahead-log mode (e.g. an in-memory database).
    #[error("the database cannot use write-ahead logging (journal mode is {0})")]
    NoWal(String),
    /// The database file could not be created (owner-only, before SQLite opens it).
    #[error("cannot create the database file: {0}")]
    Create(std::io::Error),
    /// A stored row is not what this crate writes.
    #[error("corrupt row of user {sub} in pool {pool_id}: {what}")]
    Corrupt {
        /// The pool.
        pool_id: String,
        /// The user's `sub`.
        sub: String,
        /// What is wrong (a position in the JSON, never its content).
        what: String,
    },
    /// A record could not be encoded.
    #[error("a user record could not be encoded as JSON")]
    Encode,
    /// A pool's or client's settings could not be encoded, or a stored row is not what this
    /// crate writes (the error names the row and a position, never its text: a client's
    /// settings hold its secret).
    #[error(transparent)]
    Settings(#[from] cognito_signup::store::settings::SettingsError),
    /// `PRAGMA integrity_check` found the file damaged; its first finding.
    #[error("the database file is damaged: {0}")]
    Damaged(String),
}

/// Creates a missing database file as an empty file readable and writable by its owner only
/// (mode 0600), so the users' records never sit in a file others can read. SQLite gives the
/// `-wal` and `-shm` files it creates beside the database the database file's mode, so they are
/// owner-only too. An existing file keeps its mode: an operator may share a database with a
/// group on purpose, and the store never widens or narrows what was chosen.
///
/// `:memory:` and the empty path (SQLite's temporary database) name no file.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(());
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Elsewhere SQLite creates the file with the platform's defaults.
#[cfg(not(unix))]
fn create_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Opens connections with the store's settings, for the pool.
#[derive(Debug)]
struct Manager {
    path: PathBuf,
    options: SqliteOptions,
}

impl Manager {
    fn open(&self) -> Result<Connection, rusqlite::Error> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(self.options.busy_timeout)?;
        let sync = match self.options.synchronous {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        Ok(conn)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> Result<Connection, rusqlite::Error> {
        self.open()
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), rusqlite::Error> {
        conn.execute_batch("")
    }

    fn has_broken(&self, _: &mut Connection) -> bool {
        false
    }
}

/// A [`UserStore`] in one SQLite database file; see the [crate docs](crate).
pub struct SqliteStore {
    pool: r2d2::Pool<Manager>,
    path: PathBuf,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` with the default options, puts it
    /// in write-ahead-log mode and migrates its schema.
    ///
    /// # Errors
    /// [`StoreError`] when the file cannot be opened, is not a database, cannot use WAL, or has a
    /// newer schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        create_private(path.as_ref()).map_err(StoreError::Create)?;
        let manager = Manager {
            path: path.as_ref().to_path_buf(),
            options,
        };
        let mut conn = manager.open()?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal(mode));
        }
        migrate(&mut conn)?;
        let path = manager.path.clone();
        let max = manager.options.max_connections.max(1);
        let timeout = manager.options.busy_timeout.max(Duration::from_secs(1));
        let pool = r2d2::Pool::builder()
            .max_size(max)
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(timeout)
            .build_unchecked(manager);
        drop(conn);
        Ok(Self { pool, path })
    }

    /// The schema version of the database (the last migration applied).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let conn = self.pool.get()?;
        Ok(current_version(&conn)?)
    }

    /// Runs SQLite's `PRAGMA integrity_check` over the whole file (for tests and tools, e.g. after
    /// a crash; it reads every page, so it is slow on a large database).
    ///
    /// # Errors
    /// [`StoreError::Damaged`] with the first problem found, or [`StoreError`] when the file
    /// cannot be read.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let conn = self.pool.get()?;
        let first: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if first == "ok" {
            Ok(())
        } else {
            Err(StoreError::Damaged(first))
        }
    }

    /// Every record of a pool with its version, ordered by `sub` (for tests and tools).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read or a row is corrupt.
    pub fn records(&self, pool_id: &str) -> Result<Vec<Versioned<UserRecord>>, StoreError> {
        let conn = self.pool.get()?;
        let mut stmt = conn.prepare_cached(
            "SELECT sub, version, record FROM cognito_users WHERE pool_id = ?1 ORDER BY sub",
        )?;
        let rows = stmt.query_map([pool_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sub, version, json) = row?;
            out.push(decode(pool_id, &sub, version, &json)?);
        }
        Ok(out)
    }

    /// Every index entry of a pool as (key, sub), ordered by key (for tests and tools).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read.
    pub fn index(&self, pool_id: &str) -> Result<Vec<(IndexKey, String)>, StoreError> {
        let conn = self.pool.get()?;
        let mut stmt = conn
            .prepare_cached("SELECT key, sub FROM cognito_index WHERE pool_id = ?1 ORDER BY key")?;
        let rows = stmt.query_map([pool_id], |r| {
            Ok((IndexKey::from_stored(r.get(0)?), r.get(1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn find_inner(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        if keys.is_empty() {
            return Ok(None);
        }
        let keys_json =
            serde_json::to_string(&keys.iter().map(IndexKey::as_str).collect::<Vec<_>>())
                .map_err(|_| StoreError::Encode)?;
        let conn = self.pool.get()?;
        // One statement, so one snapshot: the first key (in the order given) that the index
        // holds, and the record of its holder, if there is one.
        let mut stmt = conn.prepare_cached(
            "SELECT i.sub, u.version, u.record
               FROM json_each(?2) AS k
               JOIN cognito_index AS i ON i.pool_id = ?1 AND i.key = k.value
               LEFT JOIN cognito_users AS u ON u.pool_id = ?1 AND u.sub = i.sub
              ORDER BY k.key
              LIMIT 1",
        )?;
        let row = stmt
            .query_row(params![pool_id, keys_json], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .optional()?;
        match row {
            Some((sub, Some(version), Some(json))) => {
                Ok(Some(decode(pool_id, &sub, version, &json)?))
            }
            // No key is held, or the holder's record is missing: the memory store answers
            // nothing too.
            _ => Ok(None),
        }
    }

    fn list_inner(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, StoreError> {
        // More rows than SQLite can count are all of them.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.pool.get()?;
        // One statement, so one snapshot; the primary key (pool_id, sub) serves the range and
        // the order, and `sub` compares as bytes (the BINARY collation).
        let mut stmt = match after {
            None => conn.prepare_cached(
                "SELECT sub, version, record FROM cognito_users
                  WHERE pool_id = ?1 AND sub <> ?3
                  ORDER BY sub LIMIT ?4",
            )?,
            Some(_) => conn.prepare_cached(
                "SELECT sub, version, record FROM cognito_users
                  WHERE pool_id = ?1 AND sub > ?2 AND sub <> ?3
                  ORDER BY sub LIMIT ?4",
            )?,
        };
        let rows = stmt.query_map(params![pool_id, after, DECOY_SUB, limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (sub, version, json) = row?;
            out.push(decode(pool_id, &sub, version, &json)?);
        }
        Ok(out)
    }

    fn commit_inner(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, StoreError> {
        let Some(plan) = plan(commit) else {
            return Ok(CommitOutcome::Conflict);
        };
        if plan.records.is_empty() && plan.removals.is_empty() && plan.index.is_empty() {
            // No precondition to check and nothing to write.
            return Ok(CommitOutcome::Committed);
        }
        // Whether the commit may create a row (a record or an index entry).
        let creates = plan.records.iter().any(|op| op.expected_version.is_none())
            || plan.index.iter().any(|op| op.expected.is_none());
        let mut encoded = Vec::with_capacity(plan.records.len());
        for op in &plan.records {
            encoded.push(serde_json::to_string(op.record).map_err(|_| StoreError::Encode)?);
        }
        let mut conn = self.pool.get()?;
        // Takes SQLite's write lock now (waiting up to the busy timeout), so that no other
        // connection or process writes between our checks and our writes. Dropping the
        // transaction without `commit` rolls it back.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if creates
            && tx
                .prepare_cached("SELECT 1 FROM cognito_deleted_pools WHERE pool_id = ?1")?
                .exists([pool_id])?
        {
            // The pool was deleted after the operation read it: nothing of it may come back.
            return Ok(CommitOutcome::Conflict);
        }
        for op in &plan.removals {
            // A version past i64::MAX cannot be stored, so cannot match.
            let Ok(expected) = i64::try_from(op.expected_version) else {
                return Ok(CommitOutcome::Conflict);
            };
            let changed = tx
                .prepare_cached(
                    "DELETE FROM cognito_users WHERE pool_id = ?1 AND sub = ?2 AND version = ?3",
                )?
                .execute(params![pool_id, op.sub, expected])?;
            if changed != 1 {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for (op, json) in plan.records.iter().zip(&encoded) {
            let sub = op.record.sub.as_str();
            let changed = match op.expected_version {
                None => tx
                    .prepare_cached(
                        "INSERT INTO cognito_users (pool_id, sub, version, record)
                         VALUES (?1, ?2, 1, ?3) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![pool_id, sub, json])?,
                Some(expected) => {
                    // A version past i64::MAX cannot be stored, so cannot match.
                    let Ok(expected) = i64::try_from(expected) else {
                        return Ok(CommitOutcome::Conflict);
                    };
                    tx.prepare_cached(
                        "UPDATE cognito_users SET version = version + 1, record = ?4
                          WHERE pool_id = ?1 AND sub = ?2 AND version = ?3",
                    )?
                    .execute(params![pool_id, sub, expected, json])?
                }
            };
            if changed != 1 {
                return Ok(CommitOutcome::Conflict);
            }
        }
        for op in &plan.index {
            let changed = match (op.expected, op.new) {
                (None, Some(new)) => tx
                    .prepare_cached(
                        "INSERT INTO cognito_index (pool_id, key, sub) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![pool_id, op.key, new])?,
                (Some(old), Some(new)) => tx
                    .prepare_cached(
                        "UPDATE cognito_index SET sub = ?4
                          WHERE pool_id = ?1 AND key = ?2 AND sub = ?3",
                    )?
                    .execute(params![pool_id, op.key, old, new])?,
                (Some(old), None) => tx
                    .prepare_cached(
                        "DELETE FROM cognito_index WHERE pool_id = ?1 AND key = ?2 AND sub = ?3",
                    )?
                    .execute(params![pool_id, op.key, old])?,
                (None, None) => {
                    // The key must be absent and stays so: the write lock keeps it absent
                    // until we commit.
                    let held = tx
                        .prepare_cached(
                            "SELECT 1 FROM cognito_index WHERE pool_id = ?1 AND key = ?2",
                        )?
                        .exists(params![pool_id, op.key])?;
                    usize::from(!held)
                }
            };
            if changed != 1 {
                return Ok(CommitOutcome::Conflict);
            }
        }
        tx.commit()?;
        Ok(CommitOutcome::Committed)
    }
}

impl UserStore for SqliteStore {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        Ok(self.find_inner(pool_id, keys)?)
    }

    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        Ok(self.commit_inner(pool_id, commit)?)
    }

    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        Ok(self.list_inner(pool_id, after, limit)?)
    }
}

/// A row read back as a record, checked to be what this crate writes.
fn decode(
    pool_id: &str,
    sub: &str,
    version: i64,
    json: &str,
) -> Result<Versioned<UserRecord>, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt {
        pool_id: pool_id.to_owned(),
        sub: sub.to_owned(),
        what,
    };
    let version = u64::try_from(version)
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| corrupt(format!("version {version}")))?;
    // serde_json's messages may quote the input: keep only where it failed.
    let value: UserRecord = serde_json::from_str(json).map_err(|e| {
        corrupt(format!(
            "record JSON does not parse ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    if value.sub != sub {
        return Err(corrupt("the record's sub differs from its key".into()));
    }
    Ok(Versioned { version, value })
}

fn current_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM cognito_signup_migrations",
        [],
        |r| r.get(0),
    )
}

/// Creates the migrations table and applies every migration the database lacks, in one
/// transaction that holds the write lock, so two processes opening one file at once apply each
/// migration once.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Which migrations the database has had; the newest is the schema version.
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS cognito_signup_migrations (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL
        )",
    )?;
    let found = current_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, description, sql) in MIGRATIONS {
        if *version > found {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO cognito_signup_migrations (version, description) VALUES (?1, ?2)",
                params![version, description],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

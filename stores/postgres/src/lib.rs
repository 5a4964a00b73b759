//! A durable [`UserStore`] for [`cognito_signup`] on PostgreSQL, for hosts that run many nodes
//! over one database.
//!
//! What it does: keeps each pool's user records and index in two tables, and the pools and app
//! clients created through the API ([`PoolCatalog`](cognito_signup::store::PoolCatalog)) in two
//! more, and applies every [`Commit`] as one transaction whose preconditions the database checks
//! with the writes themselves, so that any number of processes on any number of machines can
//! commit concurrently without losing an update. What it does not: it keeps no cache and it
//! never logs. It speaks TLS (rustls) when the connection string asks for it, and never falls
//! back to plain text once asked: see [TLS](#tls).
//!
//! ```no_run
//! use cognito_signup::{AppClient, CodeKeys, Driver, StaticDirectory, UserPool};
//! use cognito_signup_postgres::PostgresStore;
//! use std::sync::Arc;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A URL or a key=value string; creates or migrates the tables on first use.
//! let store = PostgresStore::connect("postgres://cognito:secret@127.0.0.1:5432/users")?;
//! let mut directory = StaticDirectory::new();
//! directory.add_pool(UserPool::new("us-east-1_Example"), CodeKeys::new(&[[7u8; 32]])?);
//! directory.add_client("us-east-1_Example", AppClient::new("exampleclient"))?;
//! let cognito = Driver::new(store, Arc::new(directory));
//! # Ok(())
//! # }
//! ```
//!
//! # TLS
//!
//! The connection string's `sslmode` and `sslrootcert` (URL query parameters or `key=value`
//! pairs, with libpq's names) choose the channel; the store reads them itself, since the
//! `postgres` crate knows neither `verify-ca`, `verify-full` nor `sslrootcert`.
//!
//! | `sslmode` | channel | the server's certificate |
//! | --- | --- | --- |
//! | none, `disable` | plain text | - |
//! | `require` | TLS or no connection | not checked; with `sslrootcert`, as `verify-ca` |
//! | `verify-ca` | TLS or no connection | its chain leads to a trusted root |
//! | `verify-full` | TLS or no connection | as `verify-ca`, and it is for the host connected to |
//! | `prefer`, `allow` | refused: [`StoreError::Config`] | - |
//!
//! * Trusted roots: the certificates of the PEM file `sslrootcert` names; without it (or with
//!   `sslrootcert=system`), Mozilla's roots as bundled by `webpki-roots`. A file that cannot be
//!   read or holds no certificate is [`StoreError::Tls`], before any connection is made.
//! * `require` keeps libpq's meaning (encrypt; check the chain only when `sslrootcert` is
//!   given): it is what a URL written for libpq asks, and a store that checked more would
//!   refuse servers libpq accepts. Even then the server must prove it holds the key of the
//!   certificate it shows, but nothing says whose certificate that is, so `require` keeps off
//!   eavesdroppers, not someone in the middle. Use `verify-full` across networks you do not
//!   control.
//! * `prefer` and `allow` are refused rather than honoured: both may end in plain text (libpq's
//!   `prefer` falls back when the server has no TLS, and `allow` starts without it), and a
//!   password hash or a code's tag must not cross the network in the clear because a server was
//!   misconfigured. Say `disable` for plain text.
//! * No `sslmode` is plain text, as before TLS was supported (libpq's default `prefer` would try
//!   TLS first; this store does nothing it is not asked to). `sslrootcert` without a mode that
//!   uses TLS is refused as a likely mistake.
//! * The name `verify-full` checks is the connection string's `host` (a name or an address,
//!   which the certificate must list), also when `hostaddr` says where to connect. PostgreSQL
//!   has no TLS over a Unix socket, so a mode that uses TLS fails to connect there.
//! * Key exchange and ciphers: rustls with the `ring` provider, TLS 1.2 and 1.3.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = cognito_signup_postgres::PostgresStore::connect(
//!     "postgres://cognito@db.internal:5432/users?sslmode=verify-full&sslrootcert=/etc/cognito/db-ca.pem",
//! )?;
//! # Ok(())
//! # }
//! ```
//!
//! # Schema
//!
//! [`PostgresStore::connect`] creates and migrates the schema, holding a transaction-level
//! advisory lock so that nodes starting together migrate once; the table
//! `cognito_signup_migrations` lists the migrations applied, and a schema newer than this crate
//! is refused ([`StoreError::SchemaTooNew`]). [`PostgresOptions::schema`] puts the tables in a
//! schema of their own.
//!
//! * `cognito_users (pool_id, sub) -> version, record`: one row per user. The primary key is the
//!   record's identity in the trait; `version` is the compare-and-swap counter: a write is
//!   `UPDATE … WHERE pool_id = $1 AND sub = $2 AND version = $3` and succeeds only if it changed
//!   exactly one row; a new record is an `INSERT … ON CONFLICT DO NOTHING` that must insert one.
//! * `cognito_index (pool_id, key) -> sub`: the index of the trait. Usernames (folded when the
//!   pool is case-insensitive), `sub`s and verified aliases all live here as the opaque strings
//!   of [`IndexKey::as_str`], so the primary key both serves every lookup by name and makes a
//!   key impossible to hold twice: two users cannot own one alias. Claims are inserts that must
//!   insert one row; moves and removals are `UPDATE`/`DELETE … WHERE key = $2 AND sub = $3`
//!   that must touch one.
//!
//! The pool's decoy record (`docs/behaviour.md` [hide-same-work]; see
//! [`cognito_signup::store::DECOY_SUB`]) is an ordinary row of `cognito_users` (`sub` is the nil
//! UUID) with one row in `cognito_index`, the key `d:`. The core creates it with the first
//! ConfirmSignUp for a missing user under `PreventUserExistenceErrors=ENABLED` and counts later
//! ones as failures on it, with the usual compare-and-swap: the store treats it like any other
//! record. A commit without writes is valid and answers [`CommitOutcome::Committed`] without a
//! statement. (Migration 1 created a `cognito_decoys` table for the empty commits the core once
//! sent for hidden users; migration 2 drops it.)
//!
//! Keys and ids use the `"C"` collation: they are compared as bytes, as the trait says, whatever
//! the database's locale, and comparing bytes is the cheapest comparison there is. There is no
//! other index on these two tables (every statement reads or writes by a primary key) and no
//! foreign key from the index to the users (the trait lets an entry name any `sub`; the core
//! keeps them consistent).
//!
//! [`list`](UserStore::list) (ListUsers) is one `SELECT … WHERE pool_id = $1 AND sub > $4 ORDER
//! BY sub LIMIT $3` on the primary key of `cognito_users`, so one snapshot, in byte order of
//! `sub`, skipping the decoy record. A commit's [`removals`](Commit::removals) (AdminDeleteUser)
//! are `DELETE … WHERE pool_id = $1 AND sub = $2 AND version = $3` that must delete one row,
//! issued in `sub` order with the commit's record writes.
//!
//! Migration 3 adds the pool catalog:
//!
//! * `cognito_pools (pool_id) -> settings`: a pool created through the API; `settings` is the
//!   serde JSON of [`UserPool`](cognito_signup::UserPool), whole, so a member added to it later
//!   needs no migration (and one this version does not know is ignored when read).
//! * `cognito_clients (client_id) -> pool_id, settings`: its app clients; client ids are unique
//!   across pools, and a foreign key (`ON DELETE CASCADE`) keeps a client from outliving its
//!   pool. `settings` is the serde JSON of [`AppClient`](cognito_signup::AppClient), **client
//!   secret included**: the servers need it to check SecretHash, so whoever can read the table
//!   can read the secrets; grant it as you would the users'. This crate never prints it, and its
//!   errors name a corrupt row by id and a position in its JSON, never its content. The index
//!   `cognito_clients_by_pool (pool_id, client_id)` lists a pool's clients in order.
//! * `cognito_deleted_pools (pool_id)`: the pools deleted from the catalog.
//!
//! [`delete_pool`](cognito_signup::store::PoolCatalog::delete_pool) is one transaction that
//! deletes the pool's row (and so its clients), its users and its index entries, and records the
//! pool in `cognito_deleted_pools`. A commit that creates a row (a new record or index entry)
//! inserts it only if the pool is not in that table, so an operation that read the pool just
//! before the deletion cannot leave a user behind it. At READ COMMITTED that check needs an
//! order: such a commit first takes a shared transaction-level advisory lock on the pool (keyed
//! by the schema and the pool id), and `delete_pool` takes it exclusively before deleting
//! anything, so a deletion waits for the commits creating rows in its pool and later ones read
//! the tombstone (each statement reads a snapshot taken after the lock was granted). This costs
//! such commits (SignUp, the first hidden ConfirmSignUp of a pool, an alias claim) one statement
//! more and never touches other pools. Pools the host configures itself are never in the
//! catalog, so they are never refused. Making a pool again under a deleted id
//! ([`insert_pool`](cognito_signup::store::PoolCatalog::insert_pool)) removes the tombstone.
//!
//! Migration 4 gives the catalog versions ([pool-directory]): a `version` column in
//! `cognito_pools` and `cognito_clients`, and the sequence `cognito_catalog_versions`. Every
//! insert or replace of a pool or client sets the row's version to the sequence's next value
//! (rows from before the migration are at 0, which the sequence never gives), so a version is
//! never given twice, not even to a pool made again under a deleted pool's id, and every server
//! on the database draws from the same sequence.
//! [`pool_version`](cognito_signup::store::PoolCatalog::pool_version) reads one integer by
//! primary key, and [`client_version`](cognito_signup::store::PoolCatalog::client_version) the
//! client's and its pool's in one statement; no settings are read or parsed. A
//! `CatalogDirectory` keeps what it resolved while these answer the versions it read.
//!
//! The record is kept as JSON text (its serde form) rather than in columns: the store never
//! queries inside it, it is always read and written whole, and keeping the core's type out of
//! the schema means a new field of [`UserRecord`] needs no migration. It is `text`, not `jsonb`,
//! so that what is read back is byte for byte what was written (`jsonb` rejects some strings
//! JSON allows); an operator can still cast it to `jsonb` in a query. It holds HMAC tags of
//! codes, never codes, and PHC password hashes, never passwords; this crate never prints it,
//! and its errors keep only PostgreSQL's SQLSTATE and primary message, never the `DETAIL` that
//! may quote a row.
//!
//! # Isolation
//!
//! A commit runs at READ COMMITTED. Every precondition is checked by the write that depends on
//! it, and each such write locks what it checked until the transaction ends: a conditional
//! `UPDATE`/`DELETE` locks its row, and if a concurrent transaction changed that row first,
//! PostgreSQL re-evaluates the condition on the committed row, so a stale version or holder
//! changes nothing and is seen; an `INSERT … ON CONFLICT DO NOTHING` waits for a concurrent
//! insert of the same key and inserts nothing if that one commits. The first write that changes
//! no row rolls the transaction back and the commit answers [`CommitOutcome::Conflict`]. Writes
//! are issued in one order (records written or removed by `sub`, then keys), which keeps
//! commits from deadlocking each other; a deadlock, serialization failure or unique violation
//! the server reports anyway is answered as `Conflict` (safe: the operation re-reads and decides
//! again). A commit of a single write that creates no row is a single autocommitted statement.
//! A [`find`](UserStore::find) is one statement, so it reads one snapshot.

use cognito_signup::store::plan::{IndexOp, RecordOp, RemovalOp, plan};
use cognito_signup::store::{Commit, CommitOutcome, DECOY_SUB, IndexKey, UserStore, Versioned};
use cognito_signup::{HostError, UserRecord};
use postgres::error::SqlState;
use postgres::{Client, IsolationLevel, NoTls, Statement};
use std::fmt;
use tokio_postgres_rustls::MakeRustlsConnect;

mod catalog;
mod tls;
use std::str::FromStr;
use std::time::Duration;

/// The migrations, in order: (version, what it does, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "users and index",
        r#"
    -- One row per user of a pool; version is the compare-and-swap counter of the trait.
    CREATE TABLE cognito_users (
        pool_id text COLLATE "C" NOT NULL,
        sub     text COLLATE "C" NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        record  text NOT NULL,
        PRIMARY KEY (pool_id, sub)
    );
    -- The index of the trait: usernames, subs and verified aliases of a pool, each held by one sub.
    -- The primary key serves every lookup by name and keeps each key unique.
    CREATE TABLE cognito_index (
        pool_id text COLLATE "C" NOT NULL,
        key     text COLLATE "C" NOT NULL,
        sub     text COLLATE "C" NOT NULL,
        PRIMARY KEY (pool_id, key)
    );
    -- Absorbs the write of a commit without writes, which the core sends for a user it must not
    -- reveal [hide-same-work], so it costs the database what a counted failure costs: one write.
    -- Spread over a few slots per pool so that such commits do not all wait for one row.
    CREATE TABLE cognito_decoys (
        pool_id text COLLATE "C" NOT NULL,
        slot    integer NOT NULL,
        writes  bigint NOT NULL,
        PRIMARY KEY (pool_id, slot)
    );
    "#,
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
        r#"
    -- The pools created through the API; settings is the serde JSON of the pool's settings.
    CREATE TABLE cognito_pools (
        pool_id  text COLLATE "C" PRIMARY KEY,
        settings text NOT NULL
    );
    -- Their app clients, by client id (unique across pools); settings is the serde JSON of the
    -- client's settings, its secret included. A client cannot outlive its pool.
    CREATE TABLE cognito_clients (
        client_id text COLLATE "C" PRIMARY KEY,
        pool_id   text COLLATE "C" NOT NULL
                  REFERENCES cognito_pools (pool_id) ON DELETE CASCADE,
        settings  text NOT NULL
    );
    -- A pool's clients in id order, for listing and for deleting them with the pool.
    CREATE UNIQUE INDEX cognito_clients_by_pool ON cognito_clients (pool_id, client_id);
    -- The pools deleted from the catalog: a commit that would create a row in one of them
    -- (started before the pool was deleted) conflicts instead of leaving a user behind.
    CREATE TABLE cognito_deleted_pools (
        pool_id text COLLATE "C" PRIMARY KEY
    );
    "#,
    ),
    (
        4,
        "catalog versions",
        "
    -- [pool-directory] Every insert or replace of a pool or client takes the next value of this
    -- sequence as the row's version, so a version is never given twice (not even to a pool made
    -- again under a deleted pool's id): a reader that kept a pool or client knows it current
    -- while the row's version is the one it read.
    CREATE SEQUENCE cognito_catalog_versions;
    -- Rows from before this migration are at version 0, which the sequence never gives.
    ALTER TABLE cognito_pools ADD COLUMN version bigint NOT NULL DEFAULT 0;
    ALTER TABLE cognito_clients ADD COLUMN version bigint NOT NULL DEFAULT 0;
    ",
    ),
];

/// The latest schema version this crate knows.
pub const SCHEMA_VERSION: i64 = 4;

/// The first key of the advisory locks that order a pool's deletion against the commits that
/// create rows in it (the second key is a hash of the schema and the pool id).
const POOL_GATE: i32 = 0x636f_6731;

/// The second key of a pool's gate: the pool in this schema (pools of the same id in other
/// schemas of the database are other pools). A collision only makes two pools share a gate.
const GATE_KEY: &str = "hashtext(current_schema() || '/' || $1::text)";

/// The advisory lock that serializes migrations of one database.
const MIGRATION_LOCK: i64 = 0x636f_676e_6974_6f31;

/// Options of [`PostgresStore::connect_with`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PostgresOptions {
    /// The schema of the tables, created if missing; `None` uses the connection's
    /// `search_path` (normally `public`). Letters, digits and `_`, not starting with a digit,
    /// at most 63 bytes.
    pub schema: Option<String>,
    /// The most connections open at once. Default 8.
    pub max_connections: u32,
    /// How long to wait for a connection, new or from the pool. Default 10 s.
    pub connect_timeout: Duration,
    /// How long a statement waits for a row lock before it fails (`lock_timeout`; an `Err`,
    /// which the operation answers with InternalErrorException). Default 5 s.
    pub lock_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self {
            schema: None,
            max_connections: 8,
            connect_timeout: Duration::from_secs(10),
            lock_timeout: Duration::from_secs(5),
        }
    }
}

impl PostgresOptions {
    /// Sets [`schema`](Self::schema).
    #[must_use]
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (at least 1).
    #[must_use]
    pub fn max_connections(mut self, n: u32) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Sets [`connect_timeout`](Self::connect_timeout).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`lock_timeout`](Self::lock_timeout).
    #[must_use]
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }
}

/// What can go wrong in this store. No variant carries a record's content or a password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The connection string does not parse, or asks for something this store does not do
    /// (such as an `sslmode` that may fall back to plain text).
    #[error("invalid PostgreSQL connection string: {0}")]
    Config(String),
    /// The TLS the connection string asks for cannot be set up (the `sslrootcert` file cannot
    /// be read or holds no certificate).
    #[error("PostgreSQL TLS: {0}")]
    Tls(String),
    /// The schema name is not a plain identifier.
    #[error("invalid schema name (letters, digits and _, not starting with a digit, at most 63)")]
    InvalidSchemaName,
    /// The server answered an error: its SQLSTATE and primary message (never its detail).
    #[error("postgres error {code}: {message}")]
    Database {
        /// The SQLSTATE, e.g. `55P03`.
        code: String,
        /// The primary message.
        message: String,
    },
    /// The connection failed or closed.
    #[error("postgres connection: {0}")]
    Connection(String),
    /// No connection could be had from the pool in time.
    #[error("postgres connection pool: {0}")]
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
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => StoreError::Database {
                code: db.code().code().to_owned(),
                message: db.message().to_owned(),
            },
            None => {
                // The causes too (a refused connection, a certificate's fault): they name no
                // secret, and without them a failed TLS handshake does not say why.
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    text.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                StoreError::Connection(text)
            }
        }
    }
}

/// Whether the server's error means that a concurrent commit won: safe to answer `Conflict`.
fn is_conflict(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

/// The statements of a connection, prepared once when it opens.
struct Prepared {
    find: Statement,
    /// Takes the shared side of the pool's gate (see [`POOL_GATE`]).
    gate: Statement,
    insert_user: Statement,
    update_user: Statement,
    delete_user: Statement,
    insert_index: Statement,
    move_index: Statement,
    delete_index: Statement,
    /// A pool's settings, read when a directory over the catalog resolves it.
    pool_settings: Statement,
    /// A client's pool and settings, likewise.
    client_settings: Statement,
    /// A pool's version, read on every call by a directory over the catalog.
    pool_version: Statement,
    /// A client's version and its pool's, likewise.
    client_version: Statement,
}

/// A pooled connection with its prepared statements.
struct Connection {
    client: Client,
    stmts: Prepared,
}

/// Opens connections with the store's settings, for the pool.
struct Manager {
    config: postgres::Config,
    /// TLS for every connection, or `None` for plain text (`sslmode=disable` or none).
    tls: Option<MakeRustlsConnect>,
    options: PostgresOptions,
}

impl Manager {
    fn client(&self) -> Result<Client, StoreError> {
        let mut client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone())?,
            None => self.config.connect(NoTls)?,
        };
        let mut setup = format!(
            "SET lock_timeout = {}",
            self.options.lock_timeout.as_millis().max(1)
        );
        if let Some(schema) = &self.options.schema {
            setup.push_str(&format!("; SET search_path TO \"{schema}\""));
        }
        client.batch_execute(&setup)?;
        Ok(client)
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let mut client = self.client()?;
        let stmts = Prepared {
            // One statement, so one snapshot: the first key (in the order given) that the
            // index holds, and the record of its holder, if there is one.
            find: client.prepare(
                "SELECT i.sub, u.version, u.record
                   FROM unnest($2::text[]) WITH ORDINALITY AS k(key, ord)
                   JOIN cognito_index AS i ON i.pool_id = $1 AND i.key = k.key
                   LEFT JOIN cognito_users AS u ON u.pool_id = $1 AND u.sub = i.sub
                  ORDER BY k.ord
                  LIMIT 1",
            )?,
            gate: client.prepare(&format!(
                "SELECT pg_advisory_xact_lock_shared({POOL_GATE}, {GATE_KEY})"
            ))?,
            // Nothing is created in a deleted pool.
            insert_user: client.prepare(
                "INSERT INTO cognito_users (pool_id, sub, version, record)
                 SELECT $1::text, $2::text, 1, $3::text
                  WHERE NOT EXISTS (SELECT 1 FROM cognito_deleted_pools WHERE pool_id = $1)
                 ON CONFLICT DO NOTHING",
            )?,
            update_user: client.prepare(
                "UPDATE cognito_users SET version = version + 1, record = $4
                  WHERE pool_id = $1 AND sub = $2 AND version = $3",
            )?,
            delete_user: client.prepare(
                "DELETE FROM cognito_users WHERE pool_id = $1 AND sub = $2 AND version = $3",
            )?,
            insert_index: client.prepare(
                "INSERT INTO cognito_index (pool_id, key, sub)
                 SELECT $1::text, $2::text, $3::text
                  WHERE NOT EXISTS (SELECT 1 FROM cognito_deleted_pools WHERE pool_id = $1)
                 ON CONFLICT DO NOTHING",
            )?,
            move_index: client.prepare(
                "UPDATE cognito_index SET sub = $4 WHERE pool_id = $1 AND key = $2 AND sub = $3",
            )?,
            delete_index: client.prepare(
                "DELETE FROM cognito_index WHERE pool_id = $1 AND key = $2 AND sub = $3",
            )?,
            pool_settings: client
                .prepare("SELECT settings FROM cognito_pools WHERE pool_id = $1")?,
            client_settings: client
                .prepare("SELECT pool_id, settings FROM cognito_clients WHERE client_id = $1")?,
            pool_version: client.prepare("SELECT version FROM cognito_pools WHERE pool_id = $1")?,
            // One statement, so one snapshot: the client's version and its pool's.
            client_version: client.prepare(
                "SELECT c.version, p.version FROM cognito_clients AS c
                   JOIN cognito_pools AS p ON p.pool_id = c.pool_id
                  WHERE c.client_id = $1",
            )?,
        };
        Ok(Connection { client, stmts })
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = StoreError;

    fn connect(&self) -> Result<Connection, StoreError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), StoreError> {
        Ok(conn.client.batch_execute("")?)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.client.is_closed()
    }
}

/// A [`UserStore`] in a PostgreSQL database; see the [crate docs](crate).
pub struct PostgresStore {
    pool: r2d2::Pool<Manager>,
    schema: Option<String>,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection string may hold a password: never printed.
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// The outcome of one write inside a transaction: go on, or stop with this outcome.
type Step = Result<bool, StoreError>;

impl PostgresStore {
    /// Connects with the default options (`url` is a `postgres://` URL or a `key=value`
    /// connection string), creating or migrating the tables. Its `sslmode` and `sslrootcert`
    /// choose TLS, as the [crate docs](crate#tls) say.
    ///
    /// # Errors
    /// [`StoreError`] when the string does not parse or asks for an `sslmode` that may fall
    /// back to plain text, the `sslrootcert` file cannot be read, the server cannot be reached
    /// or its certificate is refused, or the schema is newer than this crate.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, PostgresOptions::default())
    }

    /// [`connect`](Self::connect) with options.
    ///
    /// # Errors
    /// As [`connect`](Self::connect), and [`StoreError::InvalidSchemaName`].
    pub fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let split = tls::split(url)?;
        let tls = tls::client_config(&split)?.map(MakeRustlsConnect::new);
        let mut config = postgres::Config::from_str(&split.rest)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        // TLS or nothing when asked for; never TLS the store has not been asked for.
        config.ssl_mode(if tls.is_some() {
            postgres::config::SslMode::Require
        } else {
            postgres::config::SslMode::Disable
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(options.connect_timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("cognito-signup");
        }
        if let Some(schema) = &options.schema {
            if !valid_identifier(schema) {
                return Err(StoreError::InvalidSchemaName);
            }
        }
        let manager = Manager {
            config,
            tls,
            options,
        };
        let mut client = manager.client()?;
        migrate(&mut client, manager.options.schema.as_deref())?;
        drop(client);
        let schema = manager.options.schema.clone();
        let pool = r2d2::Pool::builder()
            .max_size(manager.options.max_connections.max(1))
            .min_idle(Some(0))
            .test_on_check_out(false)
            .connection_timeout(
                manager
                    .options
                    .connect_timeout
                    .max(Duration::from_millis(1)),
            )
            .build_unchecked(manager);
        Ok(Self { pool, schema })
    }

    /// The schema version of the database (the last migration applied).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self.pool.get()?;
        current_version(&mut conn.client)
    }

    /// Every record of a pool with its version, ordered by `sub` (for tests and tools).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read or a row is corrupt.
    pub fn records(&self, pool_id: &str) -> Result<Vec<Versioned<UserRecord>>, StoreError> {
        let mut conn = self.pool.get()?;
        let rows = conn.client.query(
            "SELECT sub, version, record FROM cognito_users WHERE pool_id = $1 ORDER BY sub",
            &[&pool_id],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let sub: String = row.try_get(0)?;
            out.push(decode(pool_id, &sub, row.try_get(1)?, row.try_get(2)?)?);
        }
        Ok(out)
    }

    /// Every index entry of a pool as (key, sub), ordered by key (for tests and tools).
    ///
    /// # Errors
    /// [`StoreError`] when the database cannot be read.
    pub fn index(&self, pool_id: &str) -> Result<Vec<(IndexKey, String)>, StoreError> {
        let mut conn = self.pool.get()?;
        let rows = conn.client.query(
            "SELECT key, sub FROM cognito_index WHERE pool_id = $1 ORDER BY key",
            &[&pool_id],
        )?;
        rows.into_iter()
            .map(|r| Ok((IndexKey::from_stored(r.try_get(0)?), r.try_get(1)?)))
            .collect()
    }

    fn find_inner(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, StoreError> {
        if keys.is_empty() {
            return Ok(None);
        }
        let keys: Vec<&str> = keys.iter().map(IndexKey::as_str).collect();
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        let Some(row) = client.query_opt(&stmts.find, &[&pool_id, &keys])? else {
            return Ok(None);
        };
        let sub: String = row.try_get(0)?;
        match (
            row.try_get::<_, Option<i64>>(1)?,
            row.try_get::<_, Option<String>>(2)?,
        ) {
            (Some(version), Some(json)) => Ok(Some(decode(pool_id, &sub, version, json)?)),
            // The holder's record is missing: the memory store answers nothing too.
            _ => Ok(None),
        }
    }

    fn list_inner(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, StoreError> {
        // More rows than PostgreSQL can count are all of them.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut conn = self.pool.get()?;
        // One statement, so one snapshot; the primary key (pool_id, sub) serves the range and
        // the order, and `sub` compares as bytes (the "C" collation).
        let rows = match after {
            None => conn.client.query(
                "SELECT sub, version, record FROM cognito_users
                  WHERE pool_id = $1 AND sub <> $2
                  ORDER BY sub LIMIT $3",
                &[&pool_id, &DECOY_SUB, &limit],
            )?,
            Some(after) => conn.client.query(
                "SELECT sub, version, record FROM cognito_users
                  WHERE pool_id = $1 AND sub <> $2 AND sub > $4
                  ORDER BY sub LIMIT $3",
                &[&pool_id, &DECOY_SUB, &limit, &after],
            )?,
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let sub: String = row.try_get(0)?;
            out.push(decode(pool_id, &sub, row.try_get(1)?, row.try_get(2)?)?);
        }
        Ok(out)
    }

    fn commit_inner(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, StoreError> {
        let Some(plan) = plan(commit) else {
            return Ok(CommitOutcome::Conflict);
        };
        let writes = plan
            .records
            .len()
            .saturating_add(plan.removals.len())
            .saturating_add(plan.index.len());
        if writes == 0 {
            // No precondition to check and nothing to write.
            return Ok(CommitOutcome::Committed);
        }
        let mut encoded = Vec::with_capacity(plan.records.len());
        for op in &plan.records {
            encoded.push(serde_json::to_string(op.record).map_err(|_| StoreError::Encode)?);
        }
        let mut conn = self.pool.get()?;
        let Connection { client, stmts } = &mut *conn;
        // Whether the commit may create a row (a record or an index entry; asserting that a key
        // is absent claims it for a moment too).
        let creates = plan.records.iter().any(|op| op.expected_version.is_none())
            || plan.index.iter().any(|op| op.expected.is_none());
        if writes == 1 && !creates {
            // One statement is atomic on its own: no transaction, one round trip.
            let held = match (
                plan.records.first(),
                encoded.first(),
                plan.removals.first(),
                plan.index.first(),
            ) {
                (Some(op), Some(json), _, _) => write_record(client, stmts, pool_id, op, json),
                (_, _, Some(op), _) => remove_record(client, stmts, pool_id, op),
                (_, _, _, Some(op)) => write_index(client, stmts, pool_id, op),
                _ => Ok(true),
            };
            return settle(held);
        }
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()?;
        if creates {
            // Waits for a deletion of the pool in progress, and keeps one from starting until
            // this commit ends; the inserts, run after it, see a deletion that committed.
            match execute(&mut tx, &stmts.gate, &[&pool_id]) {
                Ok(true) => {}
                other => return settle(other),
            }
        }
        // Records written and removed, in one order by `sub` (the plan keeps them apart).
        let mut rows: Vec<RowWrite<'_, '_>> = plan
            .records
            .iter()
            .zip(&encoded)
            .map(|(op, json)| RowWrite::Write(op, json.as_str()))
            .chain(plan.removals.iter().map(RowWrite::Remove))
            .collect();
        rows.sort_by(|a, b| a.sub().cmp(b.sub()));
        for row in rows {
            let held = match row {
                RowWrite::Write(op, json) => write_record(&mut tx, stmts, pool_id, op, json),
                RowWrite::Remove(op) => remove_record(&mut tx, stmts, pool_id, op),
            };
            match held {
                Ok(true) => {}
                // Dropping the transaction rolls it back.
                other => return settle(other),
            }
        }
        for op in &plan.index {
            match write_index(&mut tx, stmts, pool_id, op) {
                Ok(true) => {}
                other => return settle(other),
            }
        }
        match tx.commit() {
            Ok(()) => Ok(CommitOutcome::Committed),
            Err(e) if is_conflict(&e) => Ok(CommitOutcome::Conflict),
            Err(e) => Err(e.into()),
        }
    }
}

/// A write of a record's row: a new value or its removal.
enum RowWrite<'p, 'a> {
    Write(&'p RecordOp<'a>, &'p str),
    Remove(&'p RemovalOp<'a>),
}

impl RowWrite<'_, '_> {
    fn sub(&self) -> &str {
        match self {
            RowWrite::Write(op, _) => op.record.sub.as_str(),
            RowWrite::Remove(op) => op.sub,
        }
    }
}

/// The outcome of a commit whose last write answered `held`.
fn settle(held: Step) -> Result<CommitOutcome, StoreError> {
    match held {
        Ok(true) => Ok(CommitOutcome::Committed),
        Ok(false) => Ok(CommitOutcome::Conflict),
        Err(e) => Err(e),
    }
}

/// Runs one conditional write; `Ok(false)` when its precondition did not hold.
fn execute(
    client: &mut impl postgres::GenericClient,
    stmt: &Statement,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Step {
    match client.execute(stmt, params) {
        Ok(n) => Ok(n == 1),
        Err(e) if is_conflict(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn write_record(
    client: &mut impl postgres::GenericClient,
    stmts: &Prepared,
    pool_id: &str,
    op: &RecordOp<'_>,
    json: &str,
) -> Step {
    let sub = op.record.sub.as_str();
    match op.expected_version {
        None => execute(client, &stmts.insert_user, &[&pool_id, &sub, &json]),
        Some(expected) => {
            // A version past i64::MAX cannot be stored, so cannot match.
            let Ok(expected) = i64::try_from(expected) else {
                return Ok(false);
            };
            execute(
                client,
                &stmts.update_user,
                &[&pool_id, &sub, &expected, &json],
            )
        }
    }
}

fn remove_record(
    client: &mut impl postgres::GenericClient,
    stmts: &Prepared,
    pool_id: &str,
    op: &RemovalOp<'_>,
) -> Step {
    // A version past i64::MAX cannot be stored, so cannot match.
    let Ok(expected) = i64::try_from(op.expected_version) else {
        return Ok(false);
    };
    execute(client, &stmts.delete_user, &[&pool_id, &op.sub, &expected])
}

fn write_index(
    client: &mut impl postgres::GenericClient,
    stmts: &Prepared,
    pool_id: &str,
    op: &IndexOp<'_>,
) -> Step {
    let key = op.key;
    match (op.expected, op.new) {
        (None, Some(new)) => execute(client, &stmts.insert_index, &[&pool_id, &key, &new]),
        (Some(old), Some(new)) => execute(client, &stmts.move_index, &[&pool_id, &key, &old, &new]),
        (Some(old), None) => execute(client, &stmts.delete_index, &[&pool_id, &key, &old]),
        (None, None) => {
            // The key must be absent and stay absent until we commit: claiming it (with an
            // empty holder no user has) locks it against concurrent claims exactly as a real
            // claim would; the claim is withdrawn before the transaction ends.
            let placeholder = "";
            if !execute(client, &stmts.insert_index, &[&pool_id, &key, &placeholder])? {
                return Ok(false);
            }
            execute(client, &stmts.delete_index, &[&pool_id, &key, &placeholder])
        }
    }
}

impl UserStore for PostgresStore {
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

/// A schema name that can be quoted without escaping.
fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 63
}

/// A row read back as a record, checked to be what this crate writes.
fn decode(
    pool_id: &str,
    sub: &str,
    version: i64,
    json: String,
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
    let value: UserRecord = serde_json::from_str(&json).map_err(|e| {
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

fn current_version(client: &mut impl postgres::GenericClient) -> Result<i64, StoreError> {
    let row = client.query_one(
        "SELECT COALESCE(MAX(version), 0)::bigint FROM cognito_signup_migrations",
        &[],
    )?;
    Ok(row.try_get(0)?)
}

/// Creates the schema and the migrations table and applies every migration the database lacks,
/// in one transaction holding an advisory lock, so that nodes starting together apply each
/// migration once.
fn migrate(client: &mut Client, schema: Option<&str>) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    if let Some(schema) = schema {
        // The name was checked to be a plain identifier, so quoting it is enough.
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\"; SET LOCAL search_path TO \"{schema}\""
        ))?;
    }
    // Which migrations the database has had; the newest is the schema version.
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cognito_signup_migrations (
            version     bigint PRIMARY KEY,
            description text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now()
        )",
    )?;
    let found = current_version(&mut tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (version, description, sql) in MIGRATIONS {
        if *version > found {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO cognito_signup_migrations (version, description) VALUES ($1, $2)",
                &[version, description],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

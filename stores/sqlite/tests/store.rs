//! The SQLite store against the conformance kit (`cognito-signup-testkit`), the operation flows through `Driver`,
//! and what is particular to a database file: reopening, migrations, bad files.

#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "../../common/suite.rs"]
mod suite;
#[macro_use]
#[path = "../../common/host.rs"]
mod host;
#[path = "../../common/catalog.rs"]
mod catalog;

use cognito_signup::UserRecord;
use cognito_signup::store::{CommitOutcome, IndexKey, UserStore, Versioned};
use cognito_signup_sqlite::{SCHEMA_VERSION, SqliteOptions, SqliteStore, StoreError};
use host::{Fixture, Inspect};
use std::sync::Arc;

impl Inspect for SqliteStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

/// A store in a new file of a new temporary directory.
fn fresh(_test: &str) -> Option<Fixture<SqliteStore>> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("users.db")).unwrap();
    Some(Fixture {
        store: Arc::new(store),
        _guard: Box::new(dir),
    })
}

flow_tests!(fresh);

#[test]
fn passes_the_public_conformance_kit() {
    let fixtures = std::sync::Mutex::new(Vec::new());
    cognito_signup_testkit::conformance::run_all(|| {
        let f = fresh("conformance_kit").unwrap();
        let store = Arc::clone(&f.store);
        fixtures.lock().unwrap().push(f);
        store
    });
}

#[test]
fn data_survives_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let code;
    {
        let h = host::host(Arc::new(SqliteStore::open(&path).unwrap()));
        code = h.sign_up("erin", "erin@example.com");
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let h = host::host(store.clone());
    assert_eq!(h.get("erin").user_status, "UNCONFIRMED");
    h.confirm("erin", &code, false).unwrap();
    drop(h);
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let rec = store.records(host::POOL).unwrap().pop().unwrap();
    assert_eq!((rec.version, rec.value.status.as_str()), (2, "CONFIRMED"));
}

#[test]
fn migrations_run_once_and_record_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let first = SqliteStore::open(&path).unwrap();
    assert_eq!(first.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(
        first
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    // A second opener (as a second process would) migrates nothing and sees the data.
    let second = SqliteStore::open(&path).unwrap();
    assert_eq!(second.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(second.records(suite::POOL).unwrap().len(), 1);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let applied: i64 = conn
        .query_row("SELECT COUNT(*) FROM cognito_signup_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(applied, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_schema_newer_than_the_crate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO cognito_signup_migrations (version, description) VALUES (?1, 'future')",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    match SqliteStore::open(&path) {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    std::fs::write(&path, b"this is not an SQLite database, just some bytes").unwrap();
    assert!(matches!(
        SqliteStore::open(&path),
        Err(StoreError::Sqlite(_))
    ));
    let missing_dir = dir.path().join("no/such/dir/users.db");
    assert!(SqliteStore::open(missing_dir).is_err());
}

#[test]
fn an_in_memory_database_is_refused_for_lack_of_wal() {
    assert!(matches!(
        SqliteStore::open(":memory:"),
        Err(StoreError::NoWal(_))
    ));
}

#[test]
fn a_corrupt_record_is_an_error_that_does_not_show_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut rec = suite::user("sub-a", "alice");
    rec.email = Some("secret-address@example.com".into());
    assert_eq!(
        store.commit(suite::POOL, &suite::insert(rec)).unwrap(),
        CommitOutcome::Committed
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE cognito_users SET record = '{\"email\": \"secret-address@example.com\", \"status\": 7}'",
        [],
    )
    .unwrap();
    let err = store
        .find(suite::POOL, &[suite::ukey("alice")])
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("corrupt row of user sub-a"), "{text}");
    assert!(!text.contains("secret-address"), "{text}");
    conn.execute("UPDATE cognito_users SET record = 'not json at all'", [])
        .unwrap();
    assert!(matches!(
        store.records(suite::POOL),
        Err(StoreError::Corrupt { .. })
    ));
    // The schema itself refuses a version the trait cannot have.
    assert!(
        conn.execute("UPDATE cognito_users SET version = 0", [])
            .is_err()
    );
}

#[test]
fn a_commit_waiting_past_the_busy_timeout_is_an_error_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let options = SqliteOptions::default().busy_timeout(std::time::Duration::from_millis(100));
    let store = SqliteStore::open_with(&path, options).unwrap();
    // Another connection (as another process would) holds the write lock.
    let mut other = rusqlite::Connection::open(&path).unwrap();
    let tx = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let result = store.commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")));
    assert!(result.is_err(), "{result:?}");
    // Reads are not blocked by the writer (WAL).
    assert_eq!(
        store.find(suite::POOL, &[suite::ukey("alice")]).unwrap(),
        None
    );
    tx.rollback().unwrap();
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
}

#[test]
fn an_empty_commit_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    let before = store.records(suite::POOL).unwrap();
    // `data_version` changes when another connection commits a change to the file.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let data_version = || -> i64 {
        conn.query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap()
    };
    let version = data_version();
    for _ in 0..5 {
        let c = cognito_signup::store::Commit::default();
        assert_eq!(
            store.commit(suite::POOL, &c).unwrap(),
            CommitOutcome::Committed
        );
    }
    assert_eq!(data_version(), version, "nothing was written");
    assert_eq!(store.records(suite::POOL).unwrap(), before);
    assert_eq!(store.index(suite::POOL).unwrap().len(), 2);
}

/// Migration 1 as an earlier version of this crate applied it, table for empty commits included.
const V1_SCHEMA: &str = "
    CREATE TABLE cognito_signup_migrations (
        version     INTEGER PRIMARY KEY,
        description TEXT NOT NULL
    );
    CREATE TABLE cognito_users (
        pool_id TEXT NOT NULL,
        sub     TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        record  TEXT NOT NULL,
        PRIMARY KEY (pool_id, sub)
    ) WITHOUT ROWID;
    CREATE TABLE cognito_index (
        pool_id TEXT NOT NULL,
        key     TEXT NOT NULL,
        sub     TEXT NOT NULL,
        PRIMARY KEY (pool_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE cognito_decoys (
        pool_id TEXT NOT NULL,
        slot    INTEGER NOT NULL,
        writes  INTEGER NOT NULL,
        PRIMARY KEY (pool_id, slot)
    ) WITHOUT ROWID;
    INSERT INTO cognito_signup_migrations (version, description) VALUES (1, 'users and index');
";

#[test]
fn migration_2_drops_cognito_decoys_from_a_version_1_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let alice = suite::user("sub-a", "alice");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(V1_SCHEMA).unwrap();
        conn.execute(
            "INSERT INTO cognito_users (pool_id, sub, version, record) VALUES (?1, 'sub-a', 3, ?2)",
            rusqlite::params![suite::POOL, serde_json::to_string(&alice).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cognito_index (pool_id, key, sub) VALUES (?1, ?2, 'sub-a')",
            rusqlite::params![suite::POOL, suite::ukey("alice").as_str()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cognito_decoys (pool_id, slot, writes) VALUES (?1, 0, 7)",
            [suite::POOL],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(SCHEMA_VERSION, 4);
    assert_eq!(store.schema_version().unwrap(), 4);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'cognito_decoys'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "cognito_decoys is gone");
    let applied: Vec<(i64, String)> = conn
        .prepare("SELECT version, description FROM cognito_signup_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        applied,
        vec![
            (1, "users and index".to_owned()),
            (2, "drop cognito_decoys".to_owned()),
            (3, "pools and clients".to_owned()),
            (4, "catalog versions".to_owned())
        ]
    );
    // The users are kept.
    assert_eq!(
        store.find(suite::POOL, &[suite::ukey("alice")]).unwrap(),
        Some(Versioned {
            version: 3,
            value: alice
        })
    );
    // Opening again migrates nothing.
    drop(store);
    assert_eq!(
        SqliteStore::open(&path).unwrap().schema_version().unwrap(),
        4
    );
    let applied: i64 = conn
        .query_row("SELECT COUNT(*) FROM cognito_signup_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(applied, 4);
}

/// The permission bits of a file.
#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn a_new_database_and_its_wal_and_shm_are_readable_by_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    // The directory is open to everyone, so only the files' own modes keep others out.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = dir.path().join("users.db");
    let store = SqliteStore::open(&path).unwrap();
    // A write makes SQLite create the write-ahead log and its index.
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    let wal = dir.path().join("users.db-wal");
    let shm = dir.path().join("users.db-shm");
    assert_eq!((mode(&path), mode(&wal), mode(&shm)), (0o600, 0o600, 0o600));
}

#[cfg(unix)]
#[test]
fn an_existing_database_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    drop(SqliteStore::open(&path).unwrap());
    // Shared with a group on purpose: neither widened nor narrowed.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(mode(&path), 0o640);
    assert_eq!(mode(&dir.path().join("users.db-wal")), 0o640);
}

/// Rows of a table of the file at `path` with the pool's id.
fn count_in(path: &std::path::Path) -> impl Fn(&str, &str) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    move |table: &str, pool: &str| {
        conn.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE pool_id = ?1"),
            [pool],
            |r| r.get(0),
        )
        .unwrap()
    }
}

#[test]
fn list_pages_in_byte_order_without_the_decoy() {
    let f = fresh("list").unwrap();
    catalog::list_pages_in_byte_order_without_the_decoy(&*f.store);
}

#[test]
fn removals_apply_only_at_the_expected_version_and_all_or_nothing() {
    let f = fresh("removals").unwrap();
    catalog::removals_apply_only_at_the_expected_version_and_all_or_nothing(&*f.store);
}

#[test]
fn passes_the_catalog_kit() {
    // A fresh file per check; the directories go when the test ends.
    let dirs = std::sync::Mutex::new(Vec::new());
    cognito_signup_testkit::catalog::run_all(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("users.db")).unwrap();
        dirs.lock().unwrap().push(dir);
        store
    });
}

#[test]
fn delete_pool_leaves_no_row_of_the_pool_in_any_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let store = SqliteStore::open(&path).unwrap();
    catalog::delete_pool_leaves_no_row_of_the_pool_in_any_table(&store, &count_in(&path));
}

#[test]
fn delete_pool_racing_commits_leaves_no_user_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    catalog::delete_pool_racing_commits_leaves_no_user_behind(store, &count_in(&path));
}

#[test]
fn pools_and_clients_survive_closing_and_reopening() {
    use cognito_signup::store::{CatalogOutcome, PoolCatalog};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let mut pool = catalog::pool("us-east-1_Kept");
    pool.auto_verified_attributes
        .insert(cognito_signup::VerifiableAttribute::Email);
    let client = catalog::client("us-east-1_Kept", "keptclient", Some("kept-secret"));
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.insert_pool(&pool).unwrap(), CatalogOutcome::Done);
        assert_eq!(store.insert_client(&client).unwrap(), CatalogOutcome::Done);
        assert_eq!(
            store
                .commit(
                    "us-east-1_Kept",
                    &suite::insert(suite::user("sub-a", "alice"))
                )
                .unwrap(),
            CommitOutcome::Committed
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.pool("us-east-1_Kept").unwrap(), Some(pool));
    assert_eq!(store.client("keptclient").unwrap(), Some(client));
    assert_eq!(store.list("us-east-1_Kept", None, 10).unwrap().len(), 1);
    // A deletion is kept too, tombstone included.
    assert_eq!(
        store.delete_pool("us-east-1_Kept").unwrap(),
        CatalogOutcome::Done
    );
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.pool("us-east-1_Kept").unwrap(), None);
    assert_eq!(store.client("keptclient").unwrap(), None);
    assert_eq!(
        store
            .commit(
                "us-east-1_Kept",
                &suite::insert(suite::user("sub-b", "bob"))
            )
            .unwrap(),
        CommitOutcome::Conflict
    );
}

#[test]
fn a_version_2_database_is_upgraded_in_place_and_keeps_its_users() {
    use cognito_signup::store::{CatalogOutcome, PoolCatalog};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let alice = suite::user("sub-a", "alice");
    {
        // The file as the previous version of this crate left it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(V1_SCHEMA).unwrap();
        conn.execute_batch(
            "DROP TABLE cognito_decoys;
             INSERT INTO cognito_signup_migrations (version, description)
             VALUES (2, 'drop cognito_decoys');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cognito_users (pool_id, sub, version, record) VALUES (?1, 'sub-a', 4, ?2)",
            rusqlite::params![suite::POOL, serde_json::to_string(&alice).unwrap()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 4);
    let listed = store.list(suite::POOL, None, 10).unwrap();
    assert_eq!(
        listed,
        vec![Versioned {
            version: 4,
            value: alice
        }]
    );
    assert_eq!(
        store.insert_pool(&catalog::pool("us-east-1_New")).unwrap(),
        CatalogOutcome::Done
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')
               AND name IN ('cognito_pools', 'cognito_clients', 'cognito_clients_by_pool',
                            'cognito_deleted_pools')
             ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "cognito_clients",
            "cognito_clients_by_pool",
            "cognito_deleted_pools",
            "cognito_pools"
        ]
    );
}

#[test]
fn stored_settings_decode_past_unknown_members_and_corrupt_ones_do_not_show_the_secret() {
    use cognito_signup::store::{CatalogOutcome, PoolCatalog};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let store = SqliteStore::open(&path).unwrap();
    let pool = catalog::pool("us-east-1_Json");
    assert_eq!(store.insert_pool(&pool).unwrap(), CatalogOutcome::Done);
    let client = catalog::client("us-east-1_Json", "jsonclient", Some("hush-hush-secret"));
    assert_eq!(store.insert_client(&client).unwrap(), CatalogOutcome::Done);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // A member a later version may add is ignored.
    conn.execute(
        "UPDATE cognito_pools SET settings = json_set(settings, '$.SomeLaterMember', 7)",
        [],
    )
    .unwrap();
    assert_eq!(store.pool("us-east-1_Json").unwrap(), Some(pool));
    // The secret is in the file (the server needs it), in the owner-only database.
    let stored: String = conn
        .query_row("SELECT settings FROM cognito_clients", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored.contains("\"ClientSecret\":\"hush-hush-secret\""),
        "{stored}"
    );
    conn.execute(
        "UPDATE cognito_clients SET settings = '{\"ClientId\": \"jsonclient\", \"ClientSecret\": \"hush-hush-secret\", \"PreventUserExistenceErrors\": 7}'",
        [],
    )
    .unwrap();
    let err = store.client("jsonclient").unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("the stored settings of app client jsonclient are damaged"),
        "{text}"
    );
    assert!(!text.contains("hush-hush"), "{text}");
    assert!(!format!("{store:?}").contains("hush-hush"));
    conn.execute(
        "UPDATE cognito_pools SET settings = '{\"Id\": \"us-east-1_Other\"}'",
        [],
    )
    .unwrap();
    assert!(matches!(
        store.list_pools(None, 10),
        Err(e) if e.to_string().contains("pool id differs")
    ));
}

/// Migration 3's tables, as a version 3 database has them.
const V3_CATALOG: &str = "
    DROP TABLE cognito_decoys;
    CREATE TABLE cognito_pools (
        pool_id  TEXT NOT NULL PRIMARY KEY,
        settings TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE cognito_clients (
        client_id TEXT NOT NULL PRIMARY KEY,
        pool_id   TEXT NOT NULL,
        settings  TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX cognito_clients_by_pool ON cognito_clients (pool_id, client_id);
    CREATE TABLE cognito_deleted_pools (
        pool_id TEXT NOT NULL PRIMARY KEY
    ) WITHOUT ROWID;
    INSERT INTO cognito_signup_migrations (version, description)
    VALUES (2, 'drop cognito_decoys'), (3, 'pools and clients');
";

#[test]
fn a_version_3_catalog_is_upgraded_in_place_with_versions() {
    // [pool-directory] Migration 4: pools and clients kept, at version 0 until written.
    use cognito_signup::store::{
        CatalogOutcome, CatalogVersion, ClientVersion, PoolCatalog, settings,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let mut kept = catalog::pool("us-east-1_Kept");
    kept.name = Some("kept".into());
    let client = catalog::client("us-east-1_Kept", "keptclient", Some("kept-secret"));
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch(V1_SCHEMA).unwrap();
        conn.execute_batch(V3_CATALOG).unwrap();
        conn.execute(
            "INSERT INTO cognito_pools (pool_id, settings) VALUES (?1, ?2)",
            rusqlite::params![kept.id, settings::encode_pool(&kept).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO cognito_clients (client_id, pool_id, settings) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                client.client_id,
                kept.id,
                settings::encode_client(&client).unwrap()
            ],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 4);
    assert_eq!(store.pool("us-east-1_Kept").unwrap(), Some(kept.clone()));
    assert_eq!(store.client("keptclient").unwrap(), Some(client.clone()));
    assert_eq!(
        store.pool_version("us-east-1_Kept").unwrap(),
        CatalogVersion::At(0)
    );
    assert_eq!(
        store.client_version("keptclient").unwrap(),
        CatalogVersion::At(ClientVersion { client: 0, pool: 0 })
    );
    // The first write after the upgrade gives a version no row had.
    assert_eq!(store.replace_pool(&kept).unwrap(), CatalogOutcome::Done);
    let CatalogVersion::At(v) = store.pool_version("us-east-1_Kept").unwrap() else {
        panic!("the pool has no version");
    };
    assert!(v > 0);
    // Opening again migrates nothing.
    drop(store);
    assert_eq!(
        SqliteStore::open(&path).unwrap().schema_version().unwrap(),
        4
    );
}

#[test]
fn two_stores_on_one_file_see_each_others_catalog_changes_at_once() {
    // [pool-directory] Two directories, each over its own store on one file (two processes).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.db");
    let one = Arc::new(SqliteStore::open(&path).unwrap());
    let other = Arc::new(SqliteStore::open(&path).unwrap());
    cognito_signup_testkit::catalog::run_directories(one, other);
}

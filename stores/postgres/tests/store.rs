//! The PostgreSQL store against the conformance kit (`cognito-signup-testkit`), the operation flows through
//! `Driver`, and what is particular to a server: migrations, schemas, bad connection strings,
//! lock timeouts. Needs `COGNITO_SIGNUP_TEST_POSTGRES`; without it every test says it is skipped.

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
#[path = "../../common/pg.rs"]
mod pg;

use cognito_signup::UserRecord;
use cognito_signup::store::{CommitOutcome, IndexKey, UserStore, Versioned};
use cognito_signup_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION, StoreError};
use host::{Fixture, Inspect};
use std::sync::Arc;
use std::time::Duration;

impl Inspect for PostgresStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

/// A store in a new schema of the test database, dropped afterwards.
fn fresh_with(test: &str, options: PostgresOptions) -> Option<Fixture<PostgresStore>> {
    let url = pg::url(test)?;
    let schema = pg::unique_schema("t");
    let guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let store = PostgresStore::connect_with(&url, options.schema(schema)).unwrap();
    Some(Fixture {
        store: Arc::new(store),
        _guard: Box::new(guard),
    })
}

fn fresh(test: &str) -> Option<Fixture<PostgresStore>> {
    fresh_with(test, PostgresOptions::default())
}

#[test]
fn passes_the_public_conformance_kit() {
    // Skipped (with the notice `pg::url` prints) when no server is configured.
    if pg::url("passes_the_public_conformance_kit").is_none() {
        return;
    }
    let fixtures = std::sync::Mutex::new(Vec::new());
    cognito_signup_testkit::conformance::run_all(|| {
        let f = fresh("passes_the_public_conformance_kit").unwrap();
        let store = Arc::clone(&f.store);
        fixtures.lock().unwrap().push(f);
        store
    });
}
flow_tests!(fresh);

fn raw(url: &str, schema: &str) -> postgres::Client {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("SET search_path TO \"{schema}\""))
        .unwrap();
    c
}

#[test]
fn migrations_run_once_and_record_the_schema_version() {
    let Some(url) = pg::url("migrations_run_once_and_record_the_schema_version") else {
        return;
    };
    let schema = pg::unique_schema("m");
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let options = || PostgresOptions::default().schema(schema.clone());
    // Nodes starting together: each migrates under the advisory lock, once in all.
    let stores: Vec<PostgresStore> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| PostgresStore::connect_with(&url, options()).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in &stores {
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }
    assert_eq!(
        stores[0]
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(stores[3].records(suite::POOL).unwrap().len(), 1);
    let applied: i64 = raw(&url, &schema)
        .query_one("SELECT COUNT(*) FROM cognito_signup_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, SCHEMA_VERSION);
}

#[test]
fn a_schema_newer_than_the_crate_is_refused() {
    let Some(fixture) = fresh_with(
        "a_schema_newer_than_the_crate_is_refused",
        PostgresOptions::default(),
    ) else {
        return;
    };
    let guard = fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap();
    raw(&guard.url, &guard.schema)
        .execute(
            "INSERT INTO cognito_signup_migrations (version, description) VALUES ($1, 'future')",
            &[&(SCHEMA_VERSION + 1)],
        )
        .unwrap();
    let again = PostgresStore::connect_with(
        &guard.url,
        PostgresOptions::default().schema(guard.schema.clone()),
    );
    match again {
        Err(StoreError::SchemaTooNew { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

#[test]
fn bad_connection_strings_and_schema_names_are_errors_not_panics() {
    for bad in [
        "postgres://user:hunter2@[not-a-host",
        "postgres://user:hunter2@host:notaport/db",
        "host=h password=hunter2 port=x",
        "host=h password=hunter2 sslmode=sometimes",
        "postgres://user:hunter2@host/db?nosuchoption=1",
    ] {
        let err = PostgresStore::connect(bad).unwrap_err();
        assert!(matches!(err, StoreError::Config(_)), "{bad}: {err:?}");
        assert!(
            !format!("{err} {err:?}").contains("hunter2"),
            "{bad}: {err}"
        );
    }
    let unreachable = PostgresStore::connect_with(
        "host=127.0.0.1 port=1 user=nobody password=hunter2 dbname=x",
        PostgresOptions::default().connect_timeout(Duration::from_secs(2)),
    );
    let err = unreachable.unwrap_err();
    assert!(matches!(err, StoreError::Connection(_)), "{err:?}");
    assert!(
        !format!("{err} {err:?}").contains("hunter2"),
        "no password in errors"
    );
    for bad in ["", "1abc", "a\"b", "a;b", "a b", &"x".repeat(64)] {
        let r = PostgresStore::connect_with(
            "host=127.0.0.1 port=1",
            PostgresOptions::default().schema(bad),
        );
        assert!(matches!(r, Err(StoreError::InvalidSchemaName)), "{bad:?}");
    }
}

#[test]
fn a_corrupt_record_is_an_error_that_does_not_show_the_row() {
    let Some(fixture) = fresh("a_corrupt_record_is_an_error_that_does_not_show_the_row") else {
        return;
    };
    let guard = fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap();
    let store = &fixture.store;
    let mut rec = suite::user("sub-a", "alice");
    rec.email = Some("secret-address@example.com".into());
    assert_eq!(
        store.commit(suite::POOL, &suite::insert(rec)).unwrap(),
        CommitOutcome::Committed
    );
    let mut c = raw(&guard.url, &guard.schema);
    c.execute(
        "UPDATE cognito_users SET record = '{\"email\": \"secret-address@example.com\", \"status\": 7}'",
        &[],
    )
    .unwrap();
    let err = store
        .find(suite::POOL, &[suite::ukey("alice")])
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("corrupt row of user sub-a"), "{text}");
    assert!(!text.contains("secret-address"), "{text}");
    // The schema refuses a version the trait cannot have, and the error does not quote the
    // row (PostgreSQL's DETAIL would).
    let e = c
        .execute("UPDATE cognito_users SET version = 0", &[])
        .unwrap_err();
    let mapped = StoreError::from(e);
    let text = format!("{mapped} {mapped:?}");
    assert!(text.contains("23514"), "{text}");
    assert!(!text.contains("secret-address"), "{text}");
}

#[test]
fn a_commit_blocked_past_the_lock_timeout_is_an_error_and_applies_nothing() {
    let Some(fixture) = fresh_with(
        "a_commit_blocked_past_the_lock_timeout_is_an_error_and_applies_nothing",
        PostgresOptions::default().lock_timeout(Duration::from_millis(200)),
    ) else {
        return;
    };
    let guard = fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap();
    let store = &fixture.store;
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    // Another session holds alice's row.
    let mut other = raw(&guard.url, &guard.schema);
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "SELECT 1 FROM cognito_users WHERE sub = 'sub-a' FOR UPDATE",
        &[],
    )
    .unwrap();
    let mut bob_and_alice = suite::insert(suite::user("sub-b", "bob"));
    bob_and_alice
        .records
        .push(cognito_signup::store::RecordWrite {
            expected_version: Some(1),
            record: suite::user("sub-a", "alice"),
        });
    let result = store.commit(suite::POOL, &bob_and_alice);
    match result {
        Err(e) => assert!(e.to_string().contains("55P03"), "{e}"),
        Ok(o) => panic!("expected a lock timeout, got {o:?}"),
    }
    tx.rollback().unwrap();
    assert_eq!(
        store.find(suite::POOL, &[suite::ukey("bob")]).unwrap(),
        None,
        "nothing applied"
    );
    assert_eq!(
        store.commit(suite::POOL, &bob_and_alice).unwrap(),
        CommitOutcome::Committed
    );
}

#[test]
fn a_commit_waiting_on_a_concurrent_writer_sees_its_outcome() {
    let Some(fixture) = fresh("a_commit_waiting_on_a_concurrent_writer_sees_its_outcome") else {
        return;
    };
    let guard = fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap();
    let store = fixture.store.clone();
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    // Another session updates alice (version 1 -> 2) and holds its transaction open while
    // our commit, expecting version 1, waits on the row; then it commits.
    let mut other = raw(&guard.url, &guard.schema);
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "UPDATE cognito_users SET version = 2 WHERE sub = 'sub-a'",
        &[],
    )
    .unwrap();
    let waiting = std::thread::spawn(move || {
        let mut c = suite::insert(suite::user("sub-b", "bob"));
        c.records.push(cognito_signup::store::RecordWrite {
            expected_version: Some(1),
            record: suite::user("sub-a", "alice"),
        });
        store.commit(suite::POOL, &c).unwrap()
    });
    std::thread::sleep(Duration::from_millis(300));
    tx.commit().unwrap();
    assert_eq!(
        waiting.join().unwrap(),
        CommitOutcome::Conflict,
        "re-checked on the committed row"
    );
    assert_eq!(
        fixture
            .store
            .find(suite::POOL, &[suite::ukey("bob")])
            .unwrap(),
        None
    );
}

#[test]
fn an_empty_commit_writes_nothing() {
    let Some(fixture) = fresh("an_empty_commit_writes_nothing") else {
        return;
    };
    let store = &fixture.store;
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    let (records, index) = (
        store.records(suite::POOL).unwrap(),
        store.index(suite::POOL).unwrap(),
    );
    for _ in 0..5 {
        let c = cognito_signup::store::Commit::default();
        assert_eq!(
            store.commit(suite::POOL, &c).unwrap(),
            CommitOutcome::Committed
        );
    }
    assert_eq!(store.records(suite::POOL).unwrap(), records);
    assert_eq!(store.index(suite::POOL).unwrap(), index);
    let guard = fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap();
    assert!(!has_table(&guard.url, &guard.schema, "cognito_decoys"));
}

fn has_table(url: &str, schema: &str, table: &str) -> bool {
    raw(url, schema)
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                             WHERE table_schema = $1 AND table_name = $2)",
            &[&schema, &table],
        )
        .unwrap()
        .get(0)
}

/// Migration 1 as an earlier version of this crate applied it, table for empty commits included.
const V1_SCHEMA: &str = r#"
    CREATE TABLE cognito_signup_migrations (
        version     bigint PRIMARY KEY,
        description text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE cognito_users (
        pool_id text COLLATE "C" NOT NULL,
        sub     text COLLATE "C" NOT NULL,
        version bigint NOT NULL CHECK (version >= 1),
        record  text NOT NULL,
        PRIMARY KEY (pool_id, sub)
    );
    CREATE TABLE cognito_index (
        pool_id text COLLATE "C" NOT NULL,
        key     text COLLATE "C" NOT NULL,
        sub     text COLLATE "C" NOT NULL,
        PRIMARY KEY (pool_id, key)
    );
    CREATE TABLE cognito_decoys (
        pool_id text COLLATE "C" NOT NULL,
        slot    integer NOT NULL,
        writes  bigint NOT NULL,
        PRIMARY KEY (pool_id, slot)
    );
    INSERT INTO cognito_signup_migrations (version, description) VALUES (1, 'users and index');
"#;

#[test]
fn migrations_2_and_3_upgrade_a_version_1_database() {
    let Some(url) = pg::url("migrations_2_and_3_upgrade_a_version_1_database") else {
        return;
    };
    let schema = pg::unique_schema("v");
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let alice = suite::user("sub-a", "alice");
    {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\""
        ))
        .unwrap();
        c.batch_execute(V1_SCHEMA).unwrap();
        c.execute(
            "INSERT INTO cognito_users (pool_id, sub, version, record) VALUES ($1, 'sub-a', 3, $2)",
            &[&suite::POOL, &serde_json::to_string(&alice).unwrap()],
        )
        .unwrap();
        c.execute(
            "INSERT INTO cognito_index (pool_id, key, sub) VALUES ($1, $2, 'sub-a')",
            &[&suite::POOL, &suite::ukey("alice").as_str()],
        )
        .unwrap();
        c.execute(
            "INSERT INTO cognito_decoys (pool_id, slot, writes) VALUES ($1, 0, 7)",
            &[&suite::POOL],
        )
        .unwrap();
    }
    assert!(has_table(&url, &schema, "cognito_decoys"));
    let options = || PostgresOptions::default().schema(schema.clone());
    let store = PostgresStore::connect_with(&url, options()).unwrap();
    assert_eq!(SCHEMA_VERSION, 4);
    assert_eq!(store.schema_version().unwrap(), 4);
    assert!(
        !has_table(&url, &schema, "cognito_decoys"),
        "cognito_decoys is gone"
    );
    let applied: Vec<(i64, String)> = raw(&url, &schema)
        .query(
            "SELECT version, description FROM cognito_signup_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
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
    // Migration 3 gave it the pool catalog; ListUsers sees the old user.
    {
        use cognito_signup::store::{CatalogOutcome, PoolCatalog};
        assert_eq!(
            store.insert_pool(&catalog::pool("us-east-1_New")).unwrap(),
            CatalogOutcome::Done
        );
        assert_eq!(store.list(suite::POOL, None, 10).unwrap().len(), 1);
        for table in ["cognito_pools", "cognito_clients", "cognito_deleted_pools"] {
            assert!(has_table(&url, &schema, table), "{table}");
        }
    }
    // Connecting again migrates nothing.
    drop(store);
    let again = PostgresStore::connect_with(&url, options()).unwrap();
    assert_eq!(again.schema_version().unwrap(), 4);
    let applied: i64 = raw(&url, &schema)
        .query_one("SELECT COUNT(*) FROM cognito_signup_migrations", &[])
        .unwrap()
        .get(0);
    assert_eq!(applied, 4);
}

/// Rows of a table of the schema with the pool's id.
fn count_in(url: &str, schema: &str) -> impl Fn(&str, &str) -> i64 {
    let client = std::cell::RefCell::new(raw(url, schema));
    move |table: &str, pool: &str| {
        client
            .borrow_mut()
            .query_one(
                &format!("SELECT COUNT(*) FROM {table} WHERE pool_id = $1"),
                &[&pool],
            )
            .unwrap()
            .get(0)
    }
}

fn guard_of(fixture: &Fixture<PostgresStore>) -> &pg::SchemaGuard {
    fixture._guard.downcast_ref::<pg::SchemaGuard>().unwrap()
}

#[test]
fn list_pages_in_byte_order_without_the_decoy() {
    let Some(f) = fresh("list_pages_in_byte_order_without_the_decoy") else {
        return;
    };
    catalog::list_pages_in_byte_order_without_the_decoy(&*f.store);
}

#[test]
fn removals_apply_only_at_the_expected_version_and_all_or_nothing() {
    let Some(f) = fresh("removals_apply_only_at_the_expected_version_and_all_or_nothing") else {
        return;
    };
    catalog::removals_apply_only_at_the_expected_version_and_all_or_nothing(&*f.store);
}

#[test]
fn passes_the_catalog_kit() {
    let Some(url) = pg::url("passes_the_catalog_kit") else {
        return;
    };
    // A fresh schema per check; the schemas are dropped when the test ends.
    let guards = std::sync::Mutex::new(Vec::new());
    cognito_signup_testkit::catalog::run_all(|| {
        let schema = pg::unique_schema("k");
        let options = PostgresOptions::default().schema(schema.clone());
        let store = PostgresStore::connect_with(&url, options).unwrap();
        guards.lock().unwrap().push(pg::SchemaGuard {
            url: url.clone(),
            schema,
        });
        store
    });
}

#[test]
fn delete_pool_leaves_no_row_of_the_pool_in_any_table() {
    let Some(f) = fresh("delete_pool_leaves_no_row_of_the_pool_in_any_table") else {
        return;
    };
    let g = guard_of(&f);
    catalog::delete_pool_leaves_no_row_of_the_pool_in_any_table(
        &*f.store,
        &count_in(&g.url, &g.schema),
    );
}

#[test]
fn delete_pool_racing_commits_leaves_no_user_behind() {
    let Some(f) = fresh("delete_pool_racing_commits_leaves_no_user_behind") else {
        return;
    };
    let g = guard_of(&f);
    catalog::delete_pool_racing_commits_leaves_no_user_behind(
        Arc::clone(&f.store),
        &count_in(&g.url, &g.schema),
    );
}

#[test]
fn a_second_store_on_the_database_sees_the_pools_of_the_first() {
    use cognito_signup::store::{CatalogOutcome, PoolCatalog};
    let Some(f) = fresh("a_second_store_on_the_database_sees_the_pools_of_the_first") else {
        return;
    };
    let g = guard_of(&f);
    let first = &f.store;
    let second =
        PostgresStore::connect_with(&g.url, PostgresOptions::default().schema(g.schema.clone()))
            .unwrap();
    let mut pool = catalog::pool("us-east-1_Shared");
    pool.auto_verified_attributes
        .insert(cognito_signup::VerifiableAttribute::Email);
    let client = catalog::client("us-east-1_Shared", "sharedclient", Some("shared-secret"));
    assert_eq!(first.insert_pool(&pool).unwrap(), CatalogOutcome::Done);
    assert_eq!(first.insert_client(&client).unwrap(), CatalogOutcome::Done);
    assert_eq!(
        first
            .commit(
                "us-east-1_Shared",
                &suite::insert(suite::user("sub-a", "alice"))
            )
            .unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(second.pool("us-east-1_Shared").unwrap(), Some(pool.clone()));
    assert_eq!(second.client("sharedclient").unwrap(), Some(client));
    assert_eq!(second.list("us-east-1_Shared", None, 10).unwrap().len(), 1);
    assert_eq!(second.insert_pool(&pool).unwrap(), CatalogOutcome::Conflict);
    // The second deletes it: the first sees it gone, and creates nothing in it any more.
    assert_eq!(
        second.delete_pool("us-east-1_Shared").unwrap(),
        CatalogOutcome::Done
    );
    assert_eq!(first.pool("us-east-1_Shared").unwrap(), None);
    assert_eq!(first.client("sharedclient").unwrap(), None);
    assert_eq!(
        first
            .commit(
                "us-east-1_Shared",
                &suite::insert(suite::user("sub-b", "bob"))
            )
            .unwrap(),
        CommitOutcome::Conflict
    );
    assert_eq!(
        first.list("us-east-1_Shared", None, 10).unwrap(),
        Vec::new()
    );
}

#[test]
fn the_catalog_tables_compare_ids_as_bytes_and_clients_cannot_outlive_their_pool() {
    let Some(f) = fresh("the_catalog_tables_compare_ids_as_bytes") else {
        return;
    };
    let g = guard_of(&f);
    let mut c = raw(&g.url, &g.schema);
    let collations: Vec<(String, String, Option<String>)> = c
        .query(
            "SELECT table_name::text, column_name::text, collation_name::text
               FROM information_schema.columns
              WHERE table_schema = $1 AND column_name IN ('pool_id', 'client_id', 'sub')
              ORDER BY 1, 2",
            &[&g.schema],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expected: Vec<(String, String, Option<String>)> = [
        ("cognito_clients", "client_id"),
        ("cognito_clients", "pool_id"),
        ("cognito_deleted_pools", "pool_id"),
        ("cognito_index", "pool_id"),
        ("cognito_index", "sub"),
        ("cognito_pools", "pool_id"),
        ("cognito_users", "pool_id"),
        ("cognito_users", "sub"),
    ]
    .iter()
    .map(|(t, col)| (t.to_string(), col.to_string(), Some("C".to_owned())))
    .collect();
    assert_eq!(collations, expected);
    // The foreign key refuses a client of no pool, whoever writes it.
    let orphan = c.execute(
        "INSERT INTO cognito_clients (client_id, pool_id, settings) VALUES ('x', 'nopool', '{}')",
        &[],
    );
    assert_eq!(
        orphan.unwrap_err().code(),
        Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION)
    );
}

#[test]
fn stored_settings_decode_past_unknown_members_and_corrupt_ones_do_not_show_the_secret() {
    use cognito_signup::store::{CatalogOutcome, PoolCatalog};
    let Some(f) = fresh("stored_settings_decode_past_unknown_members") else {
        return;
    };
    let g = guard_of(&f);
    let store = &f.store;
    let pool = catalog::pool("us-east-1_Json");
    assert_eq!(store.insert_pool(&pool).unwrap(), CatalogOutcome::Done);
    let client = catalog::client("us-east-1_Json", "jsonclient", Some("hush-hush-secret"));
    assert_eq!(store.insert_client(&client).unwrap(), CatalogOutcome::Done);
    let mut c = raw(&g.url, &g.schema);
    // A member a later version may add is ignored.
    c.execute(
        "UPDATE cognito_pools SET settings = (settings::jsonb || '{\"SomeLaterMember\": 7}')::text",
        &[],
    )
    .unwrap();
    assert_eq!(store.pool("us-east-1_Json").unwrap(), Some(pool));
    c.execute(
        "UPDATE cognito_clients SET settings = '{\"ClientId\": \"jsonclient\", \"ClientSecret\": \"hush-hush-secret\", \"PreventUserExistenceErrors\": 7}'",
        &[],
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
}

/// Migrations 2 and 3 as a version 3 database has them.
const V3_CATALOG: &str = r#"
    DROP TABLE cognito_decoys;
    CREATE TABLE cognito_pools (
        pool_id  text COLLATE "C" PRIMARY KEY,
        settings text NOT NULL
    );
    CREATE TABLE cognito_clients (
        client_id text COLLATE "C" PRIMARY KEY,
        pool_id   text COLLATE "C" NOT NULL
                  REFERENCES cognito_pools (pool_id) ON DELETE CASCADE,
        settings  text NOT NULL
    );
    CREATE UNIQUE INDEX cognito_clients_by_pool ON cognito_clients (pool_id, client_id);
    CREATE TABLE cognito_deleted_pools (
        pool_id text COLLATE "C" PRIMARY KEY
    );
    INSERT INTO cognito_signup_migrations (version, description)
    VALUES (2, 'drop cognito_decoys'), (3, 'pools and clients');
"#;

#[test]
fn a_version_3_catalog_is_upgraded_in_place_with_versions() {
    // [pool-directory] Migration 4: pools and clients kept, at version 0 until written.
    use cognito_signup::store::{
        CatalogOutcome, CatalogVersion, ClientVersion, PoolCatalog, settings,
    };
    let Some(url) = pg::url("a_version_3_catalog_is_upgraded_in_place_with_versions") else {
        return;
    };
    let schema = pg::unique_schema("v3");
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let mut kept = catalog::pool("us-east-1_Kept");
    kept.name = Some("kept".into());
    let client = catalog::client("us-east-1_Kept", "keptclient", Some("kept-secret"));
    {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\""
        ))
        .unwrap();
        c.batch_execute(V1_SCHEMA).unwrap();
        c.batch_execute(V3_CATALOG).unwrap();
        c.execute(
            "INSERT INTO cognito_pools (pool_id, settings) VALUES ($1, $2)",
            &[&kept.id, &settings::encode_pool(&kept).unwrap()],
        )
        .unwrap();
        c.execute(
            "INSERT INTO cognito_clients (client_id, pool_id, settings) VALUES ($1, $2, $3)",
            &[
                &client.client_id,
                &kept.id,
                &settings::encode_client(&client).unwrap(),
            ],
        )
        .unwrap();
    }
    let options = || PostgresOptions::default().schema(schema.clone());
    let store = PostgresStore::connect_with(&url, options()).unwrap();
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
    drop(store);
    let again = PostgresStore::connect_with(&url, options()).unwrap();
    assert_eq!(again.schema_version().unwrap(), 4);
}

#[test]
fn two_stores_on_one_schema_see_each_others_catalog_changes_at_once() {
    // [pool-directory] Two directories, each over its own store on one database (two servers).
    let Some(url) = pg::url("two_stores_on_one_schema_see_each_others_catalog_changes_at_once")
    else {
        return;
    };
    let schema = pg::unique_schema("dirs");
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let options = || PostgresOptions::default().schema(schema.clone());
    let one = Arc::new(PostgresStore::connect_with(&url, options()).unwrap());
    let other = Arc::new(PostgresStore::connect_with(&url, options()).unwrap());
    cognito_signup_testkit::catalog::run_directories(one, other);
}

//! A conformance kit for [`PoolCatalog`] implementations: the pools and app clients a host
//! keeps for CreateUserPool and CreateUserPoolClient, and what deleting a pool does to its users.
//!
//! A store that keeps users and the catalog in one place implements [`UserStore`] and
//! [`PoolCatalog`] on one value; whoever writes one runs the kit from a test against a fresh,
//! empty store per check, as for the [user-store kit](crate::conformance):
//!
//! ```
//! use cognito_signup::MemoryStore;
//! use cognito_signup_testkit::catalog;
//!
//! // In a host's test: one fresh, empty store per check.
//! catalog::run_all(MemoryStore::new);
//! ```
//!
//! [`run_all`] panics with every failed check and what it saw; [`check_all`] returns a
//! [`Report`] instead. The checks follow the contract of [`PoolCatalog`] (the rules are
//! `[pool-delete]` and `[pool-list]` of the crate's `docs/behaviour.md`):
//!
//! * **pools**: an insert answers `Done`, then `Conflict` for the same id (changing nothing); a
//!   pool reads back as written, ids compared exactly; a replace of a missing pool is `NotFound`
//!   and creates nothing; `list_pools` gives ids in ascending byte order, `limit` at a time,
//!   after any `after`; a delete of a missing pool is `NotFound`;
//! * **clients**: an insert needs its pool: `NotFound` when the pool is missing or
//!   `user_pool_id` is `None`, even when the client id is taken (the pool is looked at first);
//!   a taken id is `Conflict`, **across pools**; a client reads back whole (secret included)
//!   with its pool; `list_clients` gives one pool's clients in ascending byte order of id;
//!   replace and delete act only through the client's own pool (`NotFound` otherwise);
//! * **delete_pool**: removes the pool, its clients and its users: no client resolves, no key
//!   finds a user (username, `sub`, alias, the decoy's key), `list` is empty; the keys and
//!   client ids are free again; other pools are untouched;
//! * **tombstones**: after `delete_pool`, a commit that would create a record or an index entry
//!   in the pool answers `Conflict` (an operation that read the pool just before the deletion
//!   cannot leave a user behind); an update or a removal of a record that went with the pool
//!   conflicts too; pools the host configures itself (never in the catalog) take users as
//!   always; a pool inserted again under the id takes users again, and nothing of the old pool
//!   comes back;
//! * **versions** (when the catalog keeps them: a catalog whose `pool_version` answers
//!   `Unversioned` must answer it from `client_version` too, and the rest is skipped): a
//!   missing pool or client is `Absent` (a client also when its pool is gone); reads without
//!   writes between them answer the same version; every insert and replace gives the entry a
//!   version it never had; `client_version` answers the client's version with its pool's
//!   current one; a pool or client deleted and made again under its id has a version it never
//!   had before. [`check_directories`] also checks two `CatalogDirectory`s over two handles
//!   of one catalog (two processes on one database) against each other;
//! * **racing a deletion**: writer threads sign users up (and add clients) while the pool is
//!   deleted: afterwards no user or client of the pool is found or listed, and no commit or
//!   insert that started after `delete_pool` returned succeeded.

use crate::conformance::{CheckResult, Report, claim, insert, removal, update, user};
use cognito_signup::CodeKeys;
use cognito_signup::config::{
    AliasAttribute, AppClient, PreventUserExistenceErrors, UserPool, VerifiableAttribute,
};
use cognito_signup::decoy::DECOY_SUB;
use cognito_signup::error::HostError;
use cognito_signup::host::{Directory, PoolCatalog, UserStore};
use cognito_signup::protocol::{
    CatalogOutcome, CatalogVersion, ClientVersion, Commit, CommitOutcome, IndexKey, RecordWrite,
    Versioned,
};
use cognito_signup::reference::{CatalogDirectory, StaticDirectory};
use cognito_signup::user::UserRecord;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The pool most checks use.
const POOL: &str = "us-east-1_CatalogKit";
/// A second pool, which a deletion of the first must leave alone.
const OTHER: &str = "eu-west-1_CatalogKit";
/// A pool the host configures itself: never in the catalog.
const CONFIGURED: &str = "us-east-1_Configured";

type Check<S> = (&'static str, fn(&S) -> Result<(), String>);

/// Runs every check, each against a fresh store from `make`, and panics with every failure.
///
/// # Panics
/// When a check failed.
pub fn run_all<S: UserStore + PoolCatalog>(make: impl Fn() -> S) -> Report {
    let report = check_all(make);
    report.assert_passed();
    report
}

/// Runs every check, each against a fresh store from `make`, and reports the outcomes.
pub fn check_all<S: UserStore + PoolCatalog>(make: impl Fn() -> S) -> Report {
    let checks: &[Check<S>] = &[
        ("pool_insert_conflict_and_read_back", pool_insert_and_read),
        ("pool_replace_needs_the_pool", pool_replace),
        ("pool_list_in_byte_order_of_id", pool_list),
        ("pool_delete_needs_the_pool", pool_delete),
        (
            "client_insert_needs_its_pool_first",
            client_insert_needs_pool,
        ),
        (
            "client_insert_conflict_and_read_back",
            client_insert_and_read,
        ),
        ("client_ids_are_unique_across_pools", client_ids_unique),
        ("client_list_by_pool_in_byte_order_of_id", client_list),
        ("client_replace_only_in_its_pool", client_replace),
        ("client_delete_only_in_its_pool", client_delete),
        (
            "delete_pool_removes_its_clients_and_users",
            delete_pool_removes_everything,
        ),
        ("delete_pool_leaves_other_pools_alone", delete_pool_isolated),
        ("delete_pool_frees_keys_and_client_ids", delete_pool_frees),
        (
            "commits_creating_rows_in_a_deleted_pool_conflict",
            deleted_pool_refuses_commits,
        ),
        ("a_pool_created_again_takes_users", recreated_pool),
        (
            "delete_pool_racing_writers_leaves_nothing_behind",
            delete_pool_racing_writers,
        ),
        ("versions_change_with_every_write", versions_follow_writes),
        (
            "versions_of_entries_made_again_are_new",
            versions_after_recreation,
        ),
    ];
    let mut report = Report::default();
    for (name, check) in checks {
        let store = make();
        report.checks.push(CheckResult {
            name,
            outcome: check(&store),
        });
    }
    report
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pool(id: &str) -> UserPool {
    UserPool::new(id)
}

/// A client of `pool_id` with a name and, when given, a secret.
fn client(pool_id: &str, id: &str, secret: Option<&str>) -> AppClient {
    let mut c = AppClient::new(id);
    c.user_pool_id = Some(pool_id.to_owned());
    c.client_name = Some(format!("name of {id}"));
    c.client_secret = secret.map(str::to_owned);
    c
}

fn call<T>(what: &str, r: Result<T, HostError>) -> Result<T, String> {
    r.map_err(|e| format!("{what} returned Err: {e}"))
}

fn same<T: PartialEq<U> + Debug, U: Debug>(what: &str, got: T, want: U) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: expected {want:?}, got {got:?}"))
    }
}

fn insert_pool<S: PoolCatalog>(s: &S, p: &UserPool, want: CatalogOutcome) -> Result<(), String> {
    let what = format!("insert_pool({})", p.id);
    same(&what, call(&what, s.insert_pool(p))?, want)
}

fn insert_client<S: PoolCatalog>(s: &S, c: &AppClient, want: CatalogOutcome) -> Result<(), String> {
    let what = format!(
        "insert_client({} of {:?})",
        c.client_id,
        c.user_pool_id.as_deref()
    );
    same(&what, call(&what, s.insert_client(c))?, want)
}

fn delete_pool<S: PoolCatalog>(s: &S, id: &str, want: CatalogOutcome) -> Result<(), String> {
    let what = format!("delete_pool({id})");
    same(&what, call(&what, s.delete_pool(id))?, want)
}

fn read_pool<S: PoolCatalog>(s: &S, id: &str) -> Result<Option<UserPool>, String> {
    call(&format!("pool({id})"), s.pool(id))
}

fn read_client<S: PoolCatalog>(s: &S, id: &str) -> Result<Option<AppClient>, String> {
    call(&format!("client({id})"), s.client(id))
}

fn pool_ids<S: PoolCatalog>(
    s: &S,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, String> {
    let pools = call("list_pools", s.list_pools(after, limit))?;
    Ok(pools.into_iter().map(|p| p.id).collect())
}

/// The ids of a pool's clients, checking that each names the pool.
fn client_ids<S: PoolCatalog>(
    s: &S,
    pool_id: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, String> {
    let what = format!("list_clients({pool_id}, {after:?}, {limit})");
    let clients = call(&what, s.list_clients(pool_id, after, limit))?;
    let mut ids = Vec::new();
    for c in clients {
        if c.user_pool_id.as_deref() != Some(pool_id) {
            return Err(format!(
                "{what}: listed {} with user_pool_id {:?}",
                c.client_id, c.user_pool_id
            ));
        }
        ids.push(c.client_id);
    }
    Ok(ids)
}

fn commit<S: UserStore>(s: &S, pool_id: &str, c: &Commit) -> Result<CommitOutcome, String> {
    call("commit", s.commit(pool_id, c))
}

fn expect_commit<S: UserStore>(
    s: &S,
    what: &str,
    pool_id: &str,
    c: &Commit,
    want: CommitOutcome,
) -> Result<(), String> {
    same(what, commit(s, pool_id, c)?, want)
}

fn find<S: UserStore>(
    s: &S,
    pool_id: &str,
    key: IndexKey,
) -> Result<Option<Versioned<UserRecord>>, String> {
    call("find", s.find(pool_id, std::slice::from_ref(&key)))
}

fn expect_no_user<S: UserStore>(s: &S, pool_id: &str, key: IndexKey) -> Result<(), String> {
    match find(s, pool_id, key.clone())? {
        None => Ok(()),
        Some(v) => Err(format!(
            "find({pool_id}, {key:?}): expected nothing, found the record of {} at version {}",
            v.value.sub, v.version
        )),
    }
}

fn expect_user<S: UserStore>(
    s: &S,
    pool_id: &str,
    key: IndexKey,
    sub: &str,
    version: u64,
) -> Result<(), String> {
    match find(s, pool_id, key.clone())? {
        Some(v) if v.value.sub == sub && v.version == version => Ok(()),
        Some(v) => Err(format!(
            "find({pool_id}, {key:?}): expected {sub} at version {version}, found {} at version {}",
            v.value.sub, v.version
        )),
        None => Err(format!(
            "find({pool_id}, {key:?}): expected {sub} at version {version}, found nothing"
        )),
    }
}

fn listed_subs<S: UserStore>(s: &S, pool_id: &str) -> Result<Vec<String>, String> {
    let page = call("list", s.list(pool_id, None, usize::MAX))?;
    Ok(page.into_iter().map(|v| v.value.sub.to_string()).collect())
}

fn alias_key(email: &str) -> IndexKey {
    IndexKey::alias(AliasAttribute::Email, email)
}

/// Gives the user `sub` the verified email alias `email`.
fn claim_alias(email: &str, sub: &str) -> Commit {
    Commit {
        index: vec![claim(alias_key(email), sub)],
        ..Commit::default()
    }
}

fn decoy() -> Commit {
    Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user(DECOY_SUB, "decoy-record"),
        }],
        index: vec![claim(IndexKey::decoy(), DECOY_SUB)],
    }
}

/// `POOL` with two clients, 40 users (spread over any sharding), an alias and the decoy, and
/// `OTHER` with a client and users of the same names and subs.
fn populate<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    for id in [POOL, OTHER] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    for (p, id) in [
        (POOL, "kitclient1"),
        (POOL, "kitclient2"),
        (OTHER, "kitother1"),
    ] {
        insert_client(s, &client(p, id, Some("a-secret")), CatalogOutcome::Done)?;
    }
    for p in [POOL, OTHER] {
        for i in 0..40 {
            let (sub, name) = (format!("sub-{i}"), format!("user{i}"));
            expect_commit(
                s,
                &format!("inserting {sub} into {p}"),
                p,
                &insert(user(&sub, &name)),
                CommitOutcome::Committed,
            )?;
        }
        expect_commit(
            s,
            "claiming an alias",
            p,
            &claim_alias("user0@example.com", "sub-0"),
            CommitOutcome::Committed,
        )?;
        expect_commit(s, "the decoy", p, &decoy(), CommitOutcome::Committed)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Pools

fn pool_insert_and_read<S: PoolCatalog>(s: &S) -> Result<(), String> {
    let mut a = pool(POOL);
    a.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    a.email_verification_subject = Some("Your code".to_owned());
    insert_pool(s, &a, CatalogOutcome::Done)?;
    same("pool read back", read_pool(s, POOL)?, Some(a.clone()))?;
    // The same id again: Conflict, and the stored pool keeps its settings.
    insert_pool(s, &pool(POOL), CatalogOutcome::Conflict)?;
    same(
        "pool after a conflicting insert",
        read_pool(s, POOL)?,
        Some(a),
    )?;
    // Ids are compared exactly.
    same(
        "pool of another case",
        read_pool(s, &POOL.to_lowercase())?,
        None,
    )?;
    same("pool never inserted", read_pool(s, OTHER)?, None)
}

fn pool_replace<S: PoolCatalog>(s: &S) -> Result<(), String> {
    let what = "replace_pool of a missing pool";
    same(
        what,
        call(what, s.replace_pool(&pool(POOL)))?,
        CatalogOutcome::NotFound,
    )?;
    same("pool after a replace of nothing", read_pool(s, POOL)?, None)?;
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    let mut changed = pool(POOL);
    changed.email_verification_message = Some("The code is {####}".to_owned());
    let what = "replace_pool";
    same(
        what,
        call(what, s.replace_pool(&changed))?,
        CatalogOutcome::Done,
    )?;
    same("pool after replace", read_pool(s, POOL)?, Some(changed))?;
    same(
        "pools listed",
        pool_ids(s, None, 10)?,
        vec![POOL.to_owned()],
    )
}

fn pool_list<S: PoolCatalog>(s: &S) -> Result<(), String> {
    // Inserted out of order; listed in byte order (upper case before lower case).
    for id in ["us-east-1_b", "us-east-1_C", "eu-west-1_Z", "us-east-1_AAA"] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    let all = ["eu-west-1_Z", "us-east-1_AAA", "us-east-1_C", "us-east-1_b"];
    same("list_pools(None, 10)", pool_ids(s, None, 10)?, all.to_vec())?;
    same(
        "list_pools(None, usize::MAX)",
        pool_ids(s, None, usize::MAX)?,
        all.to_vec(),
    )?;
    same(
        "list_pools(None, 2)",
        pool_ids(s, None, 2)?,
        all[..2].to_vec(),
    )?;
    same(
        "list_pools(after us-east-1_AAA, 2)",
        pool_ids(s, Some("us-east-1_AAA"), 2)?,
        all[2..].to_vec(),
    )?;
    // `after` need not be an id the catalog holds.
    same(
        "list_pools(after us-east-1_B, 10)",
        pool_ids(s, Some("us-east-1_B"), 10)?,
        all[2..].to_vec(),
    )?;
    same(
        "list_pools(after the last, 10)",
        pool_ids(s, Some("us-east-1_b"), 10)?,
        Vec::<&str>::new(),
    )?;
    same(
        "list_pools(None, 0)",
        pool_ids(s, None, 0)?,
        Vec::<&str>::new(),
    )?;
    // Pages of one, each after the last id of the one before, visit every pool once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let page = pool_ids(s, after.as_deref(), 1)?;
        let Some(last) = page.last().cloned() else {
            break;
        };
        seen.extend(page);
        after = Some(last);
    }
    same("pools paged one at a time", seen, all.to_vec())
}

fn pool_delete<S: PoolCatalog>(s: &S) -> Result<(), String> {
    delete_pool(s, POOL, CatalogOutcome::NotFound)?;
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    insert_pool(s, &pool(OTHER), CatalogOutcome::Done)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    same("deleted pool read", read_pool(s, POOL)?, None)?;
    same(
        "pools listed after the delete",
        pool_ids(s, None, 10)?,
        vec![OTHER.to_owned()],
    )?;
    delete_pool(s, POOL, CatalogOutcome::NotFound)?;
    let what = "replace_pool of a deleted pool";
    same(
        what,
        call(what, s.replace_pool(&pool(POOL)))?,
        CatalogOutcome::NotFound,
    )?;
    same("deleted pool after replace", read_pool(s, POOL)?, None)?;
    same("the other pool", read_pool(s, OTHER)?, Some(pool(OTHER)))
}

// ---------------------------------------------------------------------------------------------
// Clients

fn client_insert_needs_pool<S: PoolCatalog>(s: &S) -> Result<(), String> {
    insert_pool(s, &pool(OTHER), CatalogOutcome::Done)?;
    insert_client(
        s,
        &client(POOL, "kitclient1", None),
        CatalogOutcome::NotFound,
    )?;
    same(
        "client of a missing pool",
        read_client(s, "kitclient1")?,
        None,
    )?;
    let mut orphan = client(POOL, "kitclient2", None);
    orphan.user_pool_id = None;
    insert_client(s, &orphan, CatalogOutcome::NotFound)?;
    same("client without a pool", read_client(s, "kitclient2")?, None)?;
    // The pool is looked at before the client id: a missing pool is NotFound even when the
    // id is taken, and the holder of the id is not changed.
    let taken = client(OTHER, "kitclient3", Some("the-secret"));
    insert_client(s, &taken, CatalogOutcome::Done)?;
    insert_client(
        s,
        &client(POOL, "kitclient3", None),
        CatalogOutcome::NotFound,
    )?;
    let mut orphan = client(POOL, "kitclient3", None);
    orphan.user_pool_id = None;
    insert_client(s, &orphan, CatalogOutcome::NotFound)?;
    same(
        "the holder of the id",
        read_client(s, "kitclient3")?,
        Some(taken),
    )?;
    same(
        "clients of the missing pool",
        client_ids(s, POOL, None, 10)?,
        Vec::<String>::new(),
    )
}

fn client_insert_and_read<S: PoolCatalog>(s: &S) -> Result<(), String> {
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    let mut c = client(POOL, "kitclient1", Some("the-secret-of-kitclient1"));
    c.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
    insert_client(s, &c, CatalogOutcome::Done)?;
    let read = read_client(s, "kitclient1")?;
    same(
        "client secret read back",
        read.as_ref().and_then(|r| r.client_secret.as_deref()),
        Some("the-secret-of-kitclient1"),
    )?;
    same("client read back", read, Some(c.clone()))?;
    // The same id again, with other settings: Conflict, nothing changed.
    insert_client(
        s,
        &client(POOL, "kitclient1", None),
        CatalogOutcome::Conflict,
    )?;
    same(
        "client after a conflicting insert",
        read_client(s, "kitclient1")?,
        Some(c),
    )?;
    same(
        "client of another case",
        read_client(s, "KITCLIENT1")?,
        None,
    )?;
    same("client never inserted", read_client(s, "kitclient9")?, None)
}

fn client_ids_unique<S: PoolCatalog>(s: &S) -> Result<(), String> {
    for id in [POOL, OTHER] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    let c = client(POOL, "kitclient1", Some("secret"));
    insert_client(s, &c, CatalogOutcome::Done)?;
    insert_client(
        s,
        &client(OTHER, "kitclient1", None),
        CatalogOutcome::Conflict,
    )?;
    same(
        "client after a clash",
        read_client(s, "kitclient1")?,
        Some(c),
    )?;
    same(
        "clients of the other pool",
        client_ids(s, OTHER, None, 10)?,
        Vec::<String>::new(),
    )
}

fn client_list<S: PoolCatalog>(s: &S) -> Result<(), String> {
    for id in [POOL, OTHER, "us-east-1_Empty"] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    for (p, id) in [
        (POOL, "c3client"),
        (OTHER, "b1client"),
        (POOL, "C2client"),
        (POOL, "c2client"),
        (OTHER, "c25client"),
        (POOL, "c1client"),
    ] {
        insert_client(s, &client(p, id, None), CatalogOutcome::Done)?;
    }
    let ours = ["C2client", "c1client", "c2client", "c3client"];
    same(
        "list_clients(None, 10)",
        client_ids(s, POOL, None, 10)?,
        ours.to_vec(),
    )?;
    same(
        "list_clients(None, usize::MAX)",
        client_ids(s, POOL, None, usize::MAX)?,
        ours.to_vec(),
    )?;
    same(
        "list_clients(after c1client, 1)",
        client_ids(s, POOL, Some("c1client"), 1)?,
        vec!["c2client"],
    )?;
    // `after` need not be a client of the pool: here one of the other pool's, which sorts
    // between c1client and c2client ('5' is below 'c').
    same(
        "list_clients(after c25client, 10)",
        client_ids(s, POOL, Some("c25client"), 10)?,
        vec!["c2client", "c3client"],
    )?;
    same(
        "list_clients(None, 0)",
        client_ids(s, POOL, None, 0)?,
        Vec::<&str>::new(),
    )?;
    same(
        "the other pool's clients",
        client_ids(s, OTHER, None, 10)?,
        vec!["b1client", "c25client"],
    )?;
    same(
        "a pool without clients",
        client_ids(s, "us-east-1_Empty", None, 10)?,
        Vec::<&str>::new(),
    )?;
    same(
        "a missing pool",
        client_ids(s, "us-east-1_Missing", None, 10)?,
        Vec::<&str>::new(),
    )
}

fn client_replace<S: PoolCatalog>(s: &S) -> Result<(), String> {
    for id in [POOL, OTHER] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    let c = client(POOL, "kitclient1", Some("secret"));
    insert_client(s, &c, CatalogOutcome::Done)?;
    let mut renamed = c.clone();
    renamed.client_name = Some("renamed".to_owned());
    renamed.client_secret = None;
    let what = "replace_client";
    same(
        what,
        call(what, s.replace_client(&renamed))?,
        CatalogOutcome::Done,
    )?;
    same(
        "client after replace",
        read_client(s, "kitclient1")?,
        Some(renamed.clone()),
    )?;
    // Through another pool, a missing pool, no pool, or of a missing client: NotFound, and
    // nothing changes or appears.
    let mut elsewhere = c.clone();
    elsewhere.user_pool_id = Some(OTHER.to_owned());
    let mut missing_pool = c.clone();
    missing_pool.user_pool_id = Some("us-east-1_Missing".to_owned());
    let mut no_pool = c.clone();
    no_pool.user_pool_id = None;
    for (what, attempt) in [
        ("replace_client through another pool", elsewhere),
        ("replace_client through a missing pool", missing_pool),
        ("replace_client without a pool", no_pool),
        (
            "replace_client of a missing client",
            client(POOL, "kitclient9", None),
        ),
    ] {
        same(
            what,
            call(what, s.replace_client(&attempt))?,
            CatalogOutcome::NotFound,
        )?;
    }
    same(
        "client after failed replaces",
        read_client(s, "kitclient1")?,
        Some(renamed),
    )?;
    same(
        "a client never inserted",
        read_client(s, "kitclient9")?,
        None,
    )?;
    same(
        "the other pool's clients",
        client_ids(s, OTHER, None, 10)?,
        Vec::<String>::new(),
    )
}

fn client_delete<S: PoolCatalog>(s: &S) -> Result<(), String> {
    for id in [POOL, OTHER] {
        insert_pool(s, &pool(id), CatalogOutcome::Done)?;
    }
    let c = client(POOL, "kitclient1", None);
    insert_client(s, &c, CatalogOutcome::Done)?;
    insert_client(s, &client(POOL, "kitclient2", None), CatalogOutcome::Done)?;
    for (what, p) in [
        ("delete_client through another pool", OTHER),
        ("delete_client through a missing pool", "us-east-1_Missing"),
    ] {
        same(
            what,
            call(what, s.delete_client(p, "kitclient1"))?,
            CatalogOutcome::NotFound,
        )?;
    }
    same(
        "client after failed deletes",
        read_client(s, "kitclient1")?,
        Some(c),
    )?;
    let what = "delete_client";
    same(
        what,
        call(what, s.delete_client(POOL, "kitclient1"))?,
        CatalogOutcome::Done,
    )?;
    same("deleted client", read_client(s, "kitclient1")?, None)?;
    same(
        "clients after the delete",
        client_ids(s, POOL, None, 10)?,
        vec!["kitclient2"],
    )?;
    let what = "delete_client again";
    same(
        what,
        call(what, s.delete_client(POOL, "kitclient1"))?,
        CatalogOutcome::NotFound,
    )?;
    // The id is free: another pool may take it.
    insert_client(s, &client(OTHER, "kitclient1", None), CatalogOutcome::Done)
}

// ---------------------------------------------------------------------------------------------
// Deleting a pool

/// Nothing of `POOL` is found or listed: no client, no user by any key, no record.
fn expect_pool_gone<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    same("the deleted pool", read_pool(s, POOL)?, None)?;
    for id in ["kitclient1", "kitclient2"] {
        same(&format!("client {id}"), read_client(s, id)?, None)?;
    }
    same(
        "clients of the deleted pool",
        client_ids(s, POOL, None, 10)?,
        Vec::<String>::new(),
    )?;
    for i in 0..40 {
        expect_no_user(s, POOL, IndexKey::username(&format!("user{i}")))?;
        expect_no_user(s, POOL, IndexKey::sub(&format!("sub-{i}")))?;
    }
    expect_no_user(s, POOL, alias_key("user0@example.com"))?;
    expect_no_user(s, POOL, IndexKey::decoy())?;
    same(
        "users listed in the deleted pool",
        listed_subs(s, POOL)?,
        Vec::<String>::new(),
    )
}

fn delete_pool_removes_everything<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    populate(s)?;
    expect_user(s, POOL, IndexKey::username("user7"), "sub-7", 1)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    expect_pool_gone(s)
}

fn delete_pool_isolated<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    populate(s)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    same("the other pool", read_pool(s, OTHER)?, Some(pool(OTHER)))?;
    same(
        "the other pool's clients",
        client_ids(s, OTHER, None, 10)?,
        vec!["kitother1"],
    )?;
    same(
        "the other pool's client secret",
        read_client(s, "kitother1")?.and_then(|c| c.client_secret),
        Some("a-secret".to_owned()),
    )?;
    let mut subs: Vec<String> = (0..40).map(|i| format!("sub-{i}")).collect();
    subs.sort();
    same("the other pool's users", listed_subs(s, OTHER)?, subs)?;
    for i in 0..40 {
        let sub = format!("sub-{i}");
        expect_user(s, OTHER, IndexKey::username(&format!("user{i}")), &sub, 1)?;
    }
    expect_user(s, OTHER, alias_key("user0@example.com"), "sub-0", 1)?;
    expect_user(s, OTHER, IndexKey::decoy(), DECOY_SUB, 1)?;
    // The other pool keeps taking changes.
    let mut changed = user("sub-3", "user3");
    changed.email_verified = true;
    expect_commit(
        s,
        "an update in the other pool",
        OTHER,
        &update(changed, 1),
        CommitOutcome::Committed,
    )?;
    expect_user(s, OTHER, IndexKey::username("user3"), "sub-3", 2)
}

fn delete_pool_frees<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    populate(s)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    // The client ids are free for another pool.
    insert_client(s, &client(OTHER, "kitclient1", None), CatalogOutcome::Done)?;
    // Made again, the pool's names, subs and aliases are free: new users take them at
    // version 1, whoever held them before.
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    for i in 0..40 {
        let (sub, name) = (format!("sub-{i}"), format!("user{i}"));
        expect_commit(
            s,
            &format!("inserting {sub} again"),
            POOL,
            &insert(user(&sub, &name)),
            CommitOutcome::Committed,
        )?;
    }
    expect_commit(
        s,
        "claiming the alias again, for another user",
        POOL,
        &claim_alias("user0@example.com", "sub-1"),
        CommitOutcome::Committed,
    )?;
    expect_commit(
        s,
        "the decoy again",
        POOL,
        &decoy(),
        CommitOutcome::Committed,
    )?;
    expect_user(s, POOL, IndexKey::username("user0"), "sub-0", 1)?;
    expect_user(s, POOL, alias_key("user0@example.com"), "sub-1", 1)?;
    same(
        "clients of the pool made again",
        client_ids(s, POOL, None, 10)?,
        Vec::<String>::new(),
    )
}

fn deleted_pool_refuses_commits<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    populate(s)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    // What an operation that read the pool (or a user) just before the deletion would commit.
    expect_commit(
        s,
        "a new user in a deleted pool",
        POOL,
        &insert(user("sub-new", "newcomer")),
        CommitOutcome::Conflict,
    )?;
    let record_only = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user("sub-bare", "bare"),
        }],
        index: Vec::new(),
    };
    expect_commit(
        s,
        "a new record without keys in a deleted pool",
        POOL,
        &record_only,
        CommitOutcome::Conflict,
    )?;
    expect_commit(
        s,
        "a claim of a key in a deleted pool",
        POOL,
        &claim_alias("late@example.com", "sub-1"),
        CommitOutcome::Conflict,
    )?;
    expect_commit(
        s,
        "an update of a user of a deleted pool",
        POOL,
        &update(user("sub-2", "user2"), 1),
        CommitOutcome::Conflict,
    )?;
    expect_commit(
        s,
        "a removal of a user of a deleted pool",
        POOL,
        &removal("sub-3", "user3", 1),
        CommitOutcome::Conflict,
    )?;
    expect_commit(
        s,
        "the decoy of a deleted pool",
        POOL,
        &decoy(),
        CommitOutcome::Conflict,
    )?;
    expect_no_user(s, POOL, IndexKey::username("newcomer"))?;
    expect_no_user(s, POOL, IndexKey::sub("sub-bare"))?;
    expect_no_user(s, POOL, alias_key("late@example.com"))?;
    expect_pool_gone(s)?;
    // A pool the host configures itself is never in the catalog: it takes users as always.
    expect_commit(
        s,
        "a new user in a configured pool",
        CONFIGURED,
        &insert(user("sub-1", "user1")),
        CommitOutcome::Committed,
    )?;
    expect_user(s, CONFIGURED, IndexKey::username("user1"), "sub-1", 1)?;
    // So does a catalog pool that was not deleted.
    expect_commit(
        s,
        "a new user in the other pool",
        OTHER,
        &insert(user("sub-new", "newcomer")),
        CommitOutcome::Committed,
    )?;
    expect_user(s, OTHER, IndexKey::username("newcomer"), "sub-new", 1)
}

fn recreated_pool<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    populate(s)?;
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    expect_commit(
        s,
        "a new user before the pool is made again",
        POOL,
        &insert(user("sub-new", "newcomer")),
        CommitOutcome::Conflict,
    )?;
    let mut again = pool(POOL);
    again.email_verification_subject = Some("Again".to_owned());
    insert_pool(s, &again, CatalogOutcome::Done)?;
    same("the pool made again", read_pool(s, POOL)?, Some(again))?;
    expect_commit(
        s,
        "a new user in the pool made again",
        POOL,
        &insert(user("sub-new", "newcomer")),
        CommitOutcome::Committed,
    )?;
    expect_commit(
        s,
        "a claim in the pool made again",
        POOL,
        &claim_alias("newcomer@example.com", "sub-new"),
        CommitOutcome::Committed,
    )?;
    expect_user(s, POOL, IndexKey::username("newcomer"), "sub-new", 1)?;
    expect_user(s, POOL, alias_key("newcomer@example.com"), "sub-new", 1)?;
    // Nothing of the old pool comes back with it.
    same(
        "users of the pool made again",
        listed_subs(s, POOL)?,
        vec!["sub-new".to_owned()],
    )?;
    expect_no_user(s, POOL, IndexKey::username("user5"))?;
    expect_no_user(s, POOL, alias_key("user0@example.com"))?;
    expect_no_user(s, POOL, IndexKey::decoy())?;
    same("an old client", read_client(s, "kitclient1")?, None)?;
    same(
        "clients of the pool made again",
        client_ids(s, POOL, None, 10)?,
        Vec::<String>::new(),
    )?;
    insert_client(s, &client(POOL, "kitclient1", None), CatalogOutcome::Done)?;
    // Deleted a second time, it refuses users again.
    delete_pool(s, POOL, CatalogOutcome::Done)?;
    expect_commit(
        s,
        "a new user after the second deletion",
        POOL,
        &insert(user("sub-late", "late")),
        CommitOutcome::Conflict,
    )?;
    same(
        "users after the second deletion",
        listed_subs(s, POOL)?,
        Vec::<String>::new(),
    )
}

/// Writer threads sign users up in the pool (and one adds clients) while it is deleted. A
/// durable store busy past its timeout may answer `Err`, which leaves nothing behind either.
fn delete_pool_racing_writers<S: UserStore + PoolCatalog>(s: &S) -> Result<(), String> {
    const WRITERS: usize = 4;
    /// Writes each writer makes after it saw the deletion answered.
    const LATE: usize = 5;
    /// An upper bound on each writer's writes, so that a store that refuses everything ends.
    const MOST: usize = 5_000;
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    insert_pool(s, &pool(OTHER), CatalogOutcome::Done)?;
    let done_before = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let deleted = AtomicBool::new(false);
    // What was applied after the deletion answered, and every name that was ever applied.
    let late_successes: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let applied_users: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let applied_clients: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let deletion = std::thread::scope(|scope| {
        for w in 0..=WRITERS {
            let (done_before, finished, deleted) = (&done_before, &finished, &deleted);
            let (late_successes, applied_users, applied_clients) =
                (&late_successes, &applied_users, &applied_clients);
            scope.spawn(move || {
                let mut late = 0usize;
                for i in 0..MOST {
                    let after_delete = deleted.load(Ordering::SeqCst);
                    // The last writer adds clients; the others sign users up (as SignUp does
                    // once it has read the pool).
                    let (name, ok) = if w == WRITERS {
                        let id = format!("racer{i}client");
                        let ok = matches!(
                            s.insert_client(&client(POOL, &id, None)),
                            Ok(CatalogOutcome::Done)
                        );
                        (id, ok)
                    } else {
                        let sub = format!("w{w}-{i}");
                        let ok = matches!(
                            s.commit(POOL, &insert(user(&sub, &sub))),
                            Ok(CommitOutcome::Committed)
                        );
                        (sub, ok)
                    };
                    if ok {
                        let applied = if w == WRITERS {
                            applied_clients
                        } else {
                            applied_users
                        };
                        if let Ok(mut v) = applied.lock() {
                            v.push(name.clone());
                        }
                    }
                    if !after_delete {
                        if ok {
                            done_before.fetch_add(1, Ordering::SeqCst);
                        }
                        continue;
                    }
                    if ok {
                        if let Ok(mut v) = late_successes.lock() {
                            v.push(name);
                        }
                    }
                    late = late.saturating_add(1);
                    if late >= LATE {
                        break;
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
            });
        }
        // Delete once a few writes were applied (or every writer has given up).
        while done_before.load(Ordering::SeqCst) < WRITERS.saturating_mul(2)
            && finished.load(Ordering::SeqCst) <= WRITERS
        {
            std::thread::yield_now();
        }
        let outcome = s.delete_pool(POOL);
        deleted.store(true, Ordering::SeqCst);
        outcome
    });
    same(
        "delete_pool while writers run",
        call("delete_pool", deletion)?,
        CatalogOutcome::Done,
    )?;
    let late = late_successes.lock().map(|v| v.clone()).unwrap_or_default();
    if !late.is_empty() {
        return Err(format!(
            "writes that started after delete_pool answered were applied: {late:?}"
        ));
    }
    let users = applied_users.lock().map(|v| v.clone()).unwrap_or_default();
    let clients = applied_clients
        .lock()
        .map(|v| v.clone())
        .unwrap_or_default();
    if users.is_empty() {
        return Err("no sign-up was applied before the deletion: the race did not run".into());
    }
    let check_gone = |when: &str| -> Result<(), String> {
        same(
            &format!("users listed {when}"),
            listed_subs(s, POOL)?,
            Vec::<String>::new(),
        )?;
        for sub in &users {
            expect_no_user(s, POOL, IndexKey::username(sub))
                .and_then(|()| expect_no_user(s, POOL, IndexKey::sub(sub)))
                .map_err(|e| format!("{when}: {e}"))?;
        }
        for id in &clients {
            same(&format!("client {id} {when}"), read_client(s, id)?, None)?;
        }
        same(
            &format!("clients listed {when}"),
            client_ids(s, POOL, None, usize::MAX)?,
            Vec::<String>::new(),
        )
    };
    check_gone("after the race")?;
    // Nothing of the pool was kept out of sight to come back with a pool of the same id.
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    check_gone("once the pool is made again")?;
    same("the other pool", read_pool(s, OTHER)?, Some(pool(OTHER)))
}

// ---------------------------------------------------------------------------------------------
// Versions ([pool-directory])

fn pool_version<S: PoolCatalog>(s: &S, id: &str) -> Result<CatalogVersion<u64>, String> {
    call(&format!("pool_version({id})"), s.pool_version(id))
}

fn client_version<S: PoolCatalog>(
    s: &S,
    id: &str,
) -> Result<CatalogVersion<ClientVersion>, String> {
    call(&format!("client_version({id})"), s.client_version(id))
}

/// Whether the catalog keeps versions; one that does not must say so from both methods.
fn keeps_versions<S: PoolCatalog>(s: &S) -> Result<bool, String> {
    match pool_version(s, "us-east-1_NeverMade")? {
        CatalogVersion::Unversioned => {
            same(
                "client_version of a catalog whose pool_version answers Unversioned",
                client_version(s, "kitneverclient")?,
                CatalogVersion::Unversioned,
            )?;
            Ok(false)
        }
        CatalogVersion::Absent => Ok(true),
        other => Err(format!(
            "pool_version of a missing pool: expected Absent, got {other:?}"
        )),
    }
}

/// The pool's version, which must be present.
fn pool_at<S: PoolCatalog>(s: &S, id: &str) -> Result<u64, String> {
    match pool_version(s, id)? {
        CatalogVersion::At(v) => Ok(v),
        other => Err(format!(
            "pool_version({id}) of a present pool: got {other:?}"
        )),
    }
}

/// The client's versions, which must be present.
fn client_at<S: PoolCatalog>(s: &S, id: &str) -> Result<ClientVersion, String> {
    match client_version(s, id)? {
        CatalogVersion::At(v) => Ok(v),
        other => Err(format!(
            "client_version({id}) of a present client: got {other:?}"
        )),
    }
}

/// `v` must be none of `seen`; then it is seen.
fn fresh(what: &str, v: u64, seen: &mut Vec<u64>) -> Result<(), String> {
    if seen.contains(&v) {
        return Err(format!("{what}: version {v} was given before ({seen:?})"));
    }
    seen.push(v);
    Ok(())
}

fn versions_follow_writes<S: PoolCatalog>(s: &S) -> Result<(), String> {
    if !keeps_versions(s)? {
        return Ok(());
    }
    same(
        "client_version of a missing client",
        client_version(s, "kitclient1")?,
        CatalogVersion::Absent,
    )?;
    let mut pools = Vec::new();
    let mut clients = Vec::new();
    insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
    let v = pool_at(s, POOL)?;
    fresh("pool after insert", v, &mut pools)?;
    same(
        "pool_version read again",
        pool_version(s, POOL)?,
        CatalogVersion::At(v),
    )?;
    let mut renamed = pool(POOL);
    renamed.name = Some("renamed".to_owned());
    same(
        "replace_pool",
        call("replace_pool", s.replace_pool(&renamed))?,
        CatalogOutcome::Done,
    )?;
    let v = pool_at(s, POOL)?;
    fresh("pool after replace", v, &mut pools)?;
    let c = client(POOL, "kitclient1", None);
    insert_client(s, &c, CatalogOutcome::Done)?;
    let cv = client_at(s, "kitclient1")?;
    same("the pool's version in client_version", cv.pool, v)?;
    fresh("client after insert", cv.client, &mut clients)?;
    same(
        "client_version read again",
        client_version(s, "kitclient1")?,
        CatalogVersion::At(cv),
    )?;
    // A secret added: a new client version, the pool's unchanged.
    let mut secret = c.clone();
    secret.client_secret = Some("new-secret".to_owned());
    same(
        "replace_client",
        call("replace_client", s.replace_client(&secret))?,
        CatalogOutcome::Done,
    )?;
    let cv = client_at(s, "kitclient1")?;
    same("the pool's version after a client replace", cv.pool, v)?;
    fresh("client after replace", cv.client, &mut clients)?;
    // The pool changed: client_version carries its new version.
    same(
        "replace_pool",
        call("replace_pool", s.replace_pool(&pool(POOL)))?,
        CatalogOutcome::Done,
    )?;
    let v = pool_at(s, POOL)?;
    fresh("pool after a second replace", v, &mut pools)?;
    same(
        "client_version after its pool was replaced",
        client_version(s, "kitclient1")?,
        CatalogVersion::At(ClientVersion {
            client: cv.client,
            pool: v,
        }),
    )?;
    // A deleted client is absent; its pool keeps its version.
    same(
        "delete_client",
        call("delete_client", s.delete_client(POOL, "kitclient1"))?,
        CatalogOutcome::Done,
    )?;
    same(
        "client_version of a deleted client",
        client_version(s, "kitclient1")?,
        CatalogVersion::Absent,
    )?;
    same(
        "pool_version after a client delete",
        pool_version(s, POOL)?,
        CatalogVersion::At(v),
    )
}

fn versions_after_recreation<S: PoolCatalog>(s: &S) -> Result<(), String> {
    if !keeps_versions(s)? {
        return Ok(());
    }
    let mut pools = Vec::new();
    let mut clients = Vec::new();
    for round in 0..3 {
        insert_pool(s, &pool(POOL), CatalogOutcome::Done)?;
        fresh(
            &format!("pool made (round {round})"),
            pool_at(s, POOL)?,
            &mut pools,
        )?;
        insert_client(s, &client(POOL, "kitclient1", None), CatalogOutcome::Done)?;
        let cv = client_at(s, "kitclient1")?;
        fresh(
            &format!("client made (round {round})"),
            cv.client,
            &mut clients,
        )?;
        same(
            "delete_client",
            call("delete_client", s.delete_client(POOL, "kitclient1"))?,
            CatalogOutcome::Done,
        )?;
        insert_client(s, &client(POOL, "kitclient1", None), CatalogOutcome::Done)?;
        let cv = client_at(s, "kitclient1")?;
        fresh(
            &format!("client made again (round {round})"),
            cv.client,
            &mut clients,
        )?;
        delete_pool(s, POOL, CatalogOutcome::Done)?;
        same(
            "pool_version of a deleted pool",
            pool_version(s, POOL)?,
            CatalogVersion::Absent,
        )?;
        same(
            "client_version of a client of a deleted pool",
            client_version(s, "kitclient1")?,
            CatalogVersion::Absent,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Two directories over one catalog

/// Runs [`check_directories`] and panics with what it found.
///
/// # Panics
/// When the check failed.
#[allow(clippy::panic)] // A test kit reports a failure by panicking.
pub fn run_directories(one: Arc<dyn PoolCatalog>, other: Arc<dyn PoolCatalog>) {
    if let Err(e) = check_directories(one, other) {
        panic!("the directories over one catalog disagree: {e}");
    }
}

/// Two [`CatalogDirectory`]s, one over each of two handles of one catalog (two stores on one
/// database file or server, as two processes have; or the same value twice), each seeing what
/// is written through the other at once ([pool-directory]): a pool and client made, the pool's
/// settings and the client's secret changed, the client deleted, the pool deleted and made
/// again under its id with other settings; and, after 200 pools made, resolved and deleted,
/// neither directory's cache holds more than 64 entries.
///
/// The handles must be empty and must keep versions or not alike.
///
/// # Errors
/// What was expected and what a directory answered.
pub fn check_directories(
    one: Arc<dyn PoolCatalog>,
    other: Arc<dyn PoolCatalog>,
) -> Result<(), String> {
    const DIR_POOL: &str = "us-east-1_DirectoryKit";
    const DIR_CLIENT: &str = "kitdirectoryclient";
    let keys = |_: &str| -> Result<CodeKeys, HostError> { Ok(CodeKeys::new(&[[5; 32]])?) };
    let dirs = [
        CatalogDirectory::new(StaticDirectory::new(), Arc::clone(&one), keys),
        CatalogDirectory::new(StaticDirectory::new(), Arc::clone(&other), keys),
    ];
    let catalogs = [one, other];
    // What both directories answer for the client: its pool's name and its secret.
    let seen = |what: &str, want: Option<(Option<&str>, Option<&str>)>| -> Result<(), String> {
        for (i, d) in dirs.iter().enumerate() {
            let got = call(what, d.client(DIR_CLIENT))?;
            let got = got.as_ref().map(|c| {
                (
                    c.pool.pool.name.as_deref(),
                    c.client.client_secret.as_deref(),
                )
            });
            same(&format!("{what}: directory {i}'s client"), got, want)?;
            let pool = call(what, d.pool(DIR_POOL))?;
            let pool_name = pool.as_ref().map(|p| p.pool.name.as_deref());
            same(
                &format!("{what}: directory {i}'s pool"),
                pool_name,
                want.map(|(name, _)| name),
            )?;
        }
        Ok(())
    };
    let mut p = pool(DIR_POOL);
    p.name = Some("first".to_owned());
    insert_pool(&catalogs[0], &p, CatalogOutcome::Done)?;
    insert_client(
        &catalogs[0],
        &client(DIR_POOL, DIR_CLIENT, None),
        CatalogOutcome::Done,
    )?;
    seen("made through the first", Some((Some("first"), None)))?;
    seen("resolved again", Some((Some("first"), None)))?;
    p.name = Some("second".to_owned());
    same(
        "replace_pool",
        call("replace_pool", catalogs[1].replace_pool(&p))?,
        CatalogOutcome::Done,
    )?;
    seen(
        "pool renamed through the second",
        Some((Some("second"), None)),
    )?;
    let secret = client(DIR_POOL, DIR_CLIENT, Some("added-secret"));
    same(
        "replace_client",
        call("replace_client", catalogs[0].replace_client(&secret))?,
        CatalogOutcome::Done,
    )?;
    seen(
        "secret added through the first",
        Some((Some("second"), Some("added-secret"))),
    )?;
    same(
        "delete_client",
        call(
            "delete_client",
            catalogs[1].delete_client(DIR_POOL, DIR_CLIENT),
        )?,
        CatalogOutcome::Done,
    )?;
    for (i, d) in dirs.iter().enumerate() {
        same(
            &format!("client deleted through the second: directory {i}"),
            call("client", d.client(DIR_CLIENT))?.is_none(),
            true,
        )?;
    }
    insert_client(
        &catalogs[1],
        &client(DIR_POOL, DIR_CLIENT, None),
        CatalogOutcome::Done,
    )?;
    seen(
        "client made again through the second",
        Some((Some("second"), None)),
    )?;
    delete_pool(&catalogs[0], DIR_POOL, CatalogOutcome::Done)?;
    seen("pool deleted through the first", None)?;
    // Made again under its id, with other settings and a client: the new pool, not the old.
    let mut again = pool(DIR_POOL);
    again.name = Some("made again".to_owned());
    insert_pool(&catalogs[1], &again, CatalogOutcome::Done)?;
    for (i, d) in dirs.iter().enumerate() {
        same(
            &format!("pool made again without its client: directory {i}'s client"),
            call("client", d.client(DIR_CLIENT))?.is_none(),
            true,
        )?;
        let pool = call("pool", d.pool(DIR_POOL))?;
        same(
            &format!("pool made again: directory {i}'s pool"),
            pool.as_ref().map(|p| p.pool.name.as_deref()),
            Some(Some("made again")),
        )?;
    }
    insert_client(
        &catalogs[1],
        &client(DIR_POOL, DIR_CLIENT, Some("new-secret")),
        CatalogOutcome::Done,
    )?;
    seen(
        "pool made again through the second",
        Some((Some("made again"), Some("new-secret"))),
    )?;
    delete_pool(&catalogs[1], DIR_POOL, CatalogOutcome::Done)?;
    seen("pool deleted again", None)?;
    // Every directory resolves the pool under this name.
    let all_see = |what: &str, name: &str| -> Result<(), String> {
        for (i, d) in dirs.iter().enumerate() {
            let pool = call("pool", d.pool(DIR_POOL))?;
            same(
                &format!("{what}: directory {i}'s pool"),
                pool.as_ref().map(|p| p.pool.name.as_deref()),
                Some(Some(name)),
            )?;
        }
        Ok(())
    };
    // Deleted and made again through one while the other looks at neither step.
    let mut old = pool(DIR_POOL);
    old.name = Some("old".to_owned());
    insert_pool(&catalogs[0], &old, CatalogOutcome::Done)?;
    all_see("pool made", "old")?;
    delete_pool(&catalogs[1], DIR_POOL, CatalogOutcome::Done)?;
    let mut new = pool(DIR_POOL);
    new.name = Some("new".to_owned());
    insert_pool(&catalogs[1], &new, CatalogOutcome::Done)?;
    all_see("pool made again unseen", "new")?;
    delete_pool(&catalogs[0], DIR_POOL, CatalogOutcome::Done)?;
    // A churn: each directory resolves every pool while it lives; none is kept after.
    for n in 0..200 {
        let id = format!("us-east-1_Churn{n}");
        let client_id = format!("kitchurnclient{n}");
        let writer = &catalogs[n % 2];
        insert_pool(writer, &pool(&id), CatalogOutcome::Done)?;
        insert_client(writer, &client(&id, &client_id, None), CatalogOutcome::Done)?;
        for (i, d) in dirs.iter().enumerate() {
            same(
                &format!("churn pool {n}: directory {i} resolves its client"),
                call("client", d.client(&client_id))?.is_some(),
                true,
            )?;
        }
        delete_pool(writer, &id, CatalogOutcome::Done)?;
    }
    for (i, d) in dirs.iter().enumerate() {
        let held = d.cached_entries();
        if held > 64 {
            return Err(format!(
                "after 200 pools made and deleted, directory {i}'s cache holds {held} entries"
            ));
        }
    }
    Ok(())
}

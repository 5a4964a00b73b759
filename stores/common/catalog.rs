//! What the durable stores must do for ListUsers, AdminDeleteUser and the pool catalog, checked
//! on the database: the order of `list`, `Commit::removals`, and `delete_pool` leaving no row of
//! the pool in any table (counted with the crate's own SQL). What every `PoolCatalog` must do,
//! whatever it is kept in, is checked by the catalog kit of the test-support crate,
//! `cognito_signup_testkit::catalog`, which each store crate runs (`passes_the_catalog_kit`).

use crate::suite::{insert, ukey, user};
use cognito_signup::store::{
    CatalogOutcome, Commit, CommitOutcome, DECOY_SUB, IndexKey, IndexWrite, PoolCatalog,
    RecordRemoval, RecordWrite, UserStore,
};
use cognito_signup::{AppClient, UserPool};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The tables that hold a pool's rows, keyed by `pool_id`.
pub const TABLES: [&str; 4] = [
    "cognito_pools",
    "cognito_clients",
    "cognito_users",
    "cognito_index",
];

/// Counts the rows of a table with `pool_id` = the pool.
pub type Count<'a> = &'a dyn Fn(&str, &str) -> i64;

pub fn pool(id: &str) -> UserPool {
    UserPool::new(id)
}

pub fn client(pool_id: &str, id: &str, secret: Option<&str>) -> AppClient {
    let mut c = AppClient::new(id);
    c.user_pool_id = Some(pool_id.into());
    c.client_name = Some(format!("name of {id}"));
    c.client_secret = secret.map(Into::into);
    c
}

fn removal(sub: &str, expected_version: u64) -> RecordRemoval {
    RecordRemoval {
        sub: sub.into(),
        expected_version,
    }
}

fn unindex(key: IndexKey, sub: &str) -> IndexWrite {
    IndexWrite {
        key,
        expected: Some(sub.into()),
        new: None,
    }
}

/// Removes the record `sub` (username `name`) at `version` with its two index entries.
pub fn delete_user(sub: &str, name: &str, version: u64) -> Commit {
    Commit {
        removals: vec![removal(sub, version)],
        records: Vec::new(),
        index: vec![unindex(ukey(name), sub), unindex(IndexKey::sub(sub), sub)],
    }
}

fn subs_of<S: UserStore>(store: &S, pool: &str, after: Option<&str>, limit: usize) -> Vec<String> {
    store
        .list(pool, after, limit)
        .unwrap()
        .into_iter()
        .map(|v| v.value.sub.to_string())
        .collect()
}

pub fn list_pages_in_byte_order_without_the_decoy<S: UserStore>(store: &S) {
    const P: &str = "us-east-1_List";
    // Byte order, not a locale's: upper case before lower case, and a multi-byte letter last.
    let subs = ["b-2", "a", "Z", "\u{e9}t\u{e9}", "B", "a0", "b-10"];
    for (i, sub) in subs.iter().enumerate() {
        let name = format!("user{i}");
        assert_eq!(
            store.commit(P, &insert(user(sub, &name))).unwrap(),
            CommitOutcome::Committed
        );
    }
    // The decoy record, a user of another pool, and a second version of one record.
    let decoy = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user(DECOY_SUB, "decoy-record"),
        }],
        index: vec![IndexWrite {
            key: IndexKey::decoy(),
            expected: None,
            new: Some(DECOY_SUB.into()),
        }],
    };
    assert_eq!(store.commit(P, &decoy).unwrap(), CommitOutcome::Committed);
    assert_eq!(
        store
            .commit("us-east-1_Other", &insert(user("aa", "other")))
            .unwrap(),
        CommitOutcome::Committed
    );
    let mut changed = user("a0", "user5");
    changed.email = Some("a0@example.com".into());
    let update = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: Some(1),
            record: changed.clone(),
        }],
        index: Vec::new(),
    };
    assert_eq!(store.commit(P, &update).unwrap(), CommitOutcome::Committed);

    let mut sorted: Vec<String> = subs.iter().map(|s| s.to_string()).collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(
        sorted,
        ["B", "Z", "a", "a0", "b-10", "b-2", "\u{e9}t\u{e9}"]
    );
    let all = store.list(P, None, 100).unwrap();
    let got: Vec<&str> = all.iter().map(|v| v.value.sub.as_str()).collect();
    assert_eq!(got, sorted);
    let a0 = all.iter().find(|v| v.value.sub == "a0").unwrap();
    assert_eq!((a0.version, &a0.value), (2, &changed));
    assert!(
        all.iter()
            .filter(|v| v.value.sub != "a0")
            .all(|v| v.version == 1)
    );

    // Pages of two, each starting after the last sub of the one before.
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = subs_of(store, P, after.as_deref(), 2);
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        after = page.last().cloned();
        pages.push(page);
    }
    assert_eq!(pages.len(), 4);
    assert_eq!(pages.concat(), sorted);
    // `after` need not be a sub the pool holds; the decoy is skipped wherever it falls.
    assert_eq!(subs_of(store, P, Some("a00"), 2), ["b-10", "b-2"]);
    assert_eq!(subs_of(store, P, Some(""), 1), ["B"]);
    assert_eq!(
        subs_of(store, P, Some("\u{e9}t\u{e9}"), 10),
        Vec::<String>::new()
    );
    assert_eq!(subs_of(store, P, None, 0), Vec::<String>::new());
    assert_eq!(subs_of(store, P, None, usize::MAX).len(), 7);
    assert_eq!(subs_of(store, "us-east-1_Other", None, 10), ["aa"]);
    assert_eq!(
        subs_of(store, "us-east-1_None", None, 10),
        Vec::<String>::new()
    );
}

pub fn removals_apply_only_at_the_expected_version_and_all_or_nothing<S: UserStore>(store: &S) {
    const P: &str = "us-east-1_Remove";
    for (sub, name) in [("sa", "alice"), ("sb", "bob")] {
        assert_eq!(
            store.commit(P, &insert(user(sub, name))).unwrap(),
            CommitOutcome::Committed
        );
    }
    let mut alice = user("sa", "alice");
    alice.email = Some("alice@example.com".into());
    let bump = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: Some(1),
            record: alice.clone(),
        }],
        index: Vec::new(),
    };
    assert_eq!(store.commit(P, &bump).unwrap(), CommitOutcome::Committed);
    let before = store.list(P, None, 10).unwrap();
    let still_there = |what: &str| {
        assert_eq!(store.list(P, None, 10).unwrap(), before, "{what}");
        assert_eq!(
            store.find(P, &[ukey("alice")]).unwrap().map(|v| v.version),
            Some(2),
            "{what}"
        );
    };

    // A wrong version, a missing record: nothing is removed.
    let stale = delete_user("sa", "alice", 1);
    assert_eq!(store.commit(P, &stale).unwrap(), CommitOutcome::Conflict);
    still_there("stale version");
    let missing = Commit {
        removals: vec![removal("nobody", 1)],
        ..Commit::default()
    };
    assert_eq!(store.commit(P, &missing).unwrap(), CommitOutcome::Conflict);
    let mut past_i64 = delete_user("sa", "alice", 2);
    past_i64.removals[0].expected_version = u64::MAX;
    assert_eq!(store.commit(P, &past_i64).unwrap(), CommitOutcome::Conflict);
    still_there("version past i64::MAX");

    // One failing part of a commit undoes the rest: a right removal beside a missing one, a
    // stale write, or an index write whose holder is wrong.
    let mut with_missing = delete_user("sa", "alice", 2);
    with_missing.removals.push(removal("nobody", 1));
    assert_eq!(
        store.commit(P, &with_missing).unwrap(),
        CommitOutcome::Conflict
    );
    still_there("beside a missing removal");
    let mut with_stale_write = delete_user("sa", "alice", 2);
    with_stale_write.records.push(RecordWrite {
        expected_version: Some(9),
        record: user("sb", "bob"),
    });
    assert_eq!(
        store.commit(P, &with_stale_write).unwrap(),
        CommitOutcome::Conflict
    );
    still_there("beside a stale write");
    let mut with_wrong_holder = delete_user("sa", "alice", 2);
    with_wrong_holder.index[0].expected = Some("sb".into());
    assert_eq!(
        store.commit(P, &with_wrong_holder).unwrap(),
        CommitOutcome::Conflict
    );
    still_there("beside a wrong index holder");
    // Writing and removing one record in one commit is a conflict.
    let mut write_and_remove = delete_user("sa", "alice", 2);
    write_and_remove.records.push(RecordWrite {
        expected_version: Some(2),
        record: alice.clone(),
    });
    assert_eq!(
        store.commit(P, &write_and_remove).unwrap(),
        CommitOutcome::Conflict
    );
    still_there("written and removed");

    // At the right version: gone, with its index entries; bob is untouched.
    assert_eq!(
        store.commit(P, &delete_user("sa", "alice", 2)).unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(store.find(P, &[ukey("alice")]).unwrap(), None);
    assert_eq!(store.find(P, &[IndexKey::sub("sa")]).unwrap(), None);
    assert_eq!(subs_of(store, P, None, 10), ["sb"]);
    // Removing it again conflicts; the sub may be used again, from version 1.
    assert_eq!(
        store.commit(P, &delete_user("sa", "alice", 2)).unwrap(),
        CommitOutcome::Conflict
    );
    assert_eq!(
        store.commit(P, &insert(user("sa", "alice"))).unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(
        store.find(P, &[ukey("alice")]).unwrap().map(|v| v.version),
        Some(1)
    );
    // A removal next to a write of another record, in one commit.
    let mut bob = user("sb", "bob");
    bob.email = Some("bob@example.com".into());
    let mut both = delete_user("sa", "alice", 1);
    both.records.push(RecordWrite {
        expected_version: Some(1),
        record: bob.clone(),
    });
    assert_eq!(store.commit(P, &both).unwrap(), CommitOutcome::Committed);
    let left = store.list(P, None, 10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].version, &left[0].value), (2, &bob));
}

/// A pool with two clients, three users (one with an alias) and its decoy, and a neighbour
/// pool with a client and a user.
fn populate<S: UserStore + PoolCatalog>(store: &S, p: &str, q: &str) {
    for id in [p, q] {
        assert_eq!(store.insert_pool(&pool(id)).unwrap(), CatalogOutcome::Done);
    }
    for (pool_id, id) in [(p, "p1client"), (p, "p2client"), (q, "q1client")] {
        assert_eq!(
            store
                .insert_client(&client(pool_id, id, Some("secret")))
                .unwrap(),
            CatalogOutcome::Done
        );
    }
    for (pool_id, sub, name) in [
        (p, "s1", "ann"),
        (p, "s2", "ben"),
        (p, "s3", "cat"),
        (q, "s1", "ann"),
    ] {
        assert_eq!(
            store.commit(pool_id, &insert(user(sub, name))).unwrap(),
            CommitOutcome::Committed
        );
    }
    let alias = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![IndexWrite {
            key: IndexKey::alias(cognito_signup::AliasAttribute::Email, "ann@example.com"),
            expected: None,
            new: Some("s1".into()),
        }],
    };
    assert_eq!(store.commit(p, &alias).unwrap(), CommitOutcome::Committed);
    let decoy = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user(DECOY_SUB, "decoy-record"),
        }],
        index: vec![IndexWrite {
            key: IndexKey::decoy(),
            expected: None,
            new: Some(DECOY_SUB.into()),
        }],
    };
    assert_eq!(store.commit(p, &decoy).unwrap(), CommitOutcome::Committed);
}

fn counts(count: Count<'_>, pool: &str) -> Vec<i64> {
    TABLES.iter().map(|t| count(t, pool)).collect()
}

pub fn delete_pool_leaves_no_row_of_the_pool_in_any_table<S: UserStore + PoolCatalog>(
    store: &S,
    count: Count<'_>,
) {
    const P: &str = "us-east-1_Doomed";
    const Q: &str = "us-east-1_Kept";
    populate(store, P, Q);
    // pools, clients, users (3 + decoy), index (2 per user + alias + decoy).
    assert_eq!(counts(count, P), [1, 2, 4, 8]);
    assert_eq!(counts(count, Q), [1, 1, 1, 2]);
    assert_eq!(store.delete_pool(P).unwrap(), CatalogOutcome::Done);
    assert_eq!(counts(count, P), [0, 0, 0, 0]);
    assert_eq!(counts(count, Q), [1, 1, 1, 2], "the neighbour is untouched");
    assert_eq!(store.find(P, &[ukey("ann")]).unwrap(), None);
    assert_eq!(store.list(P, None, 10).unwrap(), Vec::new());
    assert_eq!(store.client("p1client").unwrap(), None);
    assert!(store.find(Q, &[ukey("ann")]).unwrap().is_some());

    // A commit that read the pool before it was deleted creates nothing in it: a new user,
    // a claim, and a change to a record that is gone all conflict.
    assert_eq!(
        store.commit(P, &insert(user("s4", "dan"))).unwrap(),
        CommitOutcome::Conflict
    );
    let claim = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![IndexWrite {
            key: ukey("eve"),
            expected: None,
            new: Some("s5".into()),
        }],
    };
    assert_eq!(store.commit(P, &claim).unwrap(), CommitOutcome::Conflict);
    let update = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: Some(1),
            record: user("s2", "ben"),
        }],
        index: Vec::new(),
    };
    assert_eq!(store.commit(P, &update).unwrap(), CommitOutcome::Conflict);
    assert_eq!(
        store.commit(P, &delete_user("s3", "cat", 1)).unwrap(),
        CommitOutcome::Conflict
    );
    assert_eq!(counts(count, P), [0, 0, 0, 0]);
    // Pools that were never in the catalog (configured ones) take users as before.
    assert_eq!(
        store
            .commit("us-east-1_Configured", &insert(user("s1", "ann")))
            .unwrap(),
        CommitOutcome::Committed
    );
    // A pool made again under the id takes users again.
    assert_eq!(store.insert_pool(&pool(P)).unwrap(), CatalogOutcome::Done);
    assert_eq!(
        store.commit(P, &insert(user("s4", "dan"))).unwrap(),
        CommitOutcome::Committed
    );
    assert_eq!(counts(count, P), [1, 0, 1, 2]);
}

/// Sign-ups race a deletion of their pool: whatever the interleaving, no user of the pool is
/// left afterwards, and a commit that starts once the deletion has answered conflicts.
pub fn delete_pool_racing_commits_leaves_no_user_behind<S: UserStore + PoolCatalog + 'static>(
    store: Arc<S>,
    count: Count<'_>,
) {
    const P: &str = "us-east-1_Raced";
    const WRITERS: usize = 4;
    const EACH: usize = 30;
    assert_eq!(store.insert_pool(&pool(P)).unwrap(), CatalogOutcome::Done);
    let committed = Arc::new(AtomicUsize::new(0));
    let deleted = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, committed, deleted, finished) = (
                Arc::clone(&store),
                Arc::clone(&committed),
                Arc::clone(&deleted),
                Arc::clone(&finished),
            );
            std::thread::spawn(move || {
                let mut late = Vec::new();
                for i in 0..EACH {
                    let started_after_delete = deleted.load(Ordering::SeqCst);
                    let sub = format!("w{w}-{i}");
                    // A database busy past its timeout is an error, which is clean too.
                    let outcome = store.commit(P, &insert(user(&sub, &sub)));
                    if let Ok(CommitOutcome::Committed) = outcome {
                        committed.fetch_add(1, Ordering::SeqCst);
                    }
                    if started_after_delete {
                        late.push(outcome.ok());
                    }
                }
                finished.fetch_add(1, Ordering::SeqCst);
                late
            })
        })
        .collect();
    while committed.load(Ordering::SeqCst) < WRITERS && finished.load(Ordering::SeqCst) < WRITERS {
        std::thread::yield_now();
    }
    assert_eq!(store.delete_pool(P).unwrap(), CatalogOutcome::Done);
    deleted.store(true, Ordering::SeqCst);
    let mut late = Vec::new();
    for h in handles {
        late.extend(h.join().unwrap());
    }
    assert!(committed.load(Ordering::SeqCst) >= WRITERS);
    for outcome in &late {
        assert_ne!(*outcome, Some(CommitOutcome::Committed), "a late commit");
    }
    assert_eq!(counts(count, P), [0, 0, 0, 0], "no row of the pool is left");
    assert_eq!(store.list(P, None, 1000).unwrap(), Vec::new());
}

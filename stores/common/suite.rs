//! Store conformance checks shared by the database stores' tests: each function takes a fresh,
//! empty store and panics with what it saw when the store breaks the `UserStore` contract.
//!
//! The shape (`fn(&S)` over a fresh store per check) is the one of the crate's conformance kit,
//! so a store's tests can run both. `store_suite!` turns every check into a `#[test]`.

use cognito_signup::store::{
    Commit, CommitOutcome, IndexKey, IndexWrite, RecordWrite, UserStore, Versioned,
};
use cognito_signup::{AliasAttribute, Timestamp, UserRecord, UserStatus};
use std::sync::{Arc, Barrier};

pub const POOL: &str = "us-east-1_Suite";
pub const OTHER_POOL: &str = "eu-west-1_Suite";

/// Every check, by name; the macro below makes one test of each.
macro_rules! store_suite {
    ($make:path) => {
        store_suite!(@tests $make;
            read_your_writes, versions_count_writes, find_order_first_present_key,
            find_missing_and_empty, conflict_stale_version, conflict_insert_existing_record,
            conflict_update_missing_record, conflict_index_claim_of_held_key,
            conflict_index_move_from_wrong_holder, conflict_index_remove_absent_key,
            index_expected_absent_without_write, index_move_and_remove_apply,
            atomicity_index_precondition_last, atomicity_record_precondition_last,
            multi_record_alias_move_applies_all, alias_index_uniqueness,
            duplicate_writes_with_different_expectations_conflict, pools_are_isolated,
            empty_commit_is_committed_and_changes_nothing, keys_and_values_are_opaque_strings,
            concurrent_one_winner_per_version, concurrent_alias_claims_one_winner,
            concurrent_alias_moves_keep_one_holder);
    };
    (@tests $make:path; $($name:ident),+) => {
        $(
            #[test]
            fn $name() {
                if let Some(fixture) = $make(stringify!($name)) {
                    $crate::suite::$name(&*fixture.store);
                }
            }
        )+
    };
}

pub fn user(sub: &str, username: &str) -> UserRecord {
    UserRecord {
        username: username.into(),
        sub: sub.into(),
        status: UserStatus::Unconfirmed,
        enabled: true,
        email: None,
        email_verified: false,
        phone_number: None,
        phone_number_verified: false,
        other_attributes: Vec::new(),
        password: None,
        created: Timestamp::from_secs(1_795_000_000),
        last_modified: Timestamp::from_secs(1_795_000_000),
        code: None,
        failed_confirmations: Vec::new(),
        resends: Vec::new(),
    }
}

pub fn ukey(name: &str) -> IndexKey {
    IndexKey::username(name)
}

pub fn akey(email: &str) -> IndexKey {
    IndexKey::alias(AliasAttribute::Email, email)
}

fn claim(key: IndexKey, sub: &str) -> IndexWrite {
    IndexWrite {
        key,
        expected: None,
        new: Some(sub.into()),
    }
}

/// A new record with its username and sub claims.
pub fn insert(record: UserRecord) -> Commit {
    let index = vec![
        claim(ukey(&record.username), &record.sub),
        claim(IndexKey::sub(&record.sub), &record.sub),
    ];
    Commit {
        records: vec![RecordWrite {
            expected_version: None,
            record,
        }],
        index,
    }
}

fn update(record: UserRecord, expected_version: u64) -> Commit {
    Commit {
        records: vec![RecordWrite {
            expected_version: Some(expected_version),
            record,
        }],
        index: Vec::new(),
    }
}

fn ok<S: UserStore>(s: &S, pool: &str, c: &Commit) -> CommitOutcome {
    s.commit(pool, c).expect("commit failed")
}

fn found<S: UserStore>(s: &S, pool: &str, keys: &[IndexKey]) -> Option<Versioned<UserRecord>> {
    s.find(pool, keys).expect("find failed")
}

fn setup<S: UserStore>(s: &S, users: &[(&str, &str)]) {
    for (sub, name) in users {
        assert_eq!(
            ok(s, POOL, &insert(user(sub, name))),
            CommitOutcome::Committed,
            "setup of {name}"
        );
    }
}

pub fn read_your_writes<S: UserStore>(s: &S) {
    let mut rec = user("sub-a", "alice");
    rec.email = Some("alice@example.com".into());
    rec.other_attributes.push(cognito_signup::user::Attribute {
        name: "custom:plan".into(),
        value: "gold ✓".into(),
    });
    assert_eq!(ok(s, POOL, &insert(rec.clone())), CommitOutcome::Committed);
    for key in [ukey("alice"), IndexKey::sub("sub-a")] {
        let got = found(s, POOL, &[key]).expect("written record not found");
        assert_eq!(got.version, 1);
        assert_eq!(got.value, rec, "the record reads back unchanged");
    }
}

pub fn versions_count_writes<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    for v in 1..=3u64 {
        let mut rec = user("sub-a", "alice");
        rec.failed_confirmations
            .push(Timestamp::from_secs(1_795_000_000 + v));
        assert_eq!(ok(s, POOL, &update(rec, v)), CommitOutcome::Committed);
    }
    let got = found(s, POOL, &[ukey("alice")]).unwrap();
    assert_eq!(got.version, 4);
    assert_eq!(got.value.failed_confirmations.len(), 1);
}

pub fn find_order_first_present_key<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")]);
    let who = |keys: &[IndexKey]| found(s, POOL, keys).map(|r| r.value.username);
    assert_eq!(who(&[ukey("bob"), ukey("alice")]).as_deref(), Some("bob"));
    assert_eq!(who(&[ukey("alice"), ukey("bob")]).as_deref(), Some("alice"));
    assert_eq!(
        who(&[
            ukey("nobody"),
            akey("x@example.com"),
            ukey("bob"),
            ukey("alice")
        ])
        .as_deref(),
        Some("bob")
    );
    assert_eq!(
        who(&[IndexKey::sub("sub-b"), ukey("alice")]).as_deref(),
        Some("bob")
    );
}

pub fn find_missing_and_empty<S: UserStore>(s: &S) {
    assert_eq!(found(s, POOL, &[ukey("alice")]), None, "empty store");
    setup(s, &[("sub-a", "alice")]);
    assert_eq!(found(s, POOL, &[]), None, "no keys");
    assert_eq!(found(s, POOL, &[ukey("nobody")]), None);
    assert_eq!(found(s, "no-such-pool", &[ukey("alice")]), None);
    // A key is not a prefix or a pattern: only the exact string matches.
    assert_eq!(found(s, POOL, &[ukey("alic")]), None);
    assert_eq!(found(s, POOL, &[ukey("alice%")]), None);
    assert_eq!(found(s, POOL, &[ukey("ALICE")]), None, "stores do not fold");
}

pub fn conflict_stale_version<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let mut first = user("sub-a", "alice");
    first.enabled = false;
    assert_eq!(
        ok(s, POOL, &update(first.clone(), 1)),
        CommitOutcome::Committed
    );
    let stale = user("sub-a", "alice");
    assert_eq!(
        ok(s, POOL, &update(stale.clone(), 1)),
        CommitOutcome::Conflict
    );
    assert_eq!(
        ok(s, POOL, &update(stale, 3)),
        CommitOutcome::Conflict,
        "future version"
    );
    let got = found(s, POOL, &[ukey("alice")]).unwrap();
    assert_eq!((got.version, got.value), (2, first));
}

pub fn conflict_insert_existing_record<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let mut again = user("sub-a", "mallory");
    again.enabled = false;
    let c = Commit {
        records: vec![RecordWrite {
            expected_version: None,
            record: again,
        }],
        index: vec![claim(ukey("mallory"), "sub-a")],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    let got = found(s, POOL, &[IndexKey::sub("sub-a")]).unwrap();
    assert_eq!((got.version, got.value), (1, user("sub-a", "alice")));
    assert_eq!(
        found(s, POOL, &[ukey("mallory")]),
        None,
        "its claim was not applied"
    );
}

pub fn conflict_update_missing_record<S: UserStore>(s: &S) {
    let c = Commit {
        records: vec![RecordWrite {
            expected_version: Some(1),
            record: user("sub-x", "ghost"),
        }],
        index: vec![claim(ukey("ghost"), "sub-x")],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    assert_eq!(found(s, POOL, &[ukey("ghost")]), None);
    assert_eq!(
        ok(s, POOL, &update(user("sub-x", "ghost"), u64::MAX)),
        CommitOutcome::Conflict,
        "a version no database can hold"
    );
}

pub fn conflict_index_claim_of_held_key<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let mut rec = user("sub-a", "alice");
    rec.email_verified = true;
    let mut c = update(rec, 1);
    c.index.push(claim(ukey("alice"), "sub-a"));
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    let got = found(s, POOL, &[ukey("alice")]).unwrap();
    assert_eq!(
        got.version, 1,
        "the record write of the commit was not applied"
    );
    assert!(!got.value.email_verified);
}

pub fn conflict_index_move_from_wrong_holder<S: UserStore>(s: &S) {
    setup(
        s,
        &[("sub-a", "alice"), ("sub-b", "bob"), ("sub-c", "carol")],
    );
    assert_eq!(
        ok(
            s,
            POOL,
            &Commit {
                records: vec![],
                index: vec![claim(akey("x@example.com"), "sub-a")]
            }
        ),
        CommitOutcome::Committed
    );
    let wrong = IndexWrite {
        key: akey("x@example.com"),
        expected: Some("sub-c".into()),
        new: Some("sub-b".into()),
    };
    let c = Commit {
        records: vec![],
        index: vec![wrong],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    let absent = IndexWrite {
        key: akey("y@example.com"),
        expected: Some("sub-a".into()),
        new: Some("sub-b".into()),
    };
    let c = Commit {
        records: vec![],
        index: vec![absent],
    };
    assert_eq!(
        ok(s, POOL, &c),
        CommitOutcome::Conflict,
        "a move of an absent key"
    );
    assert_eq!(found(s, POOL, &[akey("y@example.com")]), None);
    let holder = found(s, POOL, &[akey("x@example.com")]).unwrap();
    assert_eq!(holder.value.sub, "sub-a");
}

pub fn conflict_index_remove_absent_key<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let remove = |key: IndexKey, expected: &str| Commit {
        records: vec![],
        index: vec![IndexWrite {
            key,
            expected: Some(expected.into()),
            new: None,
        }],
    };
    assert_eq!(
        ok(s, POOL, &remove(akey("x@example.com"), "sub-a")),
        CommitOutcome::Conflict
    );
    assert_eq!(
        ok(s, POOL, &remove(ukey("alice"), "sub-b")),
        CommitOutcome::Conflict,
        "other holder"
    );
    assert_eq!(found(s, POOL, &[ukey("alice")]).unwrap().value.sub, "sub-a");
}

pub fn index_expected_absent_without_write<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let assert_absent = |key: IndexKey| Commit {
        records: vec![RecordWrite {
            expected_version: Some(1),
            record: {
                let mut r = user("sub-a", "alice");
                r.enabled = false;
                r
            },
        }],
        index: vec![IndexWrite {
            key,
            expected: None,
            new: None,
        }],
    };
    assert_eq!(
        ok(s, POOL, &assert_absent(ukey("alice"))),
        CommitOutcome::Conflict
    );
    assert_eq!(found(s, POOL, &[ukey("alice")]).unwrap().version, 1);
    assert_eq!(
        ok(s, POOL, &assert_absent(ukey("nobody"))),
        CommitOutcome::Committed
    );
    assert_eq!(
        found(s, POOL, &[ukey("nobody")]),
        None,
        "the key stays absent"
    );
    assert_eq!(found(s, POOL, &[ukey("alice")]).unwrap().version, 2);
}

pub fn index_move_and_remove_apply<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")]);
    let k = akey("x@example.com");
    let step = |expected: Option<&str>, new: Option<&str>| Commit {
        records: vec![],
        index: vec![IndexWrite {
            key: k.clone(),
            expected: expected.map(Into::into),
            new: new.map(Into::into),
        }],
    };
    assert_eq!(
        ok(s, POOL, &step(None, Some("sub-a"))),
        CommitOutcome::Committed
    );
    assert_eq!(
        found(s, POOL, std::slice::from_ref(&k)).unwrap().value.sub,
        "sub-a"
    );
    assert_eq!(
        ok(s, POOL, &step(Some("sub-a"), Some("sub-b"))),
        CommitOutcome::Committed
    );
    assert_eq!(
        found(s, POOL, std::slice::from_ref(&k)).unwrap().value.sub,
        "sub-b"
    );
    assert_eq!(
        ok(s, POOL, &step(Some("sub-b"), Some("sub-b"))),
        CommitOutcome::Committed
    );
    assert_eq!(
        ok(s, POOL, &step(Some("sub-b"), None)),
        CommitOutcome::Committed
    );
    assert_eq!(found(s, POOL, std::slice::from_ref(&k)), None);
    assert_eq!(
        ok(s, POOL, &step(None, Some("sub-a"))),
        CommitOutcome::Committed,
        "reclaimed"
    );
    // Records are untouched by index writes.
    assert_eq!(found(s, POOL, &[ukey("bob")]).unwrap().version, 1);
}

pub fn atomicity_index_precondition_last<S: UserStore>(s: &S) {
    setup(
        s,
        &[("sub-a", "alice"), ("sub-b", "bob"), ("sub-h", "holder")],
    );
    assert_eq!(
        ok(
            s,
            POOL,
            &Commit {
                records: vec![],
                index: vec![claim(akey("z@example.com"), "sub-h")]
            }
        ),
        CommitOutcome::Committed
    );
    let mut a = user("sub-a", "alice");
    a.status = UserStatus::Confirmed;
    let mut b = user("sub-b", "bob");
    b.enabled = false;
    // Every write but the last holds; keys sort both before and after the failing one.
    let c = Commit {
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: a,
            },
            RecordWrite {
                expected_version: Some(1),
                record: b,
            },
            RecordWrite {
                expected_version: None,
                record: user("sub-n", "newbie"),
            },
        ],
        index: vec![
            claim(akey("a@example.com"), "sub-a"),
            claim(ukey("newbie"), "sub-n"),
            IndexWrite {
                key: ukey("bob"),
                expected: Some("sub-b".into()),
                new: None,
            },
            claim(akey("z@example.com"), "sub-a"),
        ],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    assert_eq!(
        found(s, POOL, &[ukey("alice")]).unwrap(),
        Versioned {
            version: 1,
            value: user("sub-a", "alice")
        }
    );
    assert_eq!(
        found(s, POOL, &[ukey("bob")]).unwrap(),
        Versioned {
            version: 1,
            value: user("sub-b", "bob")
        }
    );
    assert_eq!(
        found(
            s,
            POOL,
            &[
                IndexKey::sub("sub-n"),
                ukey("newbie"),
                akey("a@example.com")
            ]
        ),
        None
    );
    assert_eq!(
        found(s, POOL, &[akey("z@example.com")]).unwrap().value.sub,
        "sub-h"
    );
}

pub fn atomicity_record_precondition_last<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")]);
    // bob moves to version 2, so the commit below is stale for bob only.
    assert_eq!(
        ok(s, POOL, &update(user("sub-b", "bob"), 1)),
        CommitOutcome::Committed
    );
    let mut a = user("sub-a", "alice");
    a.status = UserStatus::Confirmed;
    let c = Commit {
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: a,
            },
            RecordWrite {
                expected_version: None,
                record: user("sub-0", "zero"),
            },
            RecordWrite {
                expected_version: Some(1),
                record: user("sub-b", "bob"),
            },
        ],
        index: vec![claim(akey("a@example.com"), "sub-a")],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Conflict);
    let alice = found(s, POOL, &[ukey("alice")]).unwrap();
    assert_eq!(
        (alice.version, alice.value.status),
        (1, UserStatus::Unconfirmed)
    );
    assert_eq!(found(s, POOL, &[akey("a@example.com")]), None);
    // The new record of the failed commit does not exist: inserting it again succeeds.
    assert_eq!(
        ok(s, POOL, &insert(user("sub-0", "zero"))),
        CommitOutcome::Committed
    );
}

pub fn multi_record_alias_move_applies_all<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")]);
    let mut a = user("sub-a", "alice");
    a.email = Some("x@example.com".into());
    a.email_verified = true;
    let mut c = update(a.clone(), 1);
    c.index.push(claim(akey("x@example.com"), "sub-a"));
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Committed);
    // bob confirms with ForceAliasCreation: alice loses the verified flag, the key moves.
    a.email_verified = false;
    let mut b = user("sub-b", "bob");
    b.email = Some("x@example.com".into());
    b.email_verified = true;
    b.status = UserStatus::Confirmed;
    let c = Commit {
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: b.clone(),
            },
            RecordWrite {
                expected_version: Some(2),
                record: a.clone(),
            },
        ],
        index: vec![IndexWrite {
            key: akey("x@example.com"),
            expected: Some("sub-a".into()),
            new: Some("sub-b".into()),
        }],
    };
    assert_eq!(ok(s, POOL, &c), CommitOutcome::Committed);
    assert_eq!(
        found(s, POOL, &[ukey("alice")]).unwrap(),
        Versioned {
            version: 3,
            value: a
        }
    );
    assert_eq!(
        found(s, POOL, &[ukey("bob")]).unwrap(),
        Versioned {
            version: 2,
            value: b.clone()
        }
    );
    assert_eq!(found(s, POOL, &[akey("x@example.com")]).unwrap().value, b);
}

pub fn alias_index_uniqueness<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")]);
    let claim_for = |sub: &str| Commit {
        records: vec![],
        index: vec![claim(akey("x@example.com"), sub)],
    };
    assert_eq!(ok(s, POOL, &claim_for("sub-a")), CommitOutcome::Committed);
    assert_eq!(ok(s, POOL, &claim_for("sub-b")), CommitOutcome::Conflict);
    assert_eq!(
        ok(s, POOL, &claim_for("sub-a")),
        CommitOutcome::Conflict,
        "even by its holder"
    );
    assert_eq!(
        found(s, POOL, &[akey("x@example.com")]).unwrap().value.sub,
        "sub-a"
    );
    // A new user claiming a held username is refused as a whole.
    assert_eq!(
        ok(s, POOL, &insert(user("sub-c", "alice"))),
        CommitOutcome::Conflict
    );
    assert_eq!(found(s, POOL, &[IndexKey::sub("sub-c")]), None);
}

pub fn duplicate_writes_with_different_expectations_conflict<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    let c = Commit {
        records: vec![],
        index: vec![
            claim(akey("x@example.com"), "sub-a"),
            IndexWrite {
                key: akey("x@example.com"),
                expected: Some("sub-a".into()),
                new: None,
            },
        ],
    };
    assert_eq!(
        ok(s, POOL, &c),
        CommitOutcome::Conflict,
        "absent and present at once"
    );
    assert_eq!(found(s, POOL, &[akey("x@example.com")]), None);
}

pub fn pools_are_isolated<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    assert_eq!(found(s, OTHER_POOL, &[ukey("alice")]), None);
    let other = user("sub-a", "alice-elsewhere");
    let mut c = insert(other.clone());
    c.index[0] = claim(ukey("alice"), "sub-a");
    assert_eq!(
        ok(s, OTHER_POOL, &c),
        CommitOutcome::Committed,
        "same sub and key, other pool"
    );
    assert_eq!(found(s, OTHER_POOL, &[ukey("alice")]).unwrap().value, other);
    assert_eq!(
        found(s, POOL, &[ukey("alice")]).unwrap().value,
        user("sub-a", "alice")
    );
    assert_eq!(
        ok(s, OTHER_POOL, &update(user("sub-a", "x"), 1)),
        CommitOutcome::Committed
    );
    assert_eq!(found(s, POOL, &[ukey("alice")]).unwrap().version, 1);
}

/// A commit without writes is valid: it answers `Committed` and changes nothing. (The core no
/// longer sends one for a user it must not reveal: it writes the pool's decoy record instead.)
pub fn empty_commit_is_committed_and_changes_nothing<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    for pool in [POOL, OTHER_POOL] {
        assert_eq!(ok(s, pool, &Commit::default()), CommitOutcome::Committed);
    }
    assert_eq!(
        found(s, POOL, &[ukey("alice")]).unwrap(),
        Versioned {
            version: 1,
            value: user("sub-a", "alice")
        }
    );
    assert_eq!(found(s, OTHER_POOL, &[ukey("alice")]), None);
}

/// Keys are compared as whole strings, whatever they hold; records come back byte for byte.
pub fn keys_and_values_are_opaque_strings<S: UserStore>(s: &S) {
    let odd = [
        "o'brien",
        "back\\slash",
        "50%_off",
        "quote\"d",
        "émilie",
        "ÉMILIE",
        "名前",
        "🦀 crab",
        "a:b:c",
        " padded ",
    ];
    let long = "x".repeat(1_000);
    for (i, name) in odd.iter().copied().chain([long.as_str()]).enumerate() {
        let sub = format!("sub-{i}");
        let mut rec = user(&sub, name);
        rec.other_attributes.push(cognito_signup::user::Attribute {
            name: "custom:note".into(),
            value: format!("{name} \u{0} \n\t end"),
        });
        assert_eq!(
            ok(s, POOL, &insert(rec.clone())),
            CommitOutcome::Committed,
            "{name:?}"
        );
        assert_eq!(
            found(s, POOL, &[ukey(name)]).unwrap().value,
            rec,
            "{name:?}"
        );
    }
    assert_eq!(found(s, POOL, &[ukey("emilie")]), None);
    assert_eq!(
        found(s, POOL, &[ukey("émilie")]).unwrap().value.sub,
        "sub-4"
    );
    assert_eq!(
        found(s, POOL, &[ukey("ÉMILIE")]).unwrap().value.sub,
        "sub-5"
    );
    assert_eq!(found(s, POOL, &[ukey("padded")]), None);
    assert_eq!(found(s, POOL, &[ukey("50__off")]), None);
}

const THREADS: usize = 6;

pub fn concurrent_one_winner_per_version<S: UserStore>(s: &S) {
    setup(s, &[("sub-a", "alice")]);
    const ROUNDS: u64 = 12;
    let barrier = Barrier::new(THREADS);
    let wins: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut won = Vec::new();
                    for round in 1..=ROUNDS {
                        barrier.wait();
                        let mut rec = user("sub-a", "alice");
                        rec.other_attributes.push(cognito_signup::user::Attribute {
                            name: "custom:writer".into(),
                            value: format!("{t}/{round}"),
                        });
                        if ok(s, POOL, &update(rec, round)) == CommitOutcome::Committed {
                            won.push(round);
                        }
                        barrier.wait();
                    }
                    won
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u64> = wins.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=ROUNDS).collect::<Vec<_>>(),
        "exactly one winner per version"
    );
    let last = found(s, POOL, &[ukey("alice")]).unwrap();
    assert_eq!(last.version, ROUNDS + 1);
    let winner = wins.iter().position(|w| w.contains(&ROUNDS)).unwrap();
    assert_eq!(
        last.value.other_attributes[0].value,
        format!("{winner}/{ROUNDS}"),
        "the stored value is the last winner's"
    );
}

pub fn concurrent_alias_claims_one_winner<S: UserStore>(s: &S) {
    const ROUNDS: usize = 8;
    let barrier = Barrier::new(THREADS);
    let winners: Vec<Vec<usize>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let mut won = Vec::new();
                    for round in 0..ROUNDS {
                        let sub = format!("sub-{round}-{t}");
                        let mut c = insert(user(&sub, &format!("user-{round}-{t}")));
                        c.index
                            .push(claim(akey(&format!("r{round}@example.com")), &sub));
                        barrier.wait();
                        if ok(s, POOL, &c) == CommitOutcome::Committed {
                            won.push(round);
                        }
                    }
                    won
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for round in 0..ROUNDS {
        let n: Vec<usize> = (0..THREADS)
            .filter(|t| winners[*t].contains(&round))
            .collect();
        assert_eq!(n.len(), 1, "round {round}: winners {n:?}");
        let holder = found(s, POOL, &[akey(&format!("r{round}@example.com"))]).unwrap();
        assert_eq!(holder.value.sub, format!("sub-{round}-{}", n[0]));
        for t in 0..THREADS {
            let exists = found(s, POOL, &[IndexKey::sub(&format!("sub-{round}-{t}"))]).is_some();
            assert_eq!(
                exists,
                t == n[0],
                "round {round}: only the winner's record exists"
            );
        }
    }
}

/// Threads move one alias key between users as the core does (the old holder's record and the
/// new holder's record are written with the move), each from what it last read; afterwards the
/// key has one holder and the verified flags agree with it.
pub fn concurrent_alias_moves_keep_one_holder<S: UserStore + Sync>(s: &S) {
    let key = akey("x@example.com");
    let mut subs = Vec::new();
    for t in 0..THREADS {
        let sub = format!("sub-{t}");
        let mut rec = user(&sub, &format!("user{t}"));
        rec.email = Some("x@example.com".into());
        rec.email_verified = t == 0;
        let mut c = insert(rec);
        if t == 0 {
            c.index.push(claim(key.clone(), &sub));
        }
        assert_eq!(ok(s, POOL, &c), CommitOutcome::Committed);
        subs.push(sub);
    }
    let moves = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let key = key.clone();
            let moves = moves.clone();
            scope.spawn(move || {
                for _ in 0..15 {
                    let me = found(s, POOL, &[IndexKey::sub(&format!("sub-{t}"))]).unwrap();
                    let Some(holder) = found(s, POOL, std::slice::from_ref(&key)) else {
                        continue;
                    };
                    if holder.value.sub == me.value.sub {
                        continue;
                    }
                    let mut mine = me.value.clone();
                    mine.email_verified = true;
                    let mut theirs = holder.value.clone();
                    theirs.email_verified = false;
                    let c = Commit {
                        records: vec![
                            RecordWrite {
                                expected_version: Some(me.version),
                                record: mine,
                            },
                            RecordWrite {
                                expected_version: Some(holder.version),
                                record: theirs,
                            },
                        ],
                        index: vec![IndexWrite {
                            key: key.clone(),
                            expected: Some(holder.value.sub.clone()),
                            new: Some(me.value.sub.clone()),
                        }],
                    };
                    if ok(s, POOL, &c) == CommitOutcome::Committed {
                        moves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    assert!(
        moves.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "some moves committed"
    );
    let holder = found(s, POOL, &[key]).unwrap().value.sub;
    let verified: Vec<String> = subs
        .iter()
        .filter(|sub| {
            found(s, POOL, &[IndexKey::sub(sub)])
                .unwrap()
                .value
                .email_verified
        })
        .cloned()
        .collect();
    assert_eq!(verified, vec![holder], "exactly the holder is verified");
}

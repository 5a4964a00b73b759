//! A conformance kit for [`UserStore`] implementations, and a fault-injecting store wrapper.
//!
//! Whoever implements [`UserStore`] for a database runs the kit from a test against a fresh,
//! empty store per check:
//!
//! ```
//! use cognito_signup::MemoryStore;
//! use cognito_signup_testkit::conformance;
//!
//! // In a host's test: one fresh, empty store per check.
//! conformance::run_all(MemoryStore::new);
//! ```
//!
//! [`run_all`] panics with every failed check and what it saw; [`check_all`] returns a
//! [`Report`] instead. The checks follow the contract of [`UserStore`]:
//!
//! * **read-your-writes**: after `Committed`, `find` by every written key sees the new record at
//!   the new version (1 for a new record, one more per write);
//! * **find order**: `find` answers the record of the *first* present key, in the order given;
//! * **conflict detection**: a stale or a future `expected_version`, an insert of a record that
//!   exists, an update of a record that does not (at any version, `u64::MAX` included), an index
//!   `expected` that does not hold (absent, present, pointing elsewhere, or a claim of a key by
//!   the user who already holds it) each answer `Conflict`;
//! * **index writes**: a key is claimed, moved, removed and claimed again; a write whose `new`
//!   is its `expected` changes nothing but still asserts that the key is absent, or held by that
//!   user;
//! * **empty commits**: a commit with no writes answers `Committed` and changes nothing;
//! * **preconditions read the state before the commit**, not a write earlier in the same commit;
//! * **duplicate writes**: two writes of one record, or of one index key, in one commit that
//!   expect different things are a `Conflict`, even when applying them in order would succeed;
//! * **opaque keys and values**: quotes, SQL wildcards, backslashes, Unicode, case and accents,
//!   surrounding spaces, long keys and NUL in values are stored and compared exactly;
//! * **atomicity**: a multi-record commit whose *last* precondition fails applies nothing, not
//!   even the writes before it;
//! * **alias-index uniqueness**: two users claiming one index key: the second gets `Conflict`;
//! * **pool isolation**: the same keys in two pools are independent;
//! * **listing**: `list` pages through a pool's records in ascending byte order of `sub`
//!   (`limit` at a time, after any `after`), never showing the decoy record;
//! * **removals**: a record is removed only at its current version; a removal is atomic with
//!   the commit's other writes; a removed `sub` can be inserted again; a commit that writes and
//!   removes one record, or removes it at two versions, is a `Conflict`; two removals of one
//!   record at its version are one removal;
//! * **concurrency**: threads racing commits on one record at one version: exactly one winner
//!   per version, whose value is stored; racing claims of one alias key: exactly one winner; and
//!   threads moving one alias between users from stale reads: one holder, the only user whose
//!   verified flag is set.
//!
//! [`FaultyStore`] wraps any store and, at a chosen call, fails it (`Err`, before or after
//! applying) or reports a spurious `Conflict`: the failure directions the contract allows, for a
//! host to check that its own layers above the store cope with them.

use cognito_signup::config::AliasAttribute;
use cognito_signup::decoy::DECOY_SUB;
use cognito_signup::error::HostError;
use cognito_signup::host::UserStore;
use cognito_signup::protocol::{
    Commit, CommitOutcome, IndexKey, IndexWrite, RecordRemoval, RecordWrite, Versioned,
};
use cognito_signup::time::Timestamp;
use cognito_signup::user::{UserRecord, UserStatus};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};

/// The pool id the checks use.
const POOL: &str = "us-east-1_Conformance";
/// A second pool, for isolation.
const OTHER_POOL: &str = "eu-west-1_Conformance";

/// The outcome of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    /// The check's name, e.g. `atomicity_index_precondition_last`.
    pub name: &'static str,
    /// `Err` with what was expected and what the store did.
    pub outcome: Result<(), String>,
}

/// What [`check_all`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every check, in the order run.
    pub checks: Vec<CheckResult>,
}

impl Report {
    /// The checks that failed.
    #[must_use]
    pub fn failures(&self) -> Vec<&CheckResult> {
        self.checks.iter().filter(|c| c.outcome.is_err()).collect()
    }

    /// Whether every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.outcome.is_ok())
    }

    /// Panics, listing every failed check, unless all passed.
    ///
    /// # Panics
    /// When a check failed: this is a test kit.
    #[allow(clippy::panic)] // A test kit reports failure by panicking in the host's test.
    pub fn assert_passed(&self) {
        let failures = self.failures();
        if failures.is_empty() {
            return;
        }
        let mut text = format!(
            "{} of {} store conformance checks failed:",
            failures.len(),
            self.checks.len()
        );
        for f in failures {
            if let Err(why) = &f.outcome {
                text.push_str(&format!("\n  * {}: {why}", f.name));
            }
        }
        panic!("{text}");
    }
}

/// Runs every check, each against a fresh store from `make`, and panics with every failure.
///
/// # Panics
/// When a check failed.
pub fn run_all<S: UserStore>(make: impl Fn() -> S) -> Report {
    let report = check_all(make);
    report.assert_passed();
    report
}

type Check<S> = (&'static str, fn(&S) -> Result<(), String>);

/// Runs every check, each against a fresh store from `make`, and reports the outcomes.
pub fn check_all<S: UserStore>(make: impl Fn() -> S) -> Report {
    let checks: &[Check<S>] = &[
        ("read_your_writes_new_record", read_your_writes_new_record),
        ("versions_count_writes", versions_count_writes),
        ("find_order_first_present_key", find_order_first_present_key),
        ("find_missing_and_empty", find_missing_and_empty),
        ("conflict_stale_version", conflict_stale_version),
        ("conflict_insert_existing_record", conflict_insert_existing),
        ("conflict_update_missing_record", conflict_update_missing),
        (
            "conflict_index_expected_absent",
            conflict_index_expected_absent,
        ),
        (
            "conflict_index_expected_other_holder",
            conflict_index_other_holder,
        ),
        (
            "conflict_index_expected_present",
            conflict_index_expected_present,
        ),
        ("index_removal", index_removal),
        (
            "index_precondition_without_write",
            index_precondition_without_write,
        ),
        ("empty_commit_is_committed", empty_commit_is_committed),
        (
            "preconditions_read_the_state_before_the_commit",
            preconditions_before_commit,
        ),
        (
            "duplicate_writes_with_different_expectations_conflict",
            duplicate_writes_conflict,
        ),
        (
            "keys_and_values_are_opaque_strings",
            keys_and_values_are_opaque,
        ),
        ("atomicity_record_precondition_last", atomicity_record_last),
        ("atomicity_index_precondition_last", atomicity_index_last),
        (
            "multi_record_commit_applies_all",
            multi_record_commit_applies_all,
        ),
        ("alias_index_uniqueness", alias_index_uniqueness),
        ("pools_are_isolated", pools_are_isolated),
        ("list_pages_in_byte_order_of_sub", list_pages_in_byte_order),
        ("list_never_shows_the_decoy", list_skips_the_decoy),
        (
            "removal_needs_the_current_version",
            removal_needs_the_current_version,
        ),
        ("removal_is_atomic_with_its_index_writes", removal_is_atomic),
        (
            "removal_and_write_of_one_record_conflict",
            removal_and_write_conflict,
        ),
        (
            "duplicate_removals_at_one_version_remove_once",
            duplicate_removals_remove_once,
        ),
        (
            "concurrent_one_winner_per_version",
            concurrent_one_winner_per_version,
        ),
        (
            "concurrent_alias_claims_one_winner",
            concurrent_alias_claims,
        ),
        (
            "concurrent_alias_moves_keep_one_holder",
            concurrent_alias_moves,
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

/// A minimal record for the checks.
pub(crate) fn user(sub: &str, username: &str) -> UserRecord {
    UserRecord {
        username: username.into(),
        sub: sub.into(),
        status: UserStatus::Unconfirmed,
        enabled: true,
        email: Some(format!("{username}@example.com").into()),
        email_verified: false,
        phone_number: None,
        phone_number_verified: false,
        other_attributes: Vec::new(),
        password: None,
        created: Timestamp::from_secs(1_700_000_000),
        last_modified: Timestamp::from_secs(1_700_000_000),
        code: None,
        failed_confirmations: Vec::new(),
        resends: Vec::new(),
    }
}

pub(crate) fn claim(key: IndexKey, sub: &str) -> IndexWrite {
    IndexWrite {
        key,
        expected: None,
        new: Some(sub.to_owned()),
    }
}

pub(crate) fn insert(record: UserRecord) -> Commit {
    let index = vec![
        claim(IndexKey::username(&record.username), &record.sub),
        claim(IndexKey::sub(&record.sub), &record.sub),
    ];
    Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record,
        }],
        index,
    }
}

pub(crate) fn update(record: UserRecord, expected_version: u64) -> Commit {
    Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: Some(expected_version),
            record,
        }],
        index: Vec::new(),
    }
}

fn commit<S: UserStore>(s: &S, pool: &str, c: &Commit) -> Result<CommitOutcome, String> {
    s.commit(pool, c)
        .map_err(|e| format!("commit returned Err: {e}"))
}

fn find<S: UserStore>(
    s: &S,
    pool: &str,
    keys: &[IndexKey],
) -> Result<Option<Versioned<UserRecord>>, String> {
    s.find(pool, keys)
        .map_err(|e| format!("find returned Err: {e}"))
}

fn expect_outcome(what: &str, got: CommitOutcome, want: CommitOutcome) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: expected {want:?}, the store answered {got:?}"
        ))
    }
}

/// Checks that `key` finds `sub` at `version`, with `value` when given.
fn expect_found<S: UserStore>(
    s: &S,
    pool: &str,
    key: IndexKey,
    sub: &str,
    version: u64,
    value: Option<&UserRecord>,
) -> Result<(), String> {
    let what = format!("find({key:?})");
    match find(s, pool, &[key])? {
        None => Err(format!(
            "{what}: expected the record of {sub}, found nothing"
        )),
        Some(v) if v.value.sub != sub => Err(format!(
            "{what}: expected the record of {sub}, found the record of {}",
            v.value.sub
        )),
        Some(v) if v.version != version => Err(format!(
            "{what}: expected version {version}, found version {}",
            v.version
        )),
        Some(v) if value.is_some_and(|want| *want != v.value) => Err(format!(
            "{what}: the record read back differs from the record written"
        )),
        Some(_) => Ok(()),
    }
}

/// Checks that `key` finds the record of `sub` as [`setup`] wrote it: version 1, unchanged.
fn expect_untouched<S: UserStore>(
    s: &S,
    key: IndexKey,
    sub: &str,
    username: &str,
) -> Result<(), String> {
    expect_found(s, POOL, key, sub, 1, Some(&user(sub, username)))
}

fn expect_absent<S: UserStore>(s: &S, pool: &str, key: IndexKey) -> Result<(), String> {
    match find(s, pool, std::slice::from_ref(&key))? {
        None => Ok(()),
        Some(v) => Err(format!(
            "find({key:?}): expected nothing, found the record of {} at version {}",
            v.value.sub, v.version
        )),
    }
}

fn setup<S: UserStore>(s: &S, records: &[(&str, &str)]) -> Result<(), String> {
    for (sub, name) in records {
        let got = commit(s, POOL, &insert(user(sub, name)))?;
        expect_outcome(
            &format!("inserting {sub} into an empty store"),
            got,
            CommitOutcome::Committed,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Checks

fn read_your_writes_new_record<S: UserStore>(s: &S) -> Result<(), String> {
    let rec = user("sub-a", "alice");
    let got = commit(s, POOL, &insert(rec.clone()))?;
    expect_outcome("insert of a new record", got, CommitOutcome::Committed)?;
    expect_found(s, POOL, IndexKey::username("alice"), "sub-a", 1, Some(&rec))?;
    expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", 1, Some(&rec))
}

fn versions_count_writes<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    for version in 1..=3u64 {
        let mut rec = user("sub-a", "alice");
        rec.failed_confirmations = vec![Timestamp::from_secs(version)];
        let got = commit(s, POOL, &update(rec.clone(), version))?;
        expect_outcome(
            &format!("update expecting the current version {version}"),
            got,
            CommitOutcome::Committed,
        )?;
        let next = version.saturating_add(1);
        expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", next, Some(&rec))?;
    }
    Ok(())
}

fn find_order_first_present_key<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let keys = [
        IndexKey::username("nobody"),
        IndexKey::alias(AliasAttribute::Email, "nobody@example.com"),
        IndexKey::username("bob"),
        IndexKey::username("alice"),
    ];
    match find(s, POOL, &keys)? {
        Some(v) if v.value.sub == "sub-b" => {}
        other => {
            return Err(format!(
                "find([missing, missing alias, bob, alice]): expected bob (the first present key), found {:?}",
                other.map(|v| v.value.sub)
            ));
        }
    }
    let keys = [IndexKey::sub("sub-a"), IndexKey::username("bob")];
    match find(s, POOL, &keys)? {
        Some(v) if v.value.sub == "sub-a" => Ok(()),
        other => Err(format!(
            "find([sub of alice, bob]): expected alice (the first present key), found {:?}",
            other.map(|v| v.value.sub)
        )),
    }
}

fn find_missing_and_empty<S: UserStore>(s: &S) -> Result<(), String> {
    if let Some(v) = find(s, POOL, &[IndexKey::username("alice")])? {
        return Err(format!(
            "find in an empty store: expected nothing, found {}",
            v.value.sub
        ));
    }
    setup(s, &[("sub-a", "alice")])?;
    if let Some(v) = find(s, POOL, &[])? {
        return Err(format!("find([]): expected nothing, found {}", v.value.sub));
    }
    expect_absent(s, POOL, IndexKey::username("alicia"))?;
    // Keys are compared exactly: the core folds case itself.
    expect_absent(s, POOL, IndexKey::username("Alice"))
}

fn conflict_stale_version<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let first = user("sub-a", "alice");
    let got = commit(s, POOL, &update(first.clone(), 1))?;
    expect_outcome(
        "update at the current version 1",
        got,
        CommitOutcome::Committed,
    )?;
    let mut stale = user("sub-a", "alice");
    stale.status = UserStatus::Confirmed;
    let got = commit(s, POOL, &update(stale, 1))?;
    expect_outcome(
        "update expecting stale version 1 (now 2)",
        got,
        CommitOutcome::Conflict,
    )?;
    let mut ahead = user("sub-a", "alice");
    ahead.enabled = false;
    let got = commit(s, POOL, &update(ahead, 3))?;
    expect_outcome(
        "update expecting version 3, ahead of the record's (2)",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", 2, Some(&first))
}

fn conflict_insert_existing<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let mut again = user("sub-a", "alice2");
    again.status = UserStatus::Confirmed;
    let c = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: again,
        }],
        index: vec![claim(IndexKey::username("alice2"), "sub-a")],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "insert of a record that exists",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")?;
    expect_absent(s, POOL, IndexKey::username("alice2"))
}

fn conflict_update_missing<S: UserStore>(s: &S) -> Result<(), String> {
    let mut c = update(user("sub-z", "zed"), 1);
    c.index.push(claim(IndexKey::username("zed"), "sub-z"));
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "update of a record that does not exist, with a claim",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_absent(s, POOL, IndexKey::username("zed"))
        .map_err(|e| format!("the claim of a rejected commit was written: {e}"))?;
    for version in [0, u64::MAX] {
        let got = commit(s, POOL, &update(user("sub-z", "zed"), version))?;
        expect_outcome(
            &format!("update expecting version {version} of a missing record"),
            got,
            CommitOutcome::Conflict,
        )?;
    }
    expect_absent(s, POOL, IndexKey::sub("sub-z"))
}

fn conflict_index_expected_absent<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    // A new user claiming alice's username.
    let c = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user("sub-b", "alice"),
        }],
        index: vec![claim(IndexKey::username("alice"), "sub-b")],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "claim of an index key that is present",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, IndexKey::username("alice"), "sub-a", 1, None)?;
    expect_absent(s, POOL, IndexKey::sub("sub-b"))
        .map_err(|e| format!("the rejected commit's record was written: {e}"))?;
    // Alice's own update claiming the key she holds: `expected: None` does not hold either.
    let mut a2 = user("sub-a", "alice");
    a2.email_verified = true;
    let mut c = update(a2, 1);
    c.index.push(claim(IndexKey::username("alice"), "sub-a"));
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "claim of an index key by the user who holds it",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")
        .map_err(|e| format!("the rejected commit's record was written: {e}"))
}

fn conflict_index_other_holder<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "shared@example.com");
    let got = commit(
        s,
        POOL,
        &Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(key.clone(), "sub-a")],
        },
    )?;
    expect_outcome(
        "claim of an absent alias key",
        got,
        CommitOutcome::Committed,
    )?;
    let mv = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![IndexWrite {
            key: key.clone(),
            expected: Some("sub-b".to_owned()),
            new: Some("sub-c".to_owned()),
        }],
    };
    let got = commit(s, POOL, &mv)?;
    expect_outcome(
        "move of a key expected at another holder",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, key, "sub-a", 1, None)
}

fn conflict_index_expected_present<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "nobody@example.com");
    let c = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![IndexWrite {
            key: key.clone(),
            expected: Some("sub-a".to_owned()),
            new: Some("sub-a".to_owned()),
        }],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "write expecting a holder of an absent key",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_absent(s, POOL, key)
}

fn index_removal<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "a@example.com");
    let got = commit(
        s,
        POOL,
        &Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(key.clone(), "sub-a")],
        },
    )?;
    expect_outcome("claim of an absent key", got, CommitOutcome::Committed)?;
    expect_found(s, POOL, key.clone(), "sub-a", 1, None)?;
    let removal = |expected: &str| Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![IndexWrite {
            key: key.clone(),
            expected: Some(expected.to_owned()),
            new: None,
        }],
    };
    let got = commit(s, POOL, &removal("sub-b"))?;
    expect_outcome(
        "removal of a key expected at another holder",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, key.clone(), "sub-a", 1, None)?;
    let rm = removal("sub-a");
    let got = commit(s, POOL, &rm)?;
    expect_outcome(
        "removal of a key at its holder",
        got,
        CommitOutcome::Committed,
    )?;
    expect_absent(s, POOL, key.clone())?;
    let got = commit(s, POOL, &rm)?;
    expect_outcome(
        "removal of a key already removed",
        got,
        CommitOutcome::Conflict,
    )?;
    let got = commit(
        s,
        POOL,
        &Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(key.clone(), "sub-a")],
        },
    )?;
    expect_outcome(
        "claim of a key that was removed",
        got,
        CommitOutcome::Committed,
    )?;
    expect_found(s, POOL, key, "sub-a", 1, None)?;
    // Index writes leave records alone.
    expect_found(s, POOL, IndexKey::username("alice"), "sub-a", 1, None)
}

/// Index writes whose `new` is their `expected` change no key: they assert that a key is absent
/// (`None` to `None`) or held by a given user. Each makes its commit a `Conflict`, record write
/// included, when the key is not so; otherwise the commit applies and the key stays as it was.
fn index_precondition_without_write<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    // Alice's record at `version`, written with one index write that leaves `key` as it is.
    let asserting = |version: u64, key: IndexKey, holder: Option<&str>| {
        let mut rec = user("sub-a", "alice");
        rec.failed_confirmations = vec![Timestamp::from_secs(version)];
        let c = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(version),
                record: rec.clone(),
            }],
            index: vec![IndexWrite {
                key,
                expected: holder.map(str::to_owned),
                new: holder.map(str::to_owned),
            }],
        };
        (c, rec)
    };
    let (c, _) = asserting(1, IndexKey::username("alice"), None);
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a commit asserting that a present key is absent",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")
        .map_err(|e| format!("a rejected commit changed the record or the key: {e}"))?;
    let (c, rec) = asserting(1, IndexKey::username("nobody"), None);
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a commit asserting that an absent key is absent",
        got,
        CommitOutcome::Committed,
    )?;
    expect_absent(s, POOL, IndexKey::username("nobody"))
        .map_err(|e| format!("an assertion that a key is absent wrote it: {e}"))?;
    expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", 2, Some(&rec))?;
    let (c, _) = asserting(2, IndexKey::username("alice"), Some("sub-b"));
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a commit asserting that a key is held by another user",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, IndexKey::username("alice"), "sub-a", 2, Some(&rec))
        .map_err(|e| format!("a rejected commit changed the record or the key: {e}"))?;
    let (c, rec) = asserting(2, IndexKey::username("alice"), Some("sub-a"));
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a commit asserting that a key is held by its holder",
        got,
        CommitOutcome::Committed,
    )?;
    expect_found(s, POOL, IndexKey::username("alice"), "sub-a", 3, Some(&rec))
}

/// A commit with no writes answers `Committed` and changes nothing.
fn empty_commit_is_committed<S: UserStore>(s: &S) -> Result<(), String> {
    let got = commit(s, POOL, &Commit::default())?;
    expect_outcome(
        "an empty commit on an empty store",
        got,
        CommitOutcome::Committed,
    )?;
    setup(s, &[("sub-a", "alice")])?;
    for pool in [POOL, OTHER_POOL] {
        let got = commit(s, pool, &Commit::default())?;
        expect_outcome(
            &format!("an empty commit in pool {pool}"),
            got,
            CommitOutcome::Committed,
        )?;
    }
    expect_absent(s, OTHER_POOL, IndexKey::sub("sub-a"))?;
    expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")
}

/// Two writes of one key in one commit: the second expects what the first writes. Every
/// precondition is checked against the state before the commit, so it fails, and nothing is
/// applied.
fn preconditions_before_commit<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "twice@example.com");
    let c = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![
            claim(key.clone(), "sub-a"),
            IndexWrite {
                key: key.clone(),
                expected: Some("sub-a".to_owned()),
                new: Some("sub-b".to_owned()),
            },
        ],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a commit whose second write expects the first one's result",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_absent(s, POOL, key)
}

/// Two writes of one record, or of one index key, that expect different things cannot both hold
/// against the state before the commit, whichever comes first: the commit is a `Conflict` and
/// applies nothing. Applied in order, each pair below would succeed (a store that checks each
/// write against the writes before it), or its last write alone would (a store that merges
/// duplicates by keeping the last); the claim and removal of one key would even end as it began.
fn duplicate_writes_conflict<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let written = |version: u64| {
        let mut rec = user("sub-a", "alice");
        rec.failed_confirmations = vec![Timestamp::from_secs(version)];
        RecordWrite {
            expected_version: Some(version),
            record: rec,
        }
    };
    for (first, second) in [(1, 2), (2, 1)] {
        let c = Commit {
            removals: Vec::new(),
            records: vec![written(first), written(second)],
            index: Vec::new(),
        };
        let got = commit(s, POOL, &c)?;
        expect_outcome(
            &format!(
                "two writes of one record (at version 1) expecting versions {first} and {second}"
            ),
            got,
            CommitOutcome::Conflict,
        )?;
        expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")
            .map_err(|e| format!("a rejected commit changed the record: {e}"))?;
    }
    let mut c = insert(user("sub-n", "newbie"));
    c.records.push(RecordWrite {
        expected_version: Some(1),
        record: user("sub-n", "newbie"),
    });
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "an insert of a new record and an update of it at version 1, in one commit",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_absent(s, POOL, IndexKey::sub("sub-n"))
        .map_err(|e| format!("a rejected commit inserted its record: {e}"))?;
    let key = IndexKey::alias(AliasAttribute::Email, "twice@example.com");
    let c = Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![
            claim(key.clone(), "sub-a"),
            IndexWrite {
                key: key.clone(),
                expected: Some("sub-a".to_owned()),
                new: None,
            },
        ],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a claim of an absent key and its removal, in one commit",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_absent(s, POOL, key)
}

/// Keys and values that trip naive SQL or text handling are kept and compared exactly.
fn keys_and_values_are_opaque<S: UserStore>(s: &S) -> Result<(), String> {
    let long = "k".repeat(1000);
    let names = [
        "o'brien",
        "say \"hi\"",
        "100%",
        "a_b",
        "back\\slash",
        "Ünïcødé-名前-😀",
        "émilie",
        "ÉMILIE",
        " padded ",
        "a:b:c",
        long.as_str(),
    ];
    let mut written = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let sub = format!("sub-{i}");
        let mut rec = user(&sub, name);
        rec.other_attributes.push(cognito_signup::user::Attribute {
            name: "custom:blob".to_owned(),
            value: format!("nul\0inside;'--\n\t{name}"),
        });
        let got = commit(s, POOL, &insert(rec.clone()))?;
        expect_outcome(
            &format!("insert of user {i}"),
            got,
            CommitOutcome::Committed,
        )?;
        expect_found(s, POOL, IndexKey::username(name), &sub, 1, Some(&rec))?;
        written.push((name, sub, rec));
    }
    // Each key still finds its own record once all are written (`émilie` and `ÉMILIE` included).
    for (name, sub, rec) in &written {
        expect_found(s, POOL, IndexKey::username(name), sub, 1, Some(rec))?;
    }
    // No pattern matching, no case or accent folding, no trimming.
    for probe in [
        "100",
        "100_",
        "a%",
        "A_B",
        "o'brien ",
        "ünïcødé-名前-😀",
        "emilie",
        "padded",
    ] {
        expect_absent(s, POOL, IndexKey::username(probe))?;
    }
    Ok(())
}

/// Record writes (an update, an insert of a record whose `sub` sorts first, an update) and an
/// index write where only the last record's version is stale.
fn atomicity_record_last<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let mut b = user("sub-b", "bob");
    b.enabled = false;
    let got = commit(s, POOL, &update(b.clone(), 1))?;
    expect_outcome("update of bob", got, CommitOutcome::Committed)?;
    let key = IndexKey::alias(AliasAttribute::Email, "x@example.com");
    let mut a2 = user("sub-a", "alice");
    a2.status = UserStatus::Confirmed;
    let mut b2 = b.clone();
    b2.email_verified = true;
    let c = Commit {
        removals: Vec::new(),
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: a2,
            },
            RecordWrite {
                expected_version: None,
                record: user("sub-0", "zero"),
            },
            RecordWrite {
                expected_version: Some(1), // stale: bob is at 2
                record: b2,
            },
        ],
        index: vec![claim(key.clone(), "sub-a")],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "commit whose last record is stale",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")
        .map_err(|e| format!("the first record was written by a rejected commit: {e}"))?;
    expect_found(s, POOL, IndexKey::sub("sub-b"), "sub-b", 2, Some(&b))?;
    expect_absent(s, POOL, key)
        .map_err(|e| format!("an index entry was written by a rejected commit: {e}"))?;
    // The rejected commit's new record (written without keys) does not exist: it can be inserted.
    let got = commit(s, POOL, &insert(user("sub-0", "zero")))?;
    expect_outcome(
        "insert of the record a rejected commit would have inserted",
        got,
        CommitOutcome::Committed,
    )
    .map_err(|e| format!("a record was inserted by a rejected commit: {e}"))
}

/// Records and index writes (claims whose keys sort before and after the failing one, and a
/// removal) where only the last index precondition fails.
fn atomicity_index_last<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let held = IndexKey::alias(AliasAttribute::Email, "held@example.com");
    let got = commit(
        s,
        POOL,
        &Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![claim(held.clone(), "sub-b")],
        },
    )?;
    expect_outcome("claim of an absent key", got, CommitOutcome::Committed)?;
    let fresh = IndexKey::alias(AliasAttribute::PhoneNumber, "+15550100");
    let before = IndexKey::alias(AliasAttribute::Email, "a@example.com");
    let mut a2 = user("sub-a", "alice");
    a2.status = UserStatus::Confirmed;
    let mut b2 = user("sub-b", "bob");
    b2.enabled = false;
    let c = Commit {
        removals: Vec::new(),
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: a2,
            },
            RecordWrite {
                expected_version: Some(1),
                record: b2,
            },
            RecordWrite {
                expected_version: None,
                record: user("sub-c", "carol"),
            },
        ],
        index: vec![
            claim(before.clone(), "sub-a"),
            claim(fresh.clone(), "sub-a"),
            claim(IndexKey::sub("sub-c"), "sub-c"),
            IndexWrite {
                key: IndexKey::username("bob"),
                expected: Some("sub-b".to_owned()),
                new: None,
            },
            claim(held.clone(), "sub-a"), // fails: held by bob
        ],
    };
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "commit whose last index precondition fails",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")
        .map_err(|e| format!("a record was updated by a rejected commit: {e}"))?;
    expect_untouched(s, IndexKey::username("bob"), "sub-b", "bob").map_err(|e| {
        format!("a record was updated or an index entry removed by a rejected commit: {e}")
    })?;
    expect_absent(s, POOL, IndexKey::sub("sub-c"))
        .map_err(|e| format!("a record was inserted by a rejected commit: {e}"))?;
    for key in [before, fresh] {
        expect_absent(s, POOL, key)
            .map_err(|e| format!("an index entry was written by a rejected commit: {e}"))?;
    }
    expect_found(s, POOL, held, "sub-b", 1, None)
}

/// An alias moving from one user to another: two records and one index entry, all visible.
fn multi_record_commit_applies_all<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "moving@example.com");
    let mut a = user("sub-a", "alice");
    a.email_verified = true;
    let got = commit(
        s,
        POOL,
        &Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(1),
                record: a.clone(),
            }],
            index: vec![claim(key.clone(), "sub-a")],
        },
    )?;
    expect_outcome("alice verifies the alias", got, CommitOutcome::Committed)?;
    let mut a2 = a.clone();
    a2.email_verified = false;
    let mut b2 = user("sub-b", "bob");
    b2.email_verified = true;
    b2.status = UserStatus::Confirmed;
    let mv = Commit {
        removals: Vec::new(),
        records: vec![
            RecordWrite {
                expected_version: Some(1),
                record: b2.clone(),
            },
            RecordWrite {
                expected_version: Some(2),
                record: a2.clone(),
            },
        ],
        index: vec![IndexWrite {
            key: key.clone(),
            expected: Some("sub-a".to_owned()),
            new: Some("sub-b".to_owned()),
        }],
    };
    let got = commit(s, POOL, &mv)?;
    expect_outcome("the alias moves to bob", got, CommitOutcome::Committed)?;
    expect_found(s, POOL, key, "sub-b", 2, Some(&b2))?;
    expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", 3, Some(&a2))
}

fn alias_index_uniqueness<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let key = IndexKey::alias(AliasAttribute::Email, "one@example.com");
    let claim_for = |sub: &str| Commit {
        removals: Vec::new(),
        records: Vec::new(),
        index: vec![claim(key.clone(), sub)],
    };
    let got = commit(s, POOL, &claim_for("sub-a"))?;
    expect_outcome("first claim of an alias", got, CommitOutcome::Committed)?;
    let got = commit(s, POOL, &claim_for("sub-b"))?;
    expect_outcome(
        "second claim of the same alias",
        got,
        CommitOutcome::Conflict,
    )?;
    let got = commit(s, POOL, &claim_for("sub-a"))?;
    expect_outcome(
        "second claim of the same alias by its holder",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_found(s, POOL, key, "sub-a", 1, None)
}

fn pools_are_isolated<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    expect_absent(s, OTHER_POOL, IndexKey::username("alice"))?;
    let mut other = user("sub-a", "alice");
    other.enabled = false;
    let got = commit(s, OTHER_POOL, &insert(other.clone()))?;
    expect_outcome(
        "the same sub inserted in another pool",
        got,
        CommitOutcome::Committed,
    )?;
    expect_found(
        s,
        OTHER_POOL,
        IndexKey::username("alice"),
        "sub-a",
        1,
        Some(&other),
    )?;
    let mut other2 = other.clone();
    other2.status = UserStatus::Confirmed;
    let got = commit(s, OTHER_POOL, &update(other2.clone(), 1))?;
    expect_outcome(
        "an update of the same sub in another pool",
        got,
        CommitOutcome::Committed,
    )?;
    expect_found(
        s,
        OTHER_POOL,
        IndexKey::sub("sub-a"),
        "sub-a",
        2,
        Some(&other2),
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")
}

fn list<S: UserStore>(
    s: &S,
    pool: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<Versioned<UserRecord>>, String> {
    s.list(pool, after, limit)
        .map_err(|e| format!("list returned Err: {e}"))
}

/// The `sub`s and versions of a listing.
fn subs_of(page: &[Versioned<UserRecord>]) -> Vec<(String, u64)> {
    page.iter()
        .map(|r| (r.value.sub.to_string(), r.version))
        .collect()
}

/// Every record, page by page (`limit` a page), each page starting after the last `sub` of the
/// page before.
fn list_all<S: UserStore>(
    s: &S,
    pool: &str,
    limit: usize,
) -> Result<Vec<Versioned<UserRecord>>, String> {
    let mut out: Vec<Versioned<UserRecord>> = Vec::new();
    loop {
        let after = out.last().map(|r| r.value.sub.clone());
        let page = list(s, pool, after.as_deref(), limit)?;
        if page.len() > limit {
            return Err(format!(
                "list(limit {limit}) answered {} records",
                page.len()
            ));
        }
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
        if out.len() > 1000 {
            return Err("list keeps answering records after the last one".into());
        }
    }
}

/// `list` answers records in ascending *byte* order of `sub` (upper case before lower case, a
/// multi-byte character after ASCII: a case-insensitive or locale collation fails), `limit` at a
/// time, after `after` whether or not that `sub` exists, with their versions and values, and only
/// the pool's own.
fn list_pages_in_byte_order<S: UserStore>(s: &S) -> Result<(), String> {
    let subs = ["s-b", "s-\u{e9}", "s-B", "s-a", "s-0", "s-Z", "s-ab", "s-_"];
    for (i, sub) in subs.iter().enumerate() {
        let got = commit(s, POOL, &insert(user(sub, &format!("user{i}"))))?;
        expect_outcome(&format!("inserting {sub}"), got, CommitOutcome::Committed)?;
    }
    let got = commit(s, POOL, &update(user("s-a", "user3"), 1))?;
    expect_outcome("updating s-a", got, CommitOutcome::Committed)?;
    let got = commit(s, OTHER_POOL, &insert(user("s-1", "elsewhere")))?;
    expect_outcome(
        "inserting into the other pool",
        got,
        CommitOutcome::Committed,
    )?;
    let mut sorted: Vec<&str> = subs.to_vec();
    sorted.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let want: Vec<(String, u64)> = sorted
        .iter()
        .map(|s| ((*s).to_owned(), if *s == "s-a" { 2 } else { 1 }))
        .collect();
    for limit in [1, 3, 100] {
        let got = subs_of(&list_all(s, POOL, limit)?);
        if got != want {
            return Err(format!(
                "paging with limit {limit}: expected {want:?}, got {got:?}"
            ));
        }
    }
    let all = list(s, POOL, None, 100)?;
    for r in &all {
        let i = subs.iter().position(|x| *x == r.value.sub).unwrap_or(0);
        if r.value != user(&r.value.sub, &format!("user{i}")) {
            return Err(format!(
                "list: the record of {} differs from the record written",
                r.value.sub
            ));
        }
    }
    // `after` need not exist; a limit of 0 answers nothing; the last page is empty.
    let got = subs_of(&list(s, POOL, Some("s-Y"), 2)?);
    if got != [("s-Z".to_owned(), 1), ("s-_".to_owned(), 1)] {
        return Err(format!(
            "list(after s-Y, 2): expected s-Z, s-_, got {got:?}"
        ));
    }
    if !list(s, POOL, None, 0)?.is_empty() {
        return Err("list(limit 0) answered records".into());
    }
    if !list(s, POOL, Some("s-\u{e9}"), 10)?.is_empty() {
        return Err("list after the last sub answered records".into());
    }
    let other = subs_of(&list(s, OTHER_POOL, None, 10)?);
    if other != [("s-1".to_owned(), 1)] {
        return Err(format!(
            "list of the other pool: expected s-1 alone, got {other:?}"
        ));
    }
    if !list(s, "us-west-2_Empty", None, 10)?.is_empty() {
        return Err("list of a pool without records answered records".into());
    }
    Ok(())
}

/// The pool's decoy record ([`DECOY_SUB`], which sorts before every random `sub`) is never
/// listed.
fn list_skips_the_decoy<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let decoy = Commit {
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record: user(DECOY_SUB, "decoy"),
        }],
        index: vec![claim(IndexKey::decoy(), DECOY_SUB)],
    };
    let got = commit(s, POOL, &decoy)?;
    expect_outcome("inserting the decoy", got, CommitOutcome::Committed)?;
    setup(s, &[("sub-b", "bob")])?;
    for limit in [1, 10] {
        let got = subs_of(&list_all(s, POOL, limit)?);
        if got != [("sub-a".to_owned(), 1), ("sub-b".to_owned(), 1)] {
            return Err(format!(
                "paging with limit {limit}: expected sub-a, sub-b, got {got:?}"
            ));
        }
    }
    let first = subs_of(&list(s, POOL, None, 1)?);
    if first != [("sub-a".to_owned(), 1)] {
        return Err(format!("list(limit 1): expected sub-a, got {first:?}"));
    }
    Ok(())
}

/// A commit removing `sub` at `version` with its username and `sub` keys.
pub(crate) fn removal(sub: &str, username: &str, version: u64) -> Commit {
    Commit {
        removals: vec![RecordRemoval {
            sub: sub.to_owned(),
            expected_version: version,
        }],
        records: Vec::new(),
        index: [IndexKey::username(username), IndexKey::sub(sub)]
            .into_iter()
            .map(|key| IndexWrite {
                key,
                expected: Some(sub.to_owned()),
                new: None,
            })
            .collect(),
    }
}

/// A removal holds at the record's version only (not an older or a newer one, not for a missing
/// record); applied, the record is gone from `find` and `list` and its `sub` may be inserted
/// again, at version 1.
fn removal_needs_the_current_version<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let got = commit(s, POOL, &update(user("sub-a", "alice"), 1))?;
    expect_outcome("updating sub-a", got, CommitOutcome::Committed)?;
    for (what, version) in [("an older version", 1), ("a newer version", 3)] {
        let got = commit(s, POOL, &removal("sub-a", "alice", version))?;
        expect_outcome(&format!("removal at {what}"), got, CommitOutcome::Conflict)?;
        expect_found(s, POOL, IndexKey::sub("sub-a"), "sub-a", 2, None)?;
    }
    let missing = Commit {
        removals: vec![RecordRemoval {
            sub: "sub-z".to_owned(),
            expected_version: 1,
        }],
        records: Vec::new(),
        index: Vec::new(),
    };
    let got = commit(s, POOL, &missing)?;
    expect_outcome("removal of a missing record", got, CommitOutcome::Conflict)?;
    let got = commit(s, OTHER_POOL, &removal("sub-a", "alice", 2))?;
    expect_outcome(
        "removal of a record of another pool",
        got,
        CommitOutcome::Conflict,
    )?;
    let got = commit(s, POOL, &removal("sub-a", "alice", 2))?;
    expect_outcome(
        "removal at the current version",
        got,
        CommitOutcome::Committed,
    )?;
    expect_absent(s, POOL, IndexKey::sub("sub-a"))?;
    expect_absent(s, POOL, IndexKey::username("alice"))?;
    let left = subs_of(&list(s, POOL, None, 10)?);
    if left != [("sub-b".to_owned(), 1)] {
        return Err(format!(
            "list after the removal: expected sub-b alone, got {left:?}"
        ));
    }
    let got = commit(s, POOL, &removal("sub-a", "alice", 2))?;
    expect_outcome("removal of a removed record", got, CommitOutcome::Conflict)?;
    let again = user("sub-a", "alice");
    let got = commit(s, POOL, &insert(again.clone()))?;
    expect_outcome(
        "inserting a removed sub again",
        got,
        CommitOutcome::Committed,
    )?;
    expect_found(
        s,
        POOL,
        IndexKey::username("alice"),
        "sub-a",
        1,
        Some(&again),
    )?;
    expect_untouched(s, IndexKey::username("bob"), "sub-b", "bob")
}

/// A removal whose commit has a failing precondition after it (an index entry expected at
/// another holder; a stale record write) applies nothing: the record, its keys and the other
/// writes stay as they were.
fn removal_is_atomic<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let mut c = removal("sub-a", "alice", 1);
    c.index.push(IndexWrite {
        key: IndexKey::alias(AliasAttribute::Email, "alice@example.com"),
        expected: Some("sub-a".to_owned()),
        new: None,
    });
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "removal with an index entry the record does not hold",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")?;
    let mut c = removal("sub-a", "alice", 1);
    c.records.push(RecordWrite {
        expected_version: Some(7),
        record: user("sub-b", "bob-renamed"),
    });
    c.index.push(claim(IndexKey::username("carol"), "sub-b"));
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "removal with a stale record write",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::sub("sub-a"), "sub-a", "alice")?;
    expect_untouched(s, IndexKey::username("bob"), "sub-b", "bob")?;
    expect_absent(s, POOL, IndexKey::username("carol"))?;
    let listed = subs_of(&list(s, POOL, None, 10)?);
    if listed != [("sub-a".to_owned(), 1), ("sub-b".to_owned(), 1)] {
        return Err(format!("list after the failed removals: got {listed:?}"));
    }
    // Two removals in one commit, with every key: both go.
    let mut both = removal("sub-a", "alice", 1);
    let b = removal("sub-b", "bob", 1);
    both.removals.extend(b.removals);
    both.index.extend(b.index);
    let got = commit(s, POOL, &both)?;
    expect_outcome("two removals in one commit", got, CommitOutcome::Committed)?;
    expect_absent(s, POOL, IndexKey::username("alice"))?;
    expect_absent(s, POOL, IndexKey::sub("sub-b"))?;
    if !list(s, POOL, None, 10)?.is_empty() {
        return Err("list after removing every record answered records".into());
    }
    Ok(())
}

/// A commit that writes and removes one record (each at its current version), or removes one
/// record at two versions, cannot hold as a whole: `Conflict`, nothing applied.
fn removal_and_write_conflict<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice")])?;
    let mut c = removal("sub-a", "alice", 1);
    c.records.push(RecordWrite {
        expected_version: Some(1),
        record: user("sub-a", "alice"),
    });
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "a write and a removal of one record",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")?;
    let mut c = removal("sub-a", "alice", 1);
    c.removals.push(RecordRemoval {
        sub: "sub-a".to_owned(),
        expected_version: 2,
    });
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "one record removed at two versions",
        got,
        CommitOutcome::Conflict,
    )?;
    expect_untouched(s, IndexKey::username("alice"), "sub-a", "alice")
}

/// Two removals of one record at one version in one commit are one removal, as two writes that
/// expect the same thing are one write: the record goes, and nothing else changes.
fn duplicate_removals_remove_once<S: UserStore>(s: &S) -> Result<(), String> {
    setup(s, &[("sub-a", "alice"), ("sub-b", "bob")])?;
    let mut c = removal("sub-a", "alice", 1);
    c.removals.push(RecordRemoval {
        sub: "sub-a".to_owned(),
        expected_version: 1,
    });
    let got = commit(s, POOL, &c)?;
    expect_outcome(
        "one record removed twice at its version",
        got,
        CommitOutcome::Committed,
    )?;
    expect_absent(s, POOL, IndexKey::sub("sub-a"))?;
    expect_absent(s, POOL, IndexKey::username("alice"))?;
    let left = subs_of(&list(s, POOL, None, 10)?);
    if left != [("sub-b".to_owned(), 1)] {
        return Err(format!(
            "list after the removal: expected sub-b alone, got {left:?}"
        ));
    }
    expect_untouched(s, IndexKey::username("bob"), "sub-b", "bob")
}

/// Runs `threads` threads that each prepare a commit with `prepare(t)` (`None`: nothing to
/// commit), wait until every thread has prepared, then commit; answers the threads whose commit
/// was applied, or the first error.
fn race<S: UserStore>(
    s: &S,
    threads: usize,
    prepare: impl Fn(usize) -> Result<Option<Commit>, String> + Sync,
) -> Result<Vec<usize>, String> {
    let barrier = Barrier::new(threads);
    let winners: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (barrier, winners, errors, prepare) = (&barrier, &winners, &errors, &prepare);
            scope.spawn(move || {
                let prepared = prepare(t);
                // Every thread waits here exactly once, whatever it prepared.
                barrier.wait();
                let outcome = match prepared {
                    Ok(Some(c)) => s
                        .commit(POOL, &c)
                        .map_err(|e| format!("a racing commit returned Err: {e}")),
                    Ok(None) => Ok(CommitOutcome::Conflict),
                    Err(e) => Err(e),
                };
                match outcome {
                    Ok(CommitOutcome::Committed) => {
                        if let Ok(mut w) = winners.lock() {
                            w.push(t);
                        }
                    }
                    Ok(CommitOutcome::Conflict) => {}
                    Err(e) => {
                        if let Ok(mut v) = errors.lock() {
                            v.push(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = errors.lock().ok().and_then(|v| v.first().cloned()) {
        return Err(e);
    }
    Ok(winners.lock().map(|w| w.clone()).unwrap_or_default())
}

/// Threads racing a commit on one record at the same version, round after round: one wins, and
/// the record holds the winner's value.
fn concurrent_one_winner_per_version<S: UserStore>(s: &S) -> Result<(), String> {
    const THREADS: usize = 8;
    const ROUNDS: u64 = 20;
    setup(s, &[("sub-a", "alice")])?;
    // The value thread `t` writes: alice marked with `t`.
    let marked = |t: usize| {
        let mut rec = user("sub-a", "alice");
        rec.resends = vec![Timestamp::from_millis(u64::try_from(t).unwrap_or(0))];
        rec
    };
    for round in 1..=ROUNDS {
        let winners = race(s, THREADS, |t| Ok(Some(update(marked(t), round))))
            .map_err(|e| format!("round {round}: {e}"))?;
        let [winner] = winners.as_slice() else {
            return Err(format!(
                "round {round}: {THREADS} threads committed at version {round}; expected exactly one winner, got {}",
                winners.len()
            ));
        };
        let want = round.saturating_add(1);
        expect_found(
            s,
            POOL,
            IndexKey::sub("sub-a"),
            "sub-a",
            want,
            Some(&marked(*winner)),
        )
        .map_err(|e| format!("round {round}, won by thread {winner}: {e}"))?;
    }
    Ok(())
}

/// Threads racing to claim one alias key for different new users, one key a round.
fn concurrent_alias_claims<S: UserStore>(s: &S) -> Result<(), String> {
    const THREADS: usize = 8;
    const ROUNDS: usize = 8;
    for round in 0..ROUNDS {
        let key = IndexKey::alias(AliasAttribute::Email, &format!("race{round}@example.com"));
        let sub_of = |t: usize| format!("sub-{round}-{t}");
        let winners = race(s, THREADS, |t| {
            let sub = sub_of(t);
            let mut c = insert(user(&sub, &format!("user-{round}-{t}")));
            c.index.push(claim(key.clone(), &sub));
            Ok(Some(c))
        })
        .map_err(|e| format!("round {round}: {e}"))?;
        let [winner] = winners.as_slice() else {
            return Err(format!(
                "round {round}: {THREADS} users claimed one alias; expected exactly one winner, got {}",
                winners.len()
            ));
        };
        expect_found(s, POOL, key, &sub_of(*winner), 1, None)
            .map_err(|e| format!("round {round}: {e}"))?;
        for t in (0..THREADS).filter(|t| t != winner) {
            expect_absent(s, POOL, IndexKey::sub(&sub_of(t)))
                .map_err(|e| format!("round {round}: a losing claim wrote its record: {e}"))?;
        }
    }
    Ok(())
}

/// Threads moving one alias key between users as the core does under ForceAliasCreation: the
/// new holder's record (now verified), the previous holder's record (no longer verified) and the
/// key, in one commit built from what the thread read. Every round, all threads read before any
/// commits, so all movers but the first commit from a stale read: at most one move a round is
/// applied, and in the end the key has one holder, the only user whose verified flag is set.
fn concurrent_alias_moves<S: UserStore>(s: &S) -> Result<(), String> {
    const THREADS: usize = 8;
    const ROUNDS: u64 = 15;
    const EMAIL: &str = "moving@example.com";
    let key = IndexKey::alias(AliasAttribute::Email, EMAIL);
    let sub_of = |t: usize| format!("sub-{t}");
    for t in 0..THREADS {
        let sub = sub_of(t);
        let mut rec = user(&sub, &format!("user{t}"));
        rec.email = Some(EMAIL.into());
        rec.email_verified = t == 0;
        let mut c = insert(rec);
        if t == 0 {
            c.index.push(claim(key.clone(), &sub));
        }
        let got = commit(s, POOL, &c)?;
        expect_outcome(&format!("inserting {sub}"), got, CommitOutcome::Committed)?;
    }
    let mut moves = 0usize;
    for round in 1..=ROUNDS {
        let winners = race(s, THREADS, |t| alias_move_to(s, &sub_of(t), &key))
            .map_err(|e| format!("round {round}: {e}"))?;
        if winners.len() > 1 {
            return Err(format!(
                "round {round}: {} moves of one alias from the same holder were applied; expected at most one",
                winners.len()
            ));
        }
        moves = moves.saturating_add(winners.len());
    }
    if moves == 0 {
        return Err(format!(
            "no move of the alias committed in {ROUNDS} rounds of {THREADS} threads"
        ));
    }
    let holder = find(s, POOL, std::slice::from_ref(&key))?
        .ok_or_else(|| "after the moves, the alias has no holder".to_owned())?
        .value
        .sub;
    let mut verified = Vec::new();
    for t in 0..THREADS {
        let sub = sub_of(t);
        let rec = find(s, POOL, &[IndexKey::sub(&sub)])?
            .ok_or_else(|| format!("after the moves, {sub} is not found"))?;
        if rec.value.email_verified {
            verified.push(sub);
        }
    }
    if verified != [holder.clone()] {
        return Err(format!(
            "after {moves} moves the alias is held by {holder}, but the users with it verified are {verified:?}"
        ));
    }
    Ok(())
}

/// The commit moving `key` to `sub` from its holder, from what `find` answers now; `None` when
/// `sub` holds it already.
fn alias_move_to<S: UserStore>(s: &S, sub: &str, key: &IndexKey) -> Result<Option<Commit>, String> {
    let me = find(s, POOL, &[IndexKey::sub(sub)])?.ok_or_else(|| format!("{sub} not found"))?;
    let holder = find(s, POOL, std::slice::from_ref(key))?
        .ok_or_else(|| "the alias has no holder".to_owned())?;
    if holder.value.sub == sub {
        return Ok(None);
    }
    let mut mine = me.value;
    mine.email_verified = true;
    let mut theirs = holder.value;
    theirs.email_verified = false;
    let previous = theirs.sub.to_string();
    Ok(Some(Commit {
        removals: Vec::new(),
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
            expected: Some(previous),
            new: Some(sub.to_owned()),
        }],
    }))
}

// ---------------------------------------------------------------------------------------------
// Fault injection

/// Which call of a [`FaultyStore`] fails, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The 0-based index of the failing call, counting `find`, `list` and `commit` calls
    /// together.
    pub at_call: u64,
    /// What happens at that call.
    pub kind: FaultKind,
}

/// How a [`FaultyStore`] call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The call answers `Err` without reaching the inner store.
    ErrBefore,
    /// A commit is applied by the inner store, then the call answers `Err` (a lost
    /// acknowledgement); a `find` or `list` answers `Err`.
    ErrAfter,
    /// A commit answers a spurious `Conflict` without reaching the inner store; a `find` or
    /// `list` is passed through unchanged.
    SpuriousConflict,
}

/// The failure a [`FaultyStore`] injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("injected store fault at call {0}")]
pub struct InjectedFault(pub u64);

/// A store wrapper that fails one chosen call, to test what the layers above a store do when
/// it fails in each direction the [`UserStore`] contract allows.
pub struct FaultyStore<S> {
    inner: S,
    fault: Option<Fault>,
    calls: AtomicU64,
    fired: AtomicU64,
}

impl<S> fmt::Debug for FaultyStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultyStore")
            .field("fault", &self.fault)
            .field("calls", &self.calls.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

impl<S: UserStore> FaultyStore<S> {
    /// Wraps `inner`; `fault` (if any) fires once.
    pub fn new(inner: S, fault: Option<Fault>) -> Self {
        Self {
            inner,
            fault,
            calls: AtomicU64::new(0),
            fired: AtomicU64::new(0),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// How many calls were made so far.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Whether the fault has fired.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst) > 0
    }

    /// The fault for this call, if it is the chosen one.
    fn this_call(&self) -> (u64, Option<FaultKind>) {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        match self.fault {
            Some(f) if f.at_call == n => {
                self.fired.fetch_add(1, Ordering::SeqCst);
                (n, Some(f.kind))
            }
            _ => (n, None),
        }
    }
}

impl<S: UserStore> UserStore for FaultyStore<S> {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        match self.this_call() {
            (n, Some(FaultKind::ErrBefore | FaultKind::ErrAfter)) => {
                Err(Box::new(InjectedFault(n)))
            }
            _ => self.inner.find(pool_id, keys),
        }
    }

    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        match self.this_call() {
            (n, Some(FaultKind::ErrBefore | FaultKind::ErrAfter)) => {
                Err(Box::new(InjectedFault(n)))
            }
            _ => self.inner.list(pool_id, after, limit),
        }
    }

    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        match self.this_call() {
            (n, Some(FaultKind::ErrBefore)) => Err(Box::new(InjectedFault(n))),
            (n, Some(FaultKind::ErrAfter)) => {
                let _applied_or_conflict = self.inner.commit(pool_id, commit)?;
                Err(Box::new(InjectedFault(n)))
            }
            (_, Some(FaultKind::SpuriousConflict)) => Ok(CommitOutcome::Conflict),
            (_, None) => self.inner.commit(pool_id, commit),
        }
    }
}

//! The store conformance kit against the in-memory store, the faulty wrapper, and broken stores
//! that it must reject (so that the kit is known to be able to fail).

use cognito_signup::store::{Commit, CommitOutcome, IndexKey, UserStore, Versioned};
use cognito_signup::{HostError, MemoryStore, UserRecord};
use cognito_signup_testkit::conformance::{self, Fault, FaultKind, FaultyStore};
use std::collections::HashMap;
use std::sync::Mutex;

#[test]
fn memory_store_passes_the_kit() {
    let report = conformance::run_all(MemoryStore::new);
    assert_eq!(report.failures().len(), 0);
    assert!(report.checks.len() >= 24, "{report:?}");
}

#[test]
fn faulty_store_without_fault_passes_the_kit() {
    conformance::run_all(|| FaultyStore::new(MemoryStore::new(), None));
}

#[test]
fn faulty_store_fires_once_at_the_chosen_call() {
    let s = FaultyStore::new(
        MemoryStore::new(),
        Some(Fault {
            at_call: 1,
            kind: FaultKind::ErrBefore,
        }),
    );
    assert!(s.find("p", &[IndexKey::sub("x")]).is_ok());
    assert!(!s.fired());
    assert!(s.find("p", &[IndexKey::sub("x")]).is_err());
    assert!(s.fired());
    assert!(s.find("p", &[IndexKey::sub("x")]).is_ok());
    assert_eq!(s.calls(), 3);
}

/// A store with one deliberate contract violation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Defect {
    /// Applies writes one by one and stops at the first failed precondition.
    NotAtomic,
    /// Never checks record versions (lost updates).
    IgnoresVersions,
    /// Never checks index preconditions.
    IgnoresIndex,
    /// `find` answers the last present key instead of the first.
    LastKeyWins,
    /// Does not count versions.
    VersionStuck,
    /// Answers `Conflict` to a commit with no writes.
    EmptyIsConflict,
    /// Compares keys case-insensitively (a text column with a case-insensitive collation).
    FoldsKeys,
    /// Merges two writes of one record or key in a commit by keeping the last one.
    KeepsLastDuplicate,
    /// Drops index writes that change nothing (`new` equal to `expected`), preconditions included.
    SkipsUnchangedKeys,
    /// Lists in case-insensitive order of `sub` (a text column with a case-insensitive collation).
    ListsFoldedOrder,
    /// Lists the decoy record with the others.
    ListsTheDecoy,
    /// Removes a record whatever its version.
    RemovesAnyVersion,
    /// Applies a removal even when the commit writes the same record.
    RemovesAndWrites,
}

#[derive(Default)]
struct Pool {
    records: HashMap<String, Versioned<UserRecord>>,
    index: HashMap<IndexKey, String>,
}

struct BrokenStore {
    defect: Defect,
    pools: Mutex<HashMap<String, Pool>>,
}

impl BrokenStore {
    fn new(defect: Defect) -> Self {
        Self {
            defect,
            pools: Mutex::new(HashMap::new()),
        }
    }
}

fn lower(k: &IndexKey) -> IndexKey {
    IndexKey::from_stored(k.as_str().to_lowercase())
}

impl UserStore for BrokenStore {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        let pools = self.pools.lock().unwrap();
        let Some(p) = pools.get(pool_id) else {
            return Ok(None);
        };
        let fold = self.defect == Defect::FoldsKeys;
        let hit = |k: &IndexKey| {
            let k = if fold { lower(k) } else { k.clone() };
            p.index.get(&k).and_then(|s| p.records.get(s)).cloned()
        };
        Ok(if self.defect == Defect::LastKeyWins {
            keys.iter().rev().find_map(hit)
        } else {
            keys.iter().find_map(hit)
        })
    }

    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        let pools = self.pools.lock().unwrap();
        let Some(p) = pools.get(pool_id) else {
            return Ok(Vec::new());
        };
        let order = |s: &str| {
            if self.defect == Defect::ListsFoldedOrder {
                s.to_lowercase()
            } else {
                s.to_owned()
            }
        };
        let mut all: Vec<&Versioned<UserRecord>> = p
            .records
            .values()
            .filter(|r| self.defect == Defect::ListsTheDecoy || !r.value.is_decoy())
            .filter(|r| after.is_none_or(|a| order(&r.value.sub) > order(a)))
            .collect();
        all.sort_by_key(|r| order(&r.value.sub));
        Ok(all.into_iter().take(limit).cloned().collect())
    }

    fn commit(&self, pool_id: &str, c: &Commit) -> Result<CommitOutcome, HostError> {
        if self.defect == Defect::EmptyIsConflict
            && c.records.is_empty()
            && c.index.is_empty()
            && c.removals.is_empty()
        {
            return Ok(CommitOutcome::Conflict);
        }
        let rewritten;
        let c = match self.defect {
            Defect::FoldsKeys => {
                let mut f = c.clone();
                for w in &mut f.index {
                    w.key = lower(&w.key);
                }
                rewritten = f;
                &rewritten
            }
            Defect::KeepsLastDuplicate => {
                let mut f = c.clone();
                let records = &c.records;
                let index = &c.index;
                let mut i = 0;
                f.records.retain(|w| {
                    i += 1;
                    !records[i..].iter().any(|l| l.record.sub == w.record.sub)
                });
                let mut i = 0;
                f.index.retain(|w| {
                    i += 1;
                    !index[i..].iter().any(|l| l.key == w.key)
                });
                rewritten = f;
                &rewritten
            }
            Defect::SkipsUnchangedKeys => {
                let mut f = c.clone();
                f.index.retain(|w| w.expected != w.new);
                rewritten = f;
                &rewritten
            }
            _ => c,
        };
        let mut pools = self.pools.lock().unwrap();
        let p = pools.entry(pool_id.to_owned()).or_default();
        let check_versions = self.defect != Defect::IgnoresVersions;
        let check_index = self.defect != Defect::IgnoresIndex;
        let atomic = self.defect != Defect::NotAtomic;
        let removes_and_writes = c.removals.iter().enumerate().any(|(i, r)| {
            c.records.iter().any(|w| w.record.sub == r.sub)
                || c.removals[..i]
                    .iter()
                    .any(|o| o.sub == r.sub && o.expected_version != r.expected_version)
        });
        if removes_and_writes && self.defect != Defect::RemovesAndWrites {
            return Ok(CommitOutcome::Conflict);
        }
        let removal_holds = |p: &Pool, r: &cognito_signup::store::RecordRemoval| {
            let current = p.records.get(&r.sub).map(|v| v.version);
            current.is_some()
                && (self.defect == Defect::RemovesAnyVersion || current == Some(r.expected_version))
        };
        if atomic {
            for r in &c.removals {
                if !removal_holds(p, r) {
                    return Ok(CommitOutcome::Conflict);
                }
            }
            for w in &c.records {
                if check_versions
                    && p.records.get(w.record.sub.as_str()).map(|r| r.version) != w.expected_version
                {
                    return Ok(CommitOutcome::Conflict);
                }
            }
            for w in &c.index {
                if check_index && p.index.get(&w.key) != w.expected.as_ref() {
                    return Ok(CommitOutcome::Conflict);
                }
            }
        }
        for w in &c.records {
            if !atomic
                && p.records.get(w.record.sub.as_str()).map(|r| r.version) != w.expected_version
            {
                return Ok(CommitOutcome::Conflict);
            }
            let version = match (self.defect, p.records.get(w.record.sub.as_str())) {
                (Defect::VersionStuck, _) => 1,
                (_, Some(r)) => r.version + 1,
                (_, None) => 1,
            };
            p.records.insert(
                w.record.sub.to_string(),
                Versioned {
                    version,
                    value: w.record.clone(),
                },
            );
        }
        for r in &c.removals {
            if !atomic && !removal_holds(p, r) {
                return Ok(CommitOutcome::Conflict);
            }
            p.records.remove(&r.sub);
        }
        for w in &c.index {
            if !atomic && p.index.get(&w.key) != w.expected.as_ref() {
                return Ok(CommitOutcome::Conflict);
            }
            match &w.new {
                Some(s) => p.index.insert(w.key.clone(), s.clone()),
                None => p.index.remove(&w.key),
            };
        }
        Ok(CommitOutcome::Committed)
    }
}

fn failed_checks(defect: Defect) -> Vec<&'static str> {
    let report = conformance::check_all(|| BrokenStore::new(defect));
    report.failures().iter().map(|c| c.name).collect()
}

#[test]
fn kit_rejects_a_non_atomic_store() {
    let failed = failed_checks(Defect::NotAtomic);
    assert!(
        failed.contains(&"atomicity_record_precondition_last"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"atomicity_index_precondition_last"),
        "{failed:?}"
    );
    // Losing movers' first record writes are applied: users verified without the alias.
    assert!(
        failed.contains(&"concurrent_alias_moves_keep_one_holder"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_ignores_versions() {
    let failed = failed_checks(Defect::IgnoresVersions);
    assert!(failed.contains(&"conflict_stale_version"), "{failed:?}");
    assert!(
        failed.contains(&"conflict_insert_existing_record"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"concurrent_one_winner_per_version"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_ignores_index_preconditions() {
    let failed = failed_checks(Defect::IgnoresIndex);
    assert!(failed.contains(&"alias_index_uniqueness"), "{failed:?}");
    assert!(
        failed.contains(&"conflict_index_expected_other_holder"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"concurrent_alias_claims_one_winner"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"index_precondition_without_write"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_skips_index_writes_that_change_nothing() {
    let failed = failed_checks(Defect::SkipsUnchangedKeys);
    assert!(
        failed.contains(&"index_precondition_without_write"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_merges_duplicate_writes_keeping_the_last() {
    assert_eq!(
        failed_checks(Defect::KeepsLastDuplicate),
        vec!["duplicate_writes_with_different_expectations_conflict"]
    );
}

#[test]
fn kit_rejects_a_store_with_the_wrong_find_order() {
    assert_eq!(
        failed_checks(Defect::LastKeyWins),
        vec!["find_order_first_present_key"]
    );
}

#[test]
fn kit_rejects_a_store_that_does_not_count_versions() {
    let failed = failed_checks(Defect::VersionStuck);
    assert!(failed.contains(&"versions_count_writes"), "{failed:?}");
}

#[test]
fn kit_rejects_a_store_that_refuses_empty_commits() {
    assert_eq!(
        failed_checks(Defect::EmptyIsConflict),
        vec!["empty_commit_is_committed"]
    );
}

#[test]
fn kit_rejects_a_store_that_folds_keys() {
    let failed = failed_checks(Defect::FoldsKeys);
    assert!(
        failed.contains(&"keys_and_values_are_opaque_strings"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_checks_preconditions_write_by_write() {
    let failed = failed_checks(Defect::NotAtomic);
    assert!(
        failed.contains(&"preconditions_read_the_state_before_the_commit"),
        "{failed:?}"
    );
    assert!(
        failed.contains(&"duplicate_writes_with_different_expectations_conflict"),
        "{failed:?}"
    );
}

#[test]
fn kit_rejects_a_store_that_lists_in_a_case_insensitive_order() {
    assert_eq!(
        failed_checks(Defect::ListsFoldedOrder),
        vec!["list_pages_in_byte_order_of_sub"]
    );
}

#[test]
fn kit_rejects_a_store_that_lists_the_decoy() {
    assert_eq!(
        failed_checks(Defect::ListsTheDecoy),
        vec!["list_never_shows_the_decoy"]
    );
}

#[test]
fn kit_rejects_a_store_that_removes_at_any_version() {
    assert_eq!(
        failed_checks(Defect::RemovesAnyVersion),
        vec!["removal_needs_the_current_version"]
    );
}

#[test]
fn kit_rejects_a_store_that_removes_a_record_it_also_writes() {
    assert_eq!(
        failed_checks(Defect::RemovesAndWrites),
        vec!["removal_and_write_of_one_record_conflict"]
    );
}

#[test]
fn kit_rejects_a_non_atomic_removal() {
    let failed = failed_checks(Defect::NotAtomic);
    assert!(
        failed.contains(&"removal_is_atomic_with_its_index_writes"),
        "{failed:?}"
    );
}

#[test]
fn faulty_store_counts_and_fails_list_calls() {
    let s = FaultyStore::new(
        MemoryStore::new(),
        Some(Fault {
            at_call: 1,
            kind: FaultKind::ErrAfter,
        }),
    );
    assert_eq!(s.list("p", None, 10).unwrap(), Vec::new());
    assert!(s.list("p", None, 10).is_err());
    assert!(s.fired());
    assert_eq!(s.calls(), 2);
}

#[test]
#[should_panic(expected = "store conformance checks failed")]
fn run_all_panics_with_the_failed_checks() {
    conformance::run_all(|| BrokenStore::new(Defect::NotAtomic));
}

//! A commit turned into the writes a transaction issues: at most one per record and per index
//! key, in a fixed order.
//!
//! The trait checks every precondition against the state *before* the commit and then applies
//! the writes in order. A transaction that checks each precondition with the write itself (a
//! conditional `UPDATE`, an `INSERT … ON CONFLICT DO NOTHING`) agrees with that as long as no
//! record and no key is written twice, so duplicates are merged first: two writes of one record
//! or key that expect different things can never both hold (the commit is a `Conflict` without
//! asking the database); two that expect the same thing become one write of the last value, as
//! applying them in order would leave it. The sorted order makes every transaction take its row
//! locks in the same order, which keeps concurrent commits from deadlocking one another.
//!
//! For implementers of [`UserStore`](crate::UserStore) on a database with conditional writes;
//! the SQLite and PostgreSQL stores of this repository use it.

use crate::protocol::Commit;
use crate::user::UserRecord;
use std::collections::BTreeMap;

/// One record write: the record must be at `expected_version` (`None`: must not exist).
#[derive(Debug)]
pub struct RecordOp<'a> {
    /// The version the record must have; `None` when it must not exist.
    pub expected_version: Option<u64>,
    /// The new value (keyed by its `sub`).
    pub record: &'a UserRecord,
}

/// One index write: `key` must point to `expected` (`None`: absent); afterwards it points to
/// `new` (`None`: removed).
#[derive(Debug)]
pub struct IndexOp<'a> {
    /// The key, as stored.
    pub key: &'a str,
    /// The `sub` the key must point to; `None` when it must be absent.
    pub expected: Option<&'a str>,
    /// The `sub` it points to afterwards; `None` removes it.
    pub new: Option<&'a str>,
}

/// One record removal: the record must be at `expected_version`; afterwards it is gone.
#[derive(Debug)]
pub struct RemovalOp<'a> {
    /// The `sub` of the record.
    pub sub: &'a str,
    /// The version the record must have.
    pub expected_version: u64,
}

/// The writes of one commit, records and removals sorted by `sub` and index entries by key.
/// No `sub` is both written and removed.
#[derive(Debug)]
pub struct Plan<'a> {
    /// Record writes, sorted by `sub`.
    pub records: Vec<RecordOp<'a>>,
    /// Record removals, sorted by `sub`.
    pub removals: Vec<RemovalOp<'a>>,
    /// Index writes, sorted by key.
    pub index: Vec<IndexOp<'a>>,
}

/// Merges and sorts a commit's writes; `None` when two writes of one record or key expect
/// different things, which makes the commit a `Conflict` whatever the store holds.
///
/// Two removals of one record are one when they expect the same version. A record both written
/// and removed by one commit is a `Conflict` too: a write that creates it cannot hold beside a
/// removal that needs it, and of a write and a removal that expect the same version neither
/// order is the commit's meaning.
pub fn plan(commit: &Commit) -> Option<Plan<'_>> {
    let mut records: BTreeMap<&str, RecordOp<'_>> = BTreeMap::new();
    for w in &commit.records {
        let op = RecordOp {
            expected_version: w.expected_version,
            record: &w.record,
        };
        if let Some(previous) = records.insert(w.record.sub.as_str(), op) {
            if previous.expected_version != w.expected_version {
                return None;
            }
        }
    }
    let mut removals: BTreeMap<&str, RemovalOp<'_>> = BTreeMap::new();
    for r in &commit.removals {
        if records.contains_key(r.sub.as_str()) {
            return None;
        }
        let op = RemovalOp {
            sub: r.sub.as_str(),
            expected_version: r.expected_version,
        };
        if let Some(previous) = removals.insert(r.sub.as_str(), op) {
            if previous.expected_version != r.expected_version {
                return None;
            }
        }
    }
    let mut index: BTreeMap<&str, IndexOp<'_>> = BTreeMap::new();
    for w in &commit.index {
        let op = IndexOp {
            key: w.key.as_str(),
            expected: w.expected.as_deref(),
            new: w.new.as_deref(),
        };
        if let Some(previous) = index.insert(w.key.as_str(), op) {
            if previous.expected != w.expected.as_deref() {
                return None;
            }
        }
    }
    Some(Plan {
        records: records.into_values().collect(),
        removals: removals.into_values().collect(),
        index: index.into_values().collect(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::Timestamp;
    use crate::protocol::{IndexKey, IndexWrite, RecordRemoval, RecordWrite};
    use crate::user::UserStatus;

    fn user(sub: &str, username: &str) -> UserRecord {
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
            created: Timestamp::from_secs(1),
            last_modified: Timestamp::from_secs(1),
            code: None,
            failed_confirmations: Vec::new(),
            resends: Vec::new(),
        }
    }

    fn index(key: &str, expected: Option<&str>, new: Option<&str>) -> IndexWrite {
        IndexWrite {
            key: IndexKey::from_stored(key.into()),
            expected: expected.map(Into::into),
            new: new.map(Into::into),
        }
    }

    #[test]
    fn sorts_records_by_sub_and_index_by_key() {
        let commit = Commit {
            removals: Vec::new(),
            records: vec![
                RecordWrite {
                    expected_version: Some(1),
                    record: user("b", "bob"),
                },
                RecordWrite {
                    expected_version: None,
                    record: user("a", "ann"),
                },
            ],
            index: vec![index("u:z", None, Some("a")), index("s:a", None, Some("a"))],
        };
        let p = plan(&commit).unwrap();
        let subs: Vec<_> = p.records.iter().map(|r| r.record.sub.as_str()).collect();
        assert_eq!(subs, ["a", "b"]);
        let keys: Vec<_> = p.index.iter().map(|i| i.key).collect();
        assert_eq!(keys, ["s:a", "u:z"]);
    }

    #[test]
    fn duplicate_writes_with_equal_preconditions_keep_the_last_value() {
        let commit = Commit {
            removals: Vec::new(),
            records: vec![
                RecordWrite {
                    expected_version: Some(3),
                    record: user("a", "first"),
                },
                RecordWrite {
                    expected_version: Some(3),
                    record: user("a", "last"),
                },
            ],
            index: vec![index("k", None, Some("a")), index("k", None, Some("b"))],
        };
        let p = plan(&commit).unwrap();
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].record.username, "last");
        assert_eq!(p.index.len(), 1);
        assert_eq!(p.index[0].new, Some("b"));
    }

    #[test]
    fn duplicate_writes_with_different_preconditions_are_a_conflict() {
        let records = Commit {
            removals: Vec::new(),
            records: vec![
                RecordWrite {
                    expected_version: Some(3),
                    record: user("a", "x"),
                },
                RecordWrite {
                    expected_version: None,
                    record: user("a", "x"),
                },
            ],
            index: Vec::new(),
        };
        assert!(plan(&records).is_none());
        let index_writes = Commit {
            removals: Vec::new(),
            records: Vec::new(),
            index: vec![index("k", None, Some("a")), index("k", Some("a"), None)],
        };
        assert!(plan(&index_writes).is_none());
    }

    fn removal(sub: &str, expected_version: u64) -> RecordRemoval {
        RecordRemoval {
            sub: sub.into(),
            expected_version,
        }
    }

    #[test]
    fn removals_are_sorted_by_sub_and_duplicates_with_one_version_merge() {
        let commit = Commit {
            removals: vec![removal("b", 2), removal("a", 1), removal("b", 2)],
            records: vec![RecordWrite {
                expected_version: Some(4),
                record: user("c", "x"),
            }],
            index: Vec::new(),
        };
        let p = plan(&commit).unwrap();
        let subs: Vec<(&str, u64)> = p
            .removals
            .iter()
            .map(|r| (r.sub, r.expected_version))
            .collect();
        assert_eq!(subs, vec![("a", 1), ("b", 2)]);
        assert_eq!(p.records.len(), 1);
    }

    #[test]
    fn removals_that_disagree_or_meet_a_write_of_their_record_are_a_conflict() {
        let twice = Commit {
            removals: vec![removal("a", 1), removal("a", 2)],
            ..Commit::default()
        };
        assert!(plan(&twice).is_none());
        for expected_version in [None, Some(1)] {
            let written_and_removed = Commit {
                removals: vec![removal("a", 1)],
                records: vec![RecordWrite {
                    expected_version,
                    record: user("a", "x"),
                }],
                index: Vec::new(),
            };
            assert!(plan(&written_and_removed).is_none());
        }
    }
}

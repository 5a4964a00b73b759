//! Records and commits for the store crates' own tests (reopening, migrations, corrupt rows,
//! timeouts): what is particular to one database.
//!
//! What every `UserStore` must do is checked by the conformance kit of the test-support crate,
//! `cognito_signup_testkit::conformance`, which each store crate runs against a fresh store per check
//! (`passes_the_public_conformance_kit`); the operation flows through `Driver` are in `host.rs`.

use cognito_signup::store::{Commit, IndexKey, IndexWrite, RecordWrite};
use cognito_signup::{Timestamp, UserRecord, UserStatus};

pub const POOL: &str = "us-east-1_Suite";

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
        removals: Vec::new(),
        records: vec![RecordWrite {
            expected_version: None,
            record,
        }],
        index,
    }
}

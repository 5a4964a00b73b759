//! Two OS processes on one database file, and a process killed with SIGKILL mid-load.
//! The binary is its own worker (see `common/cross.rs`).

#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "../../common/cross.rs"]
mod cross;
#[path = "../../common/host.rs"]
mod host;

use cognito_signup::UserRecord;
use cognito_signup::store::{IndexKey, Versioned};
use cognito_signup_sqlite::SqliteStore;
use std::sync::Arc;

impl host::Inspect for SqliteStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
    fn check_integrity(&self) -> Result<(), String> {
        SqliteStore::check_integrity(self).map_err(|e| e.to_string())
    }
}

fn open(path: &str) -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open(path).unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(cross::WORKER_FLAG) {
        cross::worker(open, &args[1..]);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hammer = dir.path().join("hammer.db").to_str().unwrap().to_owned();
    let crash = dir.path().join("crash.db").to_str().unwrap().to_owned();
    let results = vec![
        (
            "sqlite_two_processes_hammering_one_file_keep_every_invariant",
            cross::hammer(open(&hammer), &hammer),
        ),
        (
            "sqlite_sigkill_mid_load_loses_no_acknowledged_confirmation",
            cross::crash(open, &crash),
        ),
    ];
    cross::report(results, 0);
}

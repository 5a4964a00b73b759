//! ConfirmSignUp through `Driver` on SQLite (a file in WAL mode), with `synchronous = FULL`
//! (the default: a sync per commit) and `NORMAL` (syncs only at checkpoints), and the
//! in-memory store for comparison. See `stores/BENCHMARKS.md`.

#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

#[path = "../../common/bench.rs"]
mod bench;
#[path = "../../common/host.rs"]
mod host;

use cognito_signup::MemoryStore;
use cognito_signup_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    for (name, sync) in [
        ("sqlite_full", Synchronous::Full),
        ("sqlite_normal", Synchronous::Normal),
    ] {
        let path = dir.path().join(format!("{name}.db"));
        let store =
            SqliteStore::open_with(path, SqliteOptions::default().synchronous(sync)).unwrap();
        bench::confirm_benches(c, name, Arc::new(store));
    }
    bench::confirm_benches(c, "memory", Arc::new(MemoryStore::new()));
}

criterion_group!(confirm, benches);
criterion_main!(confirm);

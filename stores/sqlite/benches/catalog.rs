//! `CatalogDirectory` over SQLite (a file in WAL mode, `synchronous = NORMAL`, so that the
//! commit's sync does not hide the rest) and over the in-memory store: a configured client
//! beside a client created through the catalog ([pool-directory]). See `BENCHMARKS.md`.

#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    unused_macros,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects
)]

#[path = "../../common/directory_bench.rs"]
mod directory_bench;
#[path = "../../common/host.rs"]
mod host;

use cognito_signup::MemoryStore;
use cognito_signup_sqlite::{SqliteOptions, SqliteStore, Synchronous};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let files = std::sync::atomic::AtomicUsize::new(0);
    let sqlite = || {
        let n = files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let store = SqliteStore::open_with(
            dir.path().join(format!("catalog{n}.db")),
            SqliteOptions::default().synchronous(Synchronous::Normal),
        )
        .unwrap();
        Arc::new(store)
    };
    directory_bench::directory_benches(c, "catalog_sqlite", sqlite);
    directory_bench::directory_benches(c, "catalog_memory", || Arc::new(MemoryStore::new()));
}

criterion_group!(catalog, benches);
criterion_main!(catalog);

//! `CatalogDirectory` over PostgreSQL on loopback, in a schema of its own dropped afterwards: a
//! configured client beside a client created through the catalog ([pool-directory]). Needs
//! `COGNITO_SIGNUP_TEST_POSTGRES`; without it, says so and measures nothing. See
//! `BENCHMARKS.md`.

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
#[path = "../../common/pg.rs"]
mod pg;

use cognito_signup_postgres::{PostgresOptions, PostgresStore};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let Some(url) = pg::url("postgres catalog benchmarks") else {
        return;
    };
    let guards = std::sync::Mutex::new(Vec::new());
    let postgres = || {
        let schema = pg::unique_schema("catbench");
        guards.lock().unwrap().push(pg::SchemaGuard {
            url: url.clone(),
            schema: schema.clone(),
        });
        let store =
            PostgresStore::connect_with(&url, PostgresOptions::default().schema(schema)).unwrap();
        Arc::new(store)
    };
    directory_bench::directory_benches(c, "catalog_postgres", postgres);
}

criterion_group!(catalog, benches);
criterion_main!(catalog);

//! ConfirmSignUp through `Driver` on PostgreSQL over loopback, in a schema of its own that is
//! dropped afterwards. Needs `COGNITO_SIGNUP_TEST_POSTGRES`; without it, says so and measures
//! nothing. See `stores/BENCHMARKS.md`.

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
#[path = "../../common/pg.rs"]
mod pg;

use cognito_signup_postgres::{PostgresOptions, PostgresStore};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;

fn benches(c: &mut Criterion) {
    let Some(url) = pg::url("postgres benchmarks") else {
        return;
    };
    let schema = pg::unique_schema("bench");
    let _guard = pg::SchemaGuard {
        url: url.clone(),
        schema: schema.clone(),
    };
    let store =
        PostgresStore::connect_with(&url, PostgresOptions::default().schema(schema)).unwrap();
    bench::confirm_benches(c, "postgres", Arc::new(store));
}

criterion_group!(confirm, benches);
criterion_main!(confirm);

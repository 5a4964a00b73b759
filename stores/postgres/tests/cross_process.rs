//! Two OS processes, each with its own connection pool, on one PostgreSQL database.
//! The binary is its own worker (see `common/cross.rs`). Needs `COGNITO_SIGNUP_TEST_POSTGRES`.

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
#[path = "../../common/pg.rs"]
mod pg;

use cognito_signup::UserRecord;
use cognito_signup::store::{IndexKey, Versioned};
use cognito_signup_postgres::{PostgresOptions, PostgresStore};
use std::sync::Arc;

impl host::Inspect for PostgresStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

/// The spec is the schema; the server is the one of the environment, which workers inherit.
fn open(schema: &str) -> Arc<PostgresStore> {
    let url = std::env::var(pg::URL_VAR).unwrap();
    let options = PostgresOptions::default().schema(schema);
    Arc::new(PostgresStore::connect_with(&url, options).unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(cross::WORKER_FLAG) {
        cross::worker(open, &args[1..]);
        return;
    }
    const NAME: &str = "postgres_two_processes_hammering_one_database_keep_every_invariant";
    let Some(url) = pg::url(NAME) else {
        cross::report(Vec::new(), 1);
        return;
    };
    let schema = pg::unique_schema("x");
    let _guard = pg::SchemaGuard {
        url,
        schema: schema.clone(),
    };
    let results = vec![(NAME, cross::hammer(open(&schema), &schema))];
    cross::report(results, 0);
}

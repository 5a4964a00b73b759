//! The wire layer's overhead: ConfirmSignUp as an AWS JSON 1.1 body through `wire::handle`
//! (decode, dispatch, run, encode) against the same ConfirmSignUp through
//! `Driver::confirm_sign_up` with a request already built, in the same run, for a client
//! without a secret and one with a secret (SecretHash in the body). Every timed request
//! confirms a different UNCONFIRMED user; bodies and requests are built, and users re-armed,
//! outside the timed region. `decode_only` times `wire::decode` alone, to split the overhead.
//!
//! `cargo bench --bench wire`; `python3 benches/report.py` prints the differences and ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "common/mod.rs"]
mod common;

use cognito_signup::{MemoryStore, wire};
use common::{CONFIRM_TARGET, PLAIN, SECRET_CLIENT};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const USERS: usize = 100_000;

fn wire_overhead(c: &mut Criterion) {
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..USERS);
    let driver = common::driver(Arc::clone(&store));
    let order = common::shuffled(USERS, 44);
    let user = |k: usize| order[k % USERS];
    // Every bench starts by re-arming all users (a correct code confirms its user), and
    // again after each full round.
    let rearm = |k: usize, last: &mut usize| {
        if k / USERS != *last / USERS || k == 0 {
            for i in 0..USERS {
                common::rearm(&store, &keys, i);
            }
        }
        *last = k;
    };

    let mut g = c.benchmark_group("wire");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, client) in [("plain", PLAIN), ("secret", SECRET_CLIENT)] {
        let (mut next, mut last) = (0, 0);
        g.bench_function(format!("driver_{name}"), |b| {
            b.iter_custom(|iters| {
                common::timed(
                    USERS,
                    iters,
                    &mut next,
                    |k| rearm(k, &mut last),
                    |k| common::confirm_request(client, user(k), common::code(user(k))),
                    |r| assert!(driver.confirm_sign_up(r).is_ok()),
                )
            });
        });
        let (mut next, mut last) = (0, 0);
        g.bench_function(format!("handle_{name}"), |b| {
            b.iter_custom(|iters| {
                common::timed(
                    USERS,
                    iters,
                    &mut next,
                    |k| rearm(k, &mut last),
                    |k| common::confirm_body(client, user(k), &common::code(user(k))),
                    |body| {
                        let response = wire::handle(&driver, CONFIRM_TARGET, &body);
                        assert_eq!(response.status, 200);
                        black_box(response);
                    },
                )
            });
        });
        let mut next = 0;
        g.bench_function(format!("decode_only_{name}"), |b| {
            b.iter_custom(|iters| {
                common::timed(
                    USERS,
                    iters,
                    &mut next,
                    |_| {},
                    |k| common::confirm_body(client, user(k), &common::code(user(k))),
                    |body| {
                        black_box(wire::decode(CONFIRM_TARGET, &body).is_ok());
                    },
                )
            });
        });
    }
    g.finish();
}

criterion_group!(benches, wire_overhead);
criterion_main!(benches);

//! ConfirmSignUp beside its floor and the bare reference on the wall clock, in alternating
//! rounds: every round times each path over the same users (1,000 unless given), one path after
//! the other, so that a noisy stretch of the machine falls on all of them alike. Prints the
//! median and the best round of each, per operation, and the ratios of the medians; and the
//! parts the store and the directory take on their own.
//!
//! ```text
//! cargo run --release --example ratios [ROUNDS] [USERS]
//! ```
//!
//! Paths: `floor` (the floor with SecretHash), `bare` (`common::Bare`: the same checks in one
//! function over plain maps), `confirm` (`Driver::confirm_sign_up`, a client with a secret),
//! `stepped` (the same stepped through the public continuations and `Driver::answer`); parts:
//! `client lookup` (`StaticDirectory::client`, the context dropped), `find` (`MemoryStore::find`
//! with the username and `sub` keys, the record dropped), `find + commit` (the record found and
//! written back confirmed), `request drop` (freeing a ConfirmSignUp request's strings).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    missing_docs
)]

#[path = "../benches/common/mod.rs"]
mod common;

use cognito_signup::host::{Directory, UserStore};
use cognito_signup::store::{Commit, IndexKey, RecordWrite};
use cognito_signup::{MemoryStore, UserStatus};
use common::{Bare, Floor, POOL_ID, SECRET_CLIENT};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

/// Nanoseconds per item of `f` over `items`.
fn per_item<T>(items: Vec<T>, mut f: impl FnMut(T)) -> f64 {
    let n = items.len() as f64;
    let t = Instant::now();
    for item in items {
        f(black_box(item));
    }
    t.elapsed().as_nanos() as f64 / n
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(15);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..n);
    let order = common::shuffled(n, 5);
    let driver = common::driver(Arc::clone(&store));
    let directory = common::directory();
    let floor = Floor::new(n);
    let bare = Bare::new(n);
    let rearm = || {
        for &i in &order {
            common::rearm(&store, &keys, i);
        }
    };
    let requests = || -> Vec<_> {
        order
            .iter()
            .map(|&i| common::confirm_request(SECRET_CLIENT, i, common::code(i)))
            .collect()
    };
    let lookup_keys = || -> Vec<_> {
        order
            .iter()
            .map(|&i| {
                let name = common::username(i);
                [IndexKey::username(&name), IndexKey::sub(&name)]
            })
            .collect()
    };
    let names = [
        "floor",
        "bare",
        "confirm",
        "stepped",
        "client lookup",
        "find",
        "find + commit",
        "request drop",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..rounds {
        let floor_requests: Vec<_> = order.iter().map(|&i| Floor::request(i)).collect();
        times[0].push(per_item(floor_requests, |r| {
            assert!(floor.check(&r, true));
        }));
        bare.rearm();
        times[1].push(per_item(requests(), |r| assert!(bare.confirm(r))));
        rearm();
        times[2].push(per_item(requests(), |r| {
            assert!(driver.confirm_sign_up(r).is_ok());
        }));
        rearm();
        times[3].push(per_item(requests(), |r| {
            assert!(common::stepped(&driver, r).is_ok());
        }));
        times[4].push(per_item(vec![SECRET_CLIENT; n], |id| {
            black_box(directory.client(id).unwrap());
        }));
        rearm();
        times[5].push(per_item(lookup_keys(), |k| {
            black_box(store.find(POOL_ID, &k).unwrap());
        }));
        times[6].push(per_item(lookup_keys(), |k| {
            let found = store.find(POOL_ID, &k).unwrap().unwrap();
            let mut record = found.value;
            record.status = UserStatus::Confirmed;
            record.code = None;
            let commit = Commit {
                removals: Vec::new(),
                records: vec![RecordWrite {
                    expected_version: Some(found.version),
                    record,
                }],
                index: Vec::new(),
            };
            let outcome = store.commit(POOL_ID, &commit).unwrap();
            assert_eq!(outcome, cognito_signup::CommitOutcome::Committed);
        }));
        let batch = requests();
        let t = Instant::now();
        drop(black_box(batch));
        times[7].push(t.elapsed().as_nanos() as f64 / n as f64);
    }
    let medians: Vec<f64> = times.iter_mut().map(|t| median(t)).collect();
    println!(
        "{rounds} rounds of {n} users; ns per operation (median, best round), ratio of medians to the floor"
    );
    for ((name, t), m) in names.iter().zip(&times).zip(&medians) {
        println!(
            "{name:14} {m:8.1} {:8.1}   {:5.2}x",
            t.first().copied().unwrap_or_default(),
            m / medians[0]
        );
    }
    println!(
        "confirm / bare {:.2}x; stepped / confirm {:.2}x",
        medians[2] / medians[1],
        medians[3] / medians[2]
    );
}

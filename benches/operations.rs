//! The other paths, each beside the accepted ConfirmSignUp and the floor in the same run:
//! ConfirmSignUp rejected (wrong code, unknown user under ENABLED, throttled, validation error),
//! ResendConfirmationCode, SignUp without a password, and SignUp with a password (argon2id at
//! its default cost, measured on its own), and the password hasher alone (one slot, the default
//! cost, its buffer reused).
//!
//! `cargo bench --bench operations`; `python3 benches/report.py` prints the ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "common/mod.rs"]
mod common;

use cognito_signup::{
    ConfirmSignUpRequest, MemoryStore, PasswordHasher, PasswordHashing,
    ResendConfirmationCodeRequest, SeededRandomness, SignUpRequest,
};
use common::{DenyAll, Floor, HIDDEN, PLAIN};
use criterion::{Criterion, criterion_group, criterion_main};
use std::sync::Arc;
use std::time::Duration;

const USERS: usize = 100_000;

fn confirm_paths(c: &mut Criterion) {
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..USERS);
    let driver = common::driver(Arc::clone(&store));
    let throttled = common::driver(Arc::clone(&store)).with_rate_limiter(Arc::new(DenyAll));
    let floor = Floor::new(USERS);
    let order = common::shuffled(USERS, 42);
    let user = |k: usize| order[k % USERS];
    // Re-arms every user after each full round (confirmed users and counted failures alike);
    // a wrong code is tried at most once per user per round, far below the lock-out.
    let rearm = |k: usize, last: &mut usize| {
        if k / USERS != *last / USERS || k == 0 {
            for i in 0..USERS {
                common::rearm(&store, &keys, i);
            }
        }
        *last = k;
    };

    let mut g = c.benchmark_group("confirm_paths");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut next = 0;
    g.bench_function("floor_plain", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| Floor::request(user(k)),
                |r| {
                    assert!(floor.check(&r, false));
                },
            )
        });
    });
    let (mut next, mut last) = (0, 0);
    g.bench_function("accepted", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |k| rearm(k, &mut last),
                |k| common::confirm_request(PLAIN, user(k), common::code(user(k))),
                |r| assert!(driver.confirm_sign_up(r).is_ok()),
            )
        });
    });
    let (mut next, mut last) = (0, 0);
    g.bench_function("wrong_code", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |k| rearm(k, &mut last),
                |k| common::confirm_request(PLAIN, user(k), common::wrong_code(user(k))),
                |r| {
                    let e = driver.confirm_sign_up(r).unwrap_err();
                    assert_eq!(e.name(), "CodeMismatchException");
                },
            )
        });
    });
    // Under ENABLED a missing user costs what a present user's wrong code costs ([hide-same-work]),
    // and every lookup carries the decoy's key: the accepted path of that client is its fair
    // comparison.
    let (mut next, mut last) = (0, 0);
    g.bench_function("accepted_enabled", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |k| rearm(k, &mut last),
                |k| common::confirm_request(HIDDEN, user(k), common::code(user(k))),
                |r| assert!(driver.confirm_sign_up(r).is_ok()),
            )
        });
    });
    let mut next = 0;
    g.bench_function("unknown_user_enabled", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| ConfirmSignUpRequest::new(HIDDEN, format!("nobody{k:010}"), "123456"),
                |r| {
                    let e = driver.confirm_sign_up(r).unwrap_err();
                    assert_eq!(e.name(), "CodeMismatchException");
                },
            )
        });
    });
    let mut next = 0;
    g.bench_function("throttled", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| common::confirm_request(PLAIN, user(k), common::code(user(k))),
                |r| {
                    let e = throttled.confirm_sign_up(r).unwrap_err();
                    assert_eq!(e.name(), "TooManyRequestsException");
                },
            )
        });
    });
    let mut next = 0;
    g.bench_function("validation_error", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| common::confirm_request(PLAIN, user(k), String::new()),
                |r| {
                    let e = driver.confirm_sign_up(r).unwrap_err();
                    assert_eq!(e.name(), "InvalidParameterException");
                },
            )
        });
    });
    g.finish();
}

fn other_operations(c: &mut Criterion) {
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..USERS);
    let driver = common::driver(Arc::clone(&store));
    let order = common::shuffled(USERS, 43);
    let user = |k: usize| order[k % USERS];
    let mut g = c.benchmark_group("operations");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let (mut next, mut last) = (0usize, 0usize);
    g.bench_function("resend_confirmation_code", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |k| {
                    // Five resends per user per window: re-arm after every round.
                    if k / USERS != last / USERS {
                        for i in 0..USERS {
                            common::rearm(&store, &keys, i);
                        }
                    }
                    last = k;
                },
                |k| ResendConfirmationCodeRequest::new(PLAIN, common::username(user(k))),
                |r| assert!(driver.resend_confirmation_code(r).is_ok()),
            )
        });
    });
    let mut next = 0;
    g.bench_function("sign_up_passwordless", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| {
                    let mut r = SignUpRequest::new(PLAIN, format!("new{k:013}"), "")
                        .attribute("email", format!("new{k:013}@example.com"));
                    r.password = None;
                    r
                },
                |r| assert!(driver.sign_up(r).is_ok()),
            )
        });
    });
    g.finish();

    let mut g = c.benchmark_group("password");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    // A randomness of its own: the same seeds as `driver`'s would draw the `sub`s the
    // passwordless SignUps above already took.
    let hashing = common::driver(Arc::clone(&store))
        .with_randomness(Arc::new(SeededRandomness::new([10; 32])))
        .with_password_hashing(PasswordHashing::default());
    let mut next = 0;
    g.bench_function("sign_up_with_password_argon2id_default", |b| {
        b.iter_custom(|iters| {
            common::timed(
                USERS,
                iters,
                &mut next,
                |_| {},
                |k| {
                    SignUpRequest::new(PLAIN, format!("pwd{k:013}"), "Corr3ct-Horse-Battery")
                        .attribute("email", format!("pwd{k:013}@example.com"))
                },
                |r| assert!(hashing.sign_up(r).is_ok()),
            )
        });
    });
    let hasher = PasswordHasher::new(PasswordHashing::default()).with_slots(1);
    let mut salt = 0u8;
    g.bench_function("password_hasher_argon2id_default", |b| {
        b.iter(|| {
            salt = salt.wrapping_add(1);
            assert!(hasher.hash("Corr3ct-Horse-Battery", [salt; 16]).is_ok());
        });
    });
    g.finish();
}

criterion_group!(benches, confirm_paths, other_operations);
criterion_main!(benches);

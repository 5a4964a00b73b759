//! Timing side-channel checks, dudect-style: two classes of inputs measured in random order,
//! compared with Welch's t-test. `|t|` below 4.5 means no measurable difference.
//!
//! 1. ConfirmSignUp with a wrong code that differs from the live code in its first digit vs in
//!    its last digit (the tag comparison must not stop early).
//! 2. ConfirmSignUp under `PreventUserExistenceErrors=ENABLED` for a present user vs a missing
//!    one ([hide-same-work]: the same cryptographic work).
//!
//! Each is timed twice: the core's decision on the looked-up user (`FindUser::answer(..)`
//! of the sans-IO operation, which holds the code check), and the whole operation through the
//! driver over a `MemoryStore` (host I/O included: the lookup, then the counted failure's
//! commit, to the user's record for a present user and to the pool's decoy record for a missing
//! one; see `cognito_signup::store::DECOY_SUB`).
//!
//! 3. The same present/missing comparison through the driver on a pool of 100,000 users
//!    (`TIMING_SCALE_USERS`), each request for a different user: there a present user's record
//!    is usually out of cache, so what the store's lookups cost in cache misses shows.
//!
//! Run: `cargo bench --bench timing` (`TIMING_SAMPLES=N` per class, default 200000;
//! `TIMING_STRICT=1` to exit with failure when any `|t|` reaches 4.5).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "common/mod.rs"]
mod common;

use cognito_signup::host::Directory;
use cognito_signup::ops::{ConfirmSignUp, Need, Operation, Step};
use cognito_signup::protocol::{ClientContext, GuardVerdict};
use cognito_signup::store::Versioned;
use cognito_signup::{
    AppClient, CodeKeys, ConfirmSignUpRequest, Driver, ManualClock, MemoryStore, PasswordHashing,
    PreventUserExistenceErrors, RecordingDelivery, SeededRandomness, SignUpRequest,
    StaticDirectory, Timestamp, UserPool, UserRecord, VerifiableAttribute,
};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const POOL: &str = "us-east-1_Timing";
const CLIENT: &str = "timingclient";

/// Welch's t statistic of two samples.
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let var = |x: &[f64], m: f64| {
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
    };
    let (ma, mb) = (mean(a), mean(b));
    let (va, vb) = (var(a, ma), var(b, mb));
    (ma - mb) / (va / a.len() as f64 + vb / b.len() as f64).sqrt()
}

/// t over the raw samples and over samples below several percentiles of both (dudect crops the
/// long tail that scheduling noise adds); the largest |t| is the verdict.
fn verdict(name: &str, a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let mut worst: f64 = 0.0;
    let mut line = format!("{name}:");
    for pct in [100usize, 99, 90, 75, 50] {
        let cut = all[(all.len() - 1) * pct / 100];
        let ca: Vec<f64> = a.iter().copied().filter(|v| *v <= cut).collect();
        let cb: Vec<f64> = b.iter().copied().filter(|v| *v <= cut).collect();
        let t = welch_t(&ca, &cb);
        line.push_str(&format!(" p{pct} t={t:+.2}"));
        worst = worst.max(t.abs());
    }
    let median = |x: &[f64]| {
        let mut s = x.to_vec();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    };
    println!(
        "{line}  (median {:.0} ns vs {:.0} ns, {} samples each) max |t| = {worst:.2} {}",
        median(a),
        median(b),
        a.len(),
        if worst < 4.5 { "OK" } else { "LEAK?" }
    );
    worst
}

/// Users in each class. Several names per class, visited in turn, so that what one name's
/// hashes happen to cost in the store (which shards its keys fall in) is spread over the class
/// instead of telling one class from the other.
const USERS: usize = 32;

struct Present {
    username: String,
    record: Versioned<UserRecord>,
    code: String,
}

struct Setup {
    driver: Driver<Arc<MemoryStore>>,
    clock: Arc<ManualClock>,
    cx: ClientContext,
    present: Vec<Present>,
    /// Names nobody has, as long as the present users' names.
    missing: Vec<String>,
    /// The pool's decoy record, which the store answers for a missing user.
    decoy: Versioned<UserRecord>,
    now: Timestamp,
}

/// A pool with UNCONFIRMED users holding live codes, and the ENABLED client.
fn setup() -> Setup {
    let mut pool = UserPool::new(POOL);
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    // No limit in the way of many measurements: each one moves the clock past the attempt
    // window, and the code stays valid for a century.
    pool.sign_up_policy.failed_confirmations_per_window = u32::MAX;
    pool.sign_up_policy.attempt_window = std::time::Duration::from_secs(1);
    pool.sign_up_policy.code_validity = std::time::Duration::from_secs(100 * 365 * 86_400);
    let mut dir = StaticDirectory::new();
    dir.add_pool(pool, CodeKeys::new(&[[9u8; 32], [8u8; 32]]).unwrap());
    let mut client = AppClient::new(CLIENT);
    client.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
    dir.add_client(POOL, client).unwrap();
    let dir = Arc::new(dir);
    let store = Arc::new(MemoryStore::new());
    let delivery = Arc::new(RecordingDelivery::new());
    let now = Timestamp::from_millis(1_700_000_000_000);
    let clock = Arc::new(ManualClock::new(now));
    let driver = Driver::new(Arc::clone(&store), dir.clone())
        .with_clock(clock.clone())
        .with_rate_limiter(Arc::new(cognito_signup::reference::Unlimited))
        .with_randomness(Arc::new(SeededRandomness::new([3; 32])))
        .with_delivery(delivery.clone())
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests());
    let mut codes = Vec::new();
    for i in 0..USERS {
        driver
            .sign_up(
                SignUpRequest::new(CLIENT, format!("present-user-{i:02}"), "Corr3ct-Horse!")
                    .attribute("email", format!("present{i:02}@example.com")),
            )
            .unwrap();
        codes.push(delivery.last().unwrap().code.as_str().to_owned());
    }
    let missing: Vec<String> = (0..USERS).map(|i| format!("missing-user-{i:02}")).collect();
    // The first request for a missing user creates the pool's decoy.
    let first = driver.confirm_sign_up(ConfirmSignUpRequest::new(CLIENT, &missing[0], &codes[0]));
    assert_eq!(first.unwrap_err().name(), "CodeMismatchException");
    let records = store.records(POOL).unwrap();
    let (decoys, users): (Vec<_>, Vec<_>) = records.into_iter().partition(|r| r.value.is_decoy());
    let present = codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let username = format!("present-user-{i:02}");
            let record = users
                .iter()
                .find(|r| r.value.username == username)
                .unwrap()
                .clone();
            Present {
                username,
                record,
                code,
            }
        })
        .collect();
    Setup {
        driver,
        clock,
        cx: dir.client(CLIENT).unwrap().unwrap(),
        present,
        missing,
        decoy: decoys[0].clone(),
        now,
    }
}

/// Drives a ConfirmSignUp to its user lookup, then times the decision on `found`.
fn decide(s: &Setup, username: &str, code: &str, found: Option<Versioned<UserRecord>>) -> f64 {
    let op = ConfirmSignUp::new(ConfirmSignUpRequest::new(CLIENT, username, code), s.now);
    let mut step = op.start();
    let find = loop {
        step = match step {
            Step::Need(Need::Client(n)) => n.answer(Some(s.cx.clone())),
            Step::Need(Need::Guard(n)) => n.answer(GuardVerdict::Allow),
            Step::Need(Need::Throttle(n)) => n.answer(true),
            Step::Need(Need::Find(n)) => break n,
            other => panic!("unexpected step before the lookup: {other:?}"),
        };
    };
    let t0 = Instant::now();
    let step = find.answer(found);
    let dt = t0.elapsed();
    drop(black_box(step));
    dt.as_nanos() as f64
}

/// Times a whole ConfirmSignUp through the driver, after moving the clock past the window.
fn end_to_end(s: &Setup, username: &str, code: &str) -> f64 {
    s.clock.advance(std::time::Duration::from_secs(2));
    let req = ConfirmSignUpRequest::new(CLIENT, username, code);
    let t0 = Instant::now();
    let r = s.driver.confirm_sign_up(req);
    let dt = t0.elapsed();
    assert_eq!(r.unwrap_err().name(), "CodeMismatchException");
    dt.as_nanos() as f64
}

/// Measures two classes in an order drawn by `coin`.
fn measure(
    samples: usize,
    coin: &mut Coin,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> (Vec<f64>, Vec<f64>) {
    let (mut xa, mut xb) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    while xa.len() < samples || xb.len() < samples {
        if coin.flip() {
            if xa.len() < samples {
                xa.push(a());
            }
        } else if xb.len() < samples {
            xb.push(b());
        }
    }
    (xa, xb)
}

fn bump(code: &str, at: usize) -> String {
    let mut b = code.as_bytes().to_vec();
    b[at] = b'0' + (b[at] - b'0' + 5) % 10;
    String::from_utf8(b).unwrap()
}

/// A reproducible sequence of class choices.
struct Coin(u64);

impl Coin {
    fn flip(&mut self) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 & 1 == 1
    }
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument (e.g. a filter) is ignored.
    let samples: usize = std::env::var("TIMING_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let s = setup();
    let user = &s.present[0];
    let first = bump(&user.code, 0);
    let last = bump(&user.code, 5);
    // A wrong code for present user `i` (and the same text for missing name `i`).
    let wrong: Vec<String> = s.present.iter().map(|p| bump(&p.code, 0)).collect();
    let mut coin = Coin(0x2545_f491_4f6c_dd1d);
    // Each class visits its names in turn.
    let turn = |n: &mut usize| {
        *n = (*n + 1) % USERS;
        *n
    };

    // Warm-up.
    for _ in 0..10_000 {
        decide(&s, &user.username, &first, Some(user.record.clone()));
    }

    let mut worst: f64 = 0.0;
    let (a, b) = measure(
        samples,
        &mut coin,
        || decide(&s, &user.username, &first, Some(user.record.clone())),
        || decide(&s, &user.username, &last, Some(user.record.clone())),
    );
    worst = worst.max(verdict(
        "core: wrong code, first digit vs last digit",
        &a,
        &b,
    ));
    let (a, b) = {
        let (mut np, mut nm) = (0, 0);
        measure(
            samples,
            &mut coin,
            || {
                let i = turn(&mut np);
                let p = &s.present[i];
                decide(&s, &p.username, &wrong[i], Some(p.record.clone()))
            },
            || {
                let i = turn(&mut nm);
                decide(&s, &s.missing[i], &wrong[i], Some(s.decoy.clone()))
            },
        )
    };
    worst = worst.max(verdict(
        "core: ENABLED, present user vs missing user",
        &a,
        &b,
    ));
    let (a, b) = measure(
        samples,
        &mut coin,
        || end_to_end(&s, &user.username, &first),
        || end_to_end(&s, &user.username, &last),
    );
    worst = worst.max(verdict(
        "driver: wrong code, first digit vs last digit",
        &a,
        &b,
    ));
    let (a, b) = {
        let (mut np, mut nm) = (0, 0);
        measure(
            samples,
            &mut coin,
            || {
                let i = turn(&mut np);
                end_to_end(&s, &s.present[i].username, &wrong[i])
            },
            || {
                let i = turn(&mut nm);
                end_to_end(&s, &s.missing[i], &wrong[i])
            },
        )
    };
    worst = worst.max(verdict(
        "driver: ENABLED, present user vs missing user",
        &a,
        &b,
    ));
    worst = worst.max(at_scale(samples, &mut coin));
    if worst >= 4.5 {
        println!("timing: a measurable difference (|t| >= 4.5)");
        // A report by default, so that `cargo bench` for every bench still runs to its end;
        // `TIMING_STRICT=1` makes a difference fail the run.
        if std::env::var("TIMING_STRICT").is_ok_and(|v| v == "1") {
            std::process::exit(1);
        }
    }
}

/// Present vs missing under ENABLED through the driver on a large pool: every request names a
/// different user, in a shuffled order, so a present user's record is rarely in cache.
fn at_scale(samples: usize, coin: &mut Coin) -> f64 {
    let users: usize = std::env::var("TIMING_SCALE_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    common::populate(&store, &keys, 0..users);
    let driver = common::driver(Arc::clone(&store));
    let order = common::shuffled(users, 99);
    // Names as long as the users' (16 characters).
    let missing = |k: usize| format!("nouser{:010}", k % users);
    let (mut np, mut nm) = (0usize, 0usize);
    let mut class = |present: bool| {
        let (n, req) = if present {
            let i = order[np % users];
            np += 1;
            (
                np,
                common::confirm_request(common::HIDDEN, i, common::wrong_code(i)),
            )
        } else {
            nm += 1;
            (
                nm,
                ConfirmSignUpRequest::new(common::HIDDEN, missing(nm), "123456"),
            )
        };
        // Every user is re-armed after each round, before the lock-out could count.
        if present && n % users == 0 {
            for i in 0..users {
                common::rearm(&store, &keys, i);
            }
        }
        let t0 = Instant::now();
        let r = driver.confirm_sign_up(req);
        let dt = t0.elapsed();
        assert_eq!(r.unwrap_err().name(), "CodeMismatchException");
        dt.as_nanos() as f64
    };
    // Warm-up, the decoy's creation included.
    for _ in 0..1_000 {
        class(false);
    }
    let (a, b) = {
        let class = std::cell::RefCell::new(&mut class);
        measure(
            samples,
            coin,
            || (class.borrow_mut())(true),
            || (class.borrow_mut())(false),
        )
    };
    verdict(
        &format!("driver, {users} users: ENABLED, present user vs missing user"),
        &a,
        &b,
    )
}

//! Peak memory of password hashing: SignUps with a password through one `Driver` with the
//! default argon2id parameters (19 MiB, 2 iterations, 1 lane), then the peak and current resident
//! set of the process (`VmHWM`, `VmRSS` from `/proc/self/status`, Linux only).
//!
//! `cargo run --release --example password_memory [SIGNUPS] [THREADS]`
//!
//! With THREADS = 1 (the default) the SignUps run one after another on the main thread; with more,
//! THREADS threads start together and share the SignUps. Each answer is counted by its outcome:
//! a saturated hasher answers TooManyRequestsException (the pool's request rate is raised so that
//! the throttle does not).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use cognito_signup::{
    AppClient, CodeKeys, Driver, MemoryStore, SignUpRequest, StaticDirectory, UserPool,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier, Mutex};

const POOL: &str = "us-east-1_Memory";
const CLIENT: &str = "memoryclient";

/// A line of `/proc/self/status` in KiB (0 where there is none).
fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let signups: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);

    let mut pool = UserPool::new(POOL);
    pool.sign_up_policy.user_creation_rate = 1_000_000;
    pool.sign_up_policy.user_creation_burst = 1_000_000;
    let mut directory = StaticDirectory::new();
    directory.add_pool(pool, CodeKeys::new(&[[1u8; 32]]).unwrap());
    directory.add_client(POOL, AppClient::new(CLIENT)).unwrap();
    let driver = Arc::new(Driver::new(MemoryStore::new(), Arc::new(directory)));
    println!("{driver:?}");

    let outcomes = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let barrier = Arc::new(Barrier::new(threads));
    let hwm_before = status_kib("VmHWM:");
    let started = std::time::Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (driver, outcomes, barrier) = (
                Arc::clone(&driver),
                Arc::clone(&outcomes),
                Arc::clone(&barrier),
            );
            let run = move || {
                barrier.wait();
                for i in (t..signups).step_by(threads) {
                    let request =
                        SignUpRequest::new(CLIENT, format!("user{i:06}"), "Corr3ct-Horse-Battery");
                    let outcome = match driver.sign_up(request) {
                        Ok(_) => "ok".to_owned(),
                        Err(e) => e.name().to_owned(),
                    };
                    *outcomes.lock().unwrap().entry(outcome).or_default() += 1;
                }
            };
            if threads == 1 {
                run();
                None
            } else {
                Some(std::thread::spawn(run))
            }
        })
        .collect();
    for w in workers.into_iter().flatten() {
        w.join().unwrap();
    }
    let elapsed = started.elapsed();
    println!("signups: {signups} on {threads} thread(s) in {elapsed:.2?}");
    println!("outcomes: {:?}", outcomes.lock().unwrap());
    println!("peak RSS (VmHWM) before: {} KiB", hwm_before);
    println!("peak RSS (VmHWM) after:  {} KiB", status_kib("VmHWM:"));
    println!("RSS (VmRSS) at the end:  {} KiB", status_kib("VmRSS:"));
}

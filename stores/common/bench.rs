//! ConfirmSignUp through `Driver` against a store, from one thread and from four.
//!
//! Each measured iteration is one successful confirmation of a user signed up beforehand (the
//! sign-ups are not timed). The pool has email as an alias, so each confirmation commits the
//! user's record and claims the alias key: one transaction of two writes.

use crate::host::{self, TestHost};
use cognito_signup::store::UserStore;
use criterion::{Criterion, Throughput};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Registers `<group>/confirm_sign_up/1_thread` and `…/4_threads`.
pub fn confirm_benches<S: UserStore + 'static>(c: &mut Criterion, group: &str, store: Arc<S>) {
    let h = host::host(store);
    let mut g = c.benchmark_group(group);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(1));
    for threads in [1u64, 4] {
        let name = format!(
            "confirm_sign_up/{threads}_thread{}",
            if threads > 1 { "s" } else { "" }
        );
        g.bench_function(name, |b| b.iter_custom(|iters| confirm(&h, iters, threads)));
    }
    g.finish();
}

/// Signs `iters` users up, then times their confirmations spread over `threads` threads.
fn confirm<S: UserStore>(h: &TestHost<S>, iters: u64, threads: u64) -> Duration {
    let run = std::process::id();
    let users: Vec<(String, String)> = (0..iters)
        .map(|_| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("bench-{run}-{n}");
            let code = h.sign_up(&name, &format!("{name}@example.com"));
            (name, code)
        })
        .collect();
    let per_thread = users.len().div_ceil(threads as usize).max(1);
    let start = Instant::now();
    std::thread::scope(|s| {
        for chunk in users.chunks(per_thread) {
            s.spawn(move || {
                for (name, code) in chunk {
                    h.confirm(name, code, false).expect("confirmation failed");
                }
            });
        }
    });
    start.elapsed()
}

//! Two threads confirming different users on one in-memory store, against one thread: a
//! companion to the `confirm_threads` bench that stands up to a loaded machine.
//!
//! `cargo run --release --example scaling [ROUNDS]`
//!
//! Each round times 20,000 confirmations on one thread, then 20,000 on each of two threads at
//! once, alternating, and keeps the fastest round of each (the least disturbed by other
//! processes). It also reports, from `/proc/thread-self` (Linux), the CPU time the threads
//! spent per confirmation (spinning and cache-line traffic between the threads show up there)
//! and how often a thread went to sleep per confirmation (waiting for a lock held by the other
//! shows up there): both stand up to other work on the machine, which the wall clock does not.
//!
//! As a control it times, in the same rounds, a loop that shares nothing (each thread runs its
//! own chain of multiplications): its two-thread speedup is what the machine gives two threads
//! at that moment, the ceiling for any code.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    missing_docs
)]

#[path = "../benches/common/mod.rs"]
mod common;

use cognito_signup::{ConfirmSignUpRequest, MemoryStore};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const PER_THREAD: usize = 20_000;

/// Nanoseconds this thread has run on a CPU (0 where unavailable).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Times this thread gave up the CPU by itself (it blocked, e.g. on a lock).
fn thread_sleeps() -> u64 {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("voluntary_ctxt_switches:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The control: a chain of dependent multiplications sharing nothing with other threads.
fn spin(n: u64) -> u64 {
    let mut x = 1u64;
    for i in 0..n {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
    }
    x
}

/// Runs `threads` copies of the control at once; answers the wall time.
fn control(threads: usize) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| std::hint::black_box(spin(std::hint::black_box(20_000_000)))))
            .collect();
        for h in handles {
            let _ = h.join().unwrap();
        }
    });
    start.elapsed()
}

fn requests(users: &[usize]) -> Vec<ConfirmSignUpRequest> {
    users
        .iter()
        .map(|&i| common::confirm_request(common::PLAIN, i, common::code(i)))
        .collect()
}

/// Runs each batch on its own thread from a common start; answers (wall time, CPU time summed
/// over the threads, sleeps summed over the threads).
fn run(
    driver: &cognito_signup::Driver<Arc<MemoryStore>>,
    batches: Vec<Vec<ConfirmSignUpRequest>>,
) -> (Duration, Duration, u64) {
    let barrier = Barrier::new(batches.len());
    let results: Vec<(Instant, Instant, u64, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = batches
            .into_iter()
            .map(|batch| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let (cpu, sleeps) = (thread_cpu_ns(), thread_sleeps());
                    let start = Instant::now();
                    for r in batch {
                        assert!(driver.confirm_sign_up(r).is_ok());
                    }
                    let end = Instant::now();
                    (start, end, thread_cpu_ns() - cpu, thread_sleeps() - sleeps)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let start = results.iter().map(|r| r.0).min().unwrap();
    let end = results.iter().map(|r| r.1).max().unwrap();
    let cpu = results.iter().map(|r| r.2).sum();
    let sleeps = results.iter().map(|r| r.3).sum();
    (end - start, Duration::from_nanos(cpu), sleeps)
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(15);
    let store = Arc::new(MemoryStore::new());
    let keys = common::code_keys();
    let total = 3 * PER_THREAD;
    common::populate(&store, &keys, 0..total);
    let driver = common::driver(Arc::clone(&store));
    let order = common::shuffled(total, 77);
    let (one_users, two_users) = order.split_at(PER_THREAD);
    let (a, b) = two_users.split_at(PER_THREAD);
    let mut best_one = (Duration::MAX, Duration::MAX);
    let mut best_two = (Duration::MAX, Duration::MAX);
    let (mut sleeps_one, mut sleeps_two) = (0u64, 0u64);
    let (mut control_one, mut control_two) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        for i in 0..total {
            common::rearm(&store, &keys, i);
        }
        let (wall, cpu, sleeps) = run(&driver, vec![requests(one_users)]);
        best_one = (best_one.0.min(wall), best_one.1.min(cpu));
        sleeps_one += sleeps;
        let (wall, cpu, sleeps) = run(&driver, vec![requests(a), requests(b)]);
        best_two = (best_two.0.min(wall), best_two.1.min(cpu));
        sleeps_two += sleeps;
        control_one = control_one.min(control(1));
        control_two = control_two.min(control(2));
    }
    let n = PER_THREAD as f64;
    let per = |d: Duration, ops: f64| d.as_nanos() as f64 / ops;
    let one_wall = per(best_one.0, n);
    let two_wall = per(best_two.0, 2.0 * n);
    let one_cpu = per(best_one.1, n);
    let two_cpu = per(best_two.1, 2.0 * n);
    println!("best of {rounds} rounds, {PER_THREAD} confirmations per thread");
    println!("one thread:  {one_wall:8.0} ns per confirmation (wall), {one_cpu:8.0} ns CPU");
    println!("two threads: {two_wall:8.0} ns per confirmation (wall), {two_cpu:8.0} ns CPU");
    println!(
        "throughput, two threads / one thread (wall):        {:.2}x",
        one_wall / two_wall
    );
    println!(
        "throughput per CPU-second, two threads / one thread: {:.2} (1.00 = no contention cost)",
        one_cpu / two_cpu
    );
    println!(
        "CPU-time scaling bound, 2 x that:                   {:.2}x",
        2.0 * one_cpu / two_cpu
    );
    let machine = 2.0 * control_one.as_secs_f64() / control_two.as_secs_f64();
    println!("control (threads sharing nothing), two / one:      {machine:.2}x");
    println!(
        "ConfirmSignUp speedup relative to the control:       {:.2}",
        (one_wall / two_wall) / machine
    );
    let all = (rounds * PER_THREAD) as f64;
    println!(
        "sleeps per confirmation (lock waits): one thread {:.4}, two threads {:.4}",
        sleeps_one as f64 / all,
        sleeps_two as f64 / (2.0 * all)
    );
}

//! ConfirmSignUp through the synchronous driver on the in-memory store, beside its floor and
//! the bare reference (the same checks in one function over plain maps, `common::Bare`), with
//! 1 thousand, 100 thousand and 1 million unconfirmed users; and two threads confirming
//! different users on one store beside one thread.
//!
//! Every timed request confirms a user who is still UNCONFIRMED with the right code: users are
//! visited in a shuffled order and put back to UNCONFIRMED (outside the timed region) when all
//! have been confirmed. Requests are built outside the timed region too.
//!
//! `cargo bench --bench confirm`; `python3 benches/report.py` prints the ratios.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    missing_docs
)]

#[path = "common/mod.rs"]
mod common;

use common::{Bare, Floor, PLAIN, SECRET_CLIENT};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::cell::RefCell;
use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use cognito_signup::{CodeKeys, ConfirmSignUpRequest, Driver, MemoryStore};

/// Requests built per timed chunk.
const CHUNK: usize = 4096;

/// Users visited in a fixed shuffled order, re-armed when all have been confirmed.
struct Users {
    store: Arc<MemoryStore>,
    keys: CodeKeys,
    order: Vec<usize>,
    cursor: usize,
}

impl Users {
    fn new(store: Arc<MemoryStore>, range: std::ops::Range<usize>, seed: u64) -> Self {
        let keys = common::code_keys();
        common::populate(&store, &keys, range.clone());
        let start = range.start;
        let order = common::shuffled(range.len(), seed)
            .into_iter()
            .map(|i| i + start)
            .collect();
        Self {
            store,
            keys,
            order,
            cursor: 0,
        }
    }

    /// The next `at_most` users (fewer at the end of a round), re-arming all first when a round
    /// is over.
    fn next(&mut self, at_most: usize) -> &[usize] {
        if self.cursor == self.order.len() {
            for &i in &self.order {
                common::rearm(&self.store, &self.keys, i);
            }
            self.cursor = 0;
        }
        let end = self.order.len().min(self.cursor + at_most);
        let s = &self.order[self.cursor..end];
        self.cursor = end;
        s
    }
}

/// `iters` accepted ConfirmSignUps of `client`, each run by `run`; only `run` is timed.
fn confirm_for(
    users: &mut Users,
    client: &str,
    iters: u64,
    run: impl Fn(ConfirmSignUpRequest) -> bool,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = usize::try_from(iters).unwrap();
    while left > 0 {
        let batch = users.next(left.min(CHUNK));
        let requests: Vec<_> = batch
            .iter()
            .map(|&i| common::confirm_request(client, i, common::code(i)))
            .collect();
        left -= requests.len();
        let t = Instant::now();
        for r in requests {
            assert!(run(black_box(r)));
        }
        total += t.elapsed();
    }
    total
}

fn floor_for(
    floor: &Floor,
    order: &[usize],
    cursor: &mut usize,
    secret: bool,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = usize::try_from(iters).unwrap();
    while left > 0 {
        if *cursor == order.len() {
            *cursor = 0;
        }
        let end = order.len().min(*cursor + left.min(CHUNK));
        let requests: Vec<_> = order[*cursor..end]
            .iter()
            .map(|&i| Floor::request(i))
            .collect();
        *cursor = end;
        left -= requests.len();
        let t = Instant::now();
        for r in &requests {
            assert!(floor.check(black_box(r), secret));
        }
        total += t.elapsed();
    }
    total
}

/// [`Bare`] over the users of `order` from `cursor` on, re-arming all at the end of a round.
fn bare_for(
    bare: &Bare,
    order: &[usize],
    cursor: &mut usize,
    client: &str,
    iters: u64,
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = usize::try_from(iters).unwrap();
    while left > 0 {
        if *cursor == order.len() {
            bare.rearm();
            *cursor = 0;
        }
        let end = order.len().min(*cursor + left.min(CHUNK));
        let requests: Vec<_> = order[*cursor..end]
            .iter()
            .map(|&i| common::confirm_request(client, i, common::code(i)))
            .collect();
        *cursor = end;
        left -= requests.len();
        let t = Instant::now();
        for r in requests {
            assert!(bare.confirm(black_box(r)));
        }
        total += t.elapsed();
    }
    total
}

fn sizes(c: &mut Criterion) {
    let sizes: &[usize] = match std::env::var("CONFIRM_SIZES") {
        Ok(s) if s == "small" => &[1_000],
        _ => &[1_000, 100_000, 1_000_000],
    };
    let mut g = c.benchmark_group("confirm");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for &n in sizes {
        let store = Arc::new(MemoryStore::new());
        let users = RefCell::new(Users::new(Arc::clone(&store), 0..n, 0x9e37_79b9));
        let driver = common::driver(Arc::clone(&store));
        let floor = Floor::new(n);
        let order = common::shuffled(n, 0x1234_5678);
        let mut cursor = 0;
        g.bench_function(BenchmarkId::new("floor_secret", n), |b| {
            b.iter_custom(|iters| floor_for(&floor, &order, &mut cursor, true, iters));
        });
        g.bench_function(BenchmarkId::new("floor_plain", n), |b| {
            b.iter_custom(|iters| floor_for(&floor, &order, &mut cursor, false, iters));
        });
        let bare = Bare::new(n);
        let mut bare_cursor = order.len();
        g.bench_function(BenchmarkId::new("bare_secret", n), |b| {
            b.iter_custom(|iters| bare_for(&bare, &order, &mut bare_cursor, SECRET_CLIENT, iters));
        });
        g.bench_function(BenchmarkId::new("confirm_secret", n), |b| {
            b.iter_custom(|iters| {
                confirm_for(&mut users.borrow_mut(), SECRET_CLIENT, iters, |r| {
                    driver.confirm_sign_up(r).is_ok()
                })
            });
        });
        g.bench_function(BenchmarkId::new("confirm_plain", n), |b| {
            b.iter_custom(|iters| {
                confirm_for(&mut users.borrow_mut(), PLAIN, iters, |r| {
                    driver.confirm_sign_up(r).is_ok()
                })
            });
        });
        g.bench_function(BenchmarkId::new("stepped_secret", n), |b| {
            b.iter_custom(|iters| {
                confirm_for(&mut users.borrow_mut(), SECRET_CLIENT, iters, |r| {
                    common::stepped(&driver, r).is_ok()
                })
            });
        });
    }
    g.finish();
}

/// Runs `iters` confirmations on each of `threads` threads at once, each on its own users, and
/// answers the wall time from the common start to the last finish.
fn parallel_for(driver: &Driver<Arc<MemoryStore>>, users: &mut [Users], iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = usize::try_from(iters).unwrap();
    while left > 0 {
        let take = users
            .iter_mut()
            .map(|u| {
                if u.cursor == u.order.len() {
                    u.next(0);
                }
                u.order.len() - u.cursor
            })
            .min()
            .unwrap()
            .min(left)
            .min(CHUNK);
        let batches: Vec<Vec<_>> = users
            .iter_mut()
            .map(|u| {
                u.next(take)
                    .iter()
                    .map(|&i| common::confirm_request(PLAIN, i, common::code(i)))
                    .collect()
            })
            .collect();
        left -= take;
        let barrier = Barrier::new(batches.len());
        let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
            let handles: Vec<_> = batches
                .into_iter()
                .map(|batch| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        barrier.wait();
                        let start = Instant::now();
                        for r in batch {
                            let ok = driver.confirm_sign_up(black_box(r)).is_ok();
                            assert!(ok);
                        }
                        (start, Instant::now())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let start = spans.iter().map(|s| s.0).min().unwrap();
        let end = spans.iter().map(|s| s.1).max().unwrap();
        total += end - start;
    }
    total
}

/// The control: `threads` threads each running its own chain of multiplications (about as
/// long per iteration as a confirmation), sharing nothing. Its two-thread speedup is what the
/// machine gives two threads during the run: the ceiling for any code.
fn control_for(threads: usize, iters: u64) -> Duration {
    let spin = |n: u64| {
        let mut x = 1u64;
        for i in 0..n {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i);
        }
        x
    };
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    black_box(spin(black_box(iters * 2_000)));
                    (start, Instant::now())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let start = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    end - start
}

fn threads(c: &mut Criterion) {
    const PER_THREAD: usize = 50_000;
    let store = Arc::new(MemoryStore::new());
    let driver = common::driver(Arc::clone(&store));
    let mut one = vec![Users::new(Arc::clone(&store), 0..PER_THREAD, 7)];
    let mut two = vec![
        Users::new(Arc::clone(&store), PER_THREAD..2 * PER_THREAD, 11),
        Users::new(Arc::clone(&store), 2 * PER_THREAD..3 * PER_THREAD, 13),
    ];
    let mut g = c.benchmark_group("confirm_threads");
    g.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    // One iteration is one confirmation per thread: the two-thread figure is the time for two
    // confirmations.
    g.bench_function("one_thread", |b| {
        b.iter_custom(|iters| parallel_for(&driver, &mut one, iters));
    });
    g.bench_function("two_threads", |b| {
        b.iter_custom(|iters| parallel_for(&driver, &mut two, iters));
    });
    g.bench_function("control_one_thread", |b| {
        b.iter_custom(|iters| control_for(1, iters));
    });
    g.bench_function("control_two_threads", |b| {
        b.iter_custom(|iters| control_for(2, iters));
    });
    g.finish();
}

criterion_group!(benches, sizes, threads);
criterion_main!(benches);

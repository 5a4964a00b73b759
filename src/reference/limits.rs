//! In-memory limits: the request-rate token buckets ([rate-limits]) and the table of hidden
//! resends, and the no-op guard and limiter.

use crate::host::{HiddenResendLimiter, RateLimiter, RequestGuard};
use crate::protocol::{
    Bucket, GuardRequest, GuardVerdict, HiddenResendRequest, SKETCH_ROWS, ThrottleRequest,
};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// A guard that lets everything through.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl RequestGuard for AllowAll {
    fn check(&self, _: &GuardRequest) -> GuardVerdict {
        GuardVerdict::Allow
    }
}

/// A token bucket's state: the arithmetic of [rate-limits], kept by whoever stores buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    /// Tokens available, in thousandths of a token.
    milli_tokens: u64,
    /// When tokens were last added.
    last: Timestamp,
}

impl TokenBucket {
    /// A full bucket.
    #[must_use]
    pub fn full(burst: u32, now: Timestamp) -> Self {
        Self {
            milli_tokens: u64::from(burst).saturating_mul(1000),
            last: now,
        }
    }

    /// Refills for the time elapsed since the last call and takes one token if there is one.
    /// Time going backwards adds nothing.
    pub fn try_take(&mut self, rate: u32, burst: u32, now: Timestamp) -> bool {
        let cap = u64::from(burst).saturating_mul(1000);
        let elapsed_ms = now.as_millis().saturating_sub(self.last.as_millis());
        // rate tokens per second = rate milli-tokens per millisecond.
        let added = elapsed_ms.saturating_mul(u64::from(rate));
        self.milli_tokens = self.milli_tokens.saturating_add(added).min(cap);
        if now > self.last {
            self.last = now;
        }
        if self.milli_tokens >= 1000 {
            self.milli_tokens = self.milli_tokens.saturating_sub(1000);
            true
        } else {
            false
        }
    }
}

/// Token buckets in memory, one per pool and bucket.
///
/// Looked up by the pool id as borrowed from the request (no allocation once a pool has buckets).
#[derive(Debug, Default)]
pub struct MemoryRateLimiter {
    buckets: Mutex<HashMap<String, PoolBuckets>>,
}

/// A pool's buckets; each starts full on first use.
#[derive(Debug, Default)]
struct PoolBuckets {
    user_creation: Option<TokenBucket>,
    resend: Option<TokenBucket>,
}

impl MemoryRateLimiter {
    /// No buckets yet; each starts full.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

impl RateLimiter for MemoryRateLimiter {
    fn try_acquire(&self, r: &ThrottleRequest) -> bool {
        let Ok(mut pools) = self.buckets.lock() else {
            // A poisoned limiter fails closed.
            return false;
        };
        let pool = match pools.get_mut(&*r.pool_id) {
            Some(p) => p,
            None => pools.entry(r.pool_id.to_string()).or_default(),
        };
        let slot = match r.bucket {
            Bucket::UserCreation => &mut pool.user_creation,
            Bucket::ResendConfirmationCode => &mut pool.resend,
        };
        slot.get_or_insert_with(|| TokenBucket::full(r.burst, r.now))
            .try_take(r.rate, r.burst, r.now)
    }
}

/// A limiter that never throttles.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl RateLimiter for Unlimited {
    fn try_acquire(&self, _: &ThrottleRequest) -> bool {
        true
    }
}

/// At most this many times are kept per cell; with a larger `limit` a cell sums the older ones
/// into a count (which may over-count, never under-count).
const CELL_TIMES: usize = 32;

/// One cell of a [`ResendSketch`]: the times recorded in it, newest last, as a present user's
/// record keeps its resends.
#[derive(Clone, Debug, Default)]
struct Cell {
    times: Vec<Timestamp>,
    /// Times dropped from `times` while the limit was above [`CELL_TIMES`], and the newest.
    older: u32,
    older_newest: Timestamp,
}

impl Cell {
    /// Whether a present user with this cell's times as their resends would be refused.
    fn refuses(&self, r: &HiddenResendRequest) -> bool {
        let from = r.now.saturating_sub(r.window);
        let kept = self.times.iter().filter(|t| **t > from).count();
        let older = if self.older_newest > from {
            usize::try_from(self.older).unwrap_or(usize::MAX)
        } else {
            0
        };
        let count = u32::try_from(kept.saturating_add(older)).unwrap_or(u32::MAX);
        let too_soon = self
            .times
            .last()
            .is_some_and(|last| !r.min_interval.is_zero() && r.now.since(*last) < r.min_interval);
        count >= r.limit || too_soon
    }

    /// Records `r.now` as a present user's record records a resend: only the times inside the
    /// window are kept, and at most `limit` of them.
    fn record(&mut self, r: &HiddenResendRequest) {
        let from = r.now.saturating_sub(r.window);
        self.times.retain(|t| *t > from);
        self.times.push(r.now);
        let limit = usize::try_from(r.limit).unwrap_or(usize::MAX);
        if self.older_newest <= from {
            self.older = 0;
        }
        if self.times.len() > limit.min(CELL_TIMES) {
            let drop = self.times.len().saturating_sub(limit.min(CELL_TIMES));
            if limit > CELL_TIMES {
                let dropped = self.times.get(..drop).unwrap_or_default();
                let newest = dropped.iter().copied().max().unwrap_or(self.older_newest);
                let n = u32::try_from(drop).unwrap_or(u32::MAX);
                self.older = self.older.saturating_add(n);
                self.older_newest = self.older_newest.max(newest);
            }
            self.times.drain(..drop);
        }
    }
}

/// A pool's fixed-size table of resend counts for hidden names: [`SKETCH_ROWS`] rows of `width`
/// cells, each cell keeping times as a user's record keeps its resends.
///
/// A name's resend is recorded in its cell of every row; it is refused only when its cell in
/// every row would refuse it. A cell holds the name's own times and those of any name sharing
/// it, so it never counts fewer than the name's own: a missing name is limited no later than a
/// present one would be, and exactly as late when no other name shares both of its cells. Its
/// memory is fixed by `width` (and, for a limit above 32, does not grow with the limit).
#[derive(Clone, Debug)]
pub struct ResendSketch {
    width: usize,
    cells: Box<[Cell]>,
}

impl ResendSketch {
    /// A table of `width` cells per row (at least 1).
    #[must_use]
    pub fn new(width: usize) -> Self {
        let width = width.max(1);
        let cells = vec![Cell::default(); width.saturating_mul(SKETCH_ROWS)];
        Self {
            width,
            cells: cells.into_boxed_slice(),
        }
    }

    fn index(&self, row: usize, key: u64) -> usize {
        let width = u64::try_from(self.width).unwrap_or(u64::MAX).max(1);
        let col = usize::try_from(key.checked_rem(width).unwrap_or(0)).unwrap_or(0);
        row.saturating_mul(self.width).saturating_add(col)
    }

    /// Records the resend and answers `true` if the name is within the limits; answers `false`
    /// and records nothing otherwise.
    pub fn try_record(&mut self, request: &HiddenResendRequest) -> bool {
        let idx: [usize; SKETCH_ROWS] =
            std::array::from_fn(|row| self.index(row, request.keys[row]));
        let refused = idx
            .iter()
            .all(|i| self.cells.get(*i).is_none_or(|c| c.refuses(request)));
        if refused {
            return false;
        }
        for i in idx {
            if let Some(c) = self.cells.get_mut(i) {
                c.record(request);
            }
        }
        true
    }
}

/// [`ResendSketch`]es in memory, one per pool, for a host with one process.
#[derive(Debug)]
pub struct MemoryHiddenResendLimiter {
    width: usize,
    pools: Mutex<HashMap<String, ResendSketch>>,
}

impl Default for MemoryHiddenResendLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryHiddenResendLimiter {
    /// The default width: 4096 cells per row (two rows; with the default limit of 5, at most
    /// 320 KiB of times per pool).
    pub const DEFAULT_WIDTH: usize = 4096;

    /// Tables of [`DEFAULT_WIDTH`](Self::DEFAULT_WIDTH) cells per row.
    #[must_use]
    pub fn new() -> Self {
        Self::with_width(Self::DEFAULT_WIDTH)
    }

    /// Tables of `width` cells per row: a wider table costs an attacker more resends to fill.
    #[must_use]
    pub fn with_width(width: usize) -> Self {
        Self {
            width,
            pools: Mutex::new(HashMap::new()),
        }
    }
}

impl HiddenResendLimiter for MemoryHiddenResendLimiter {
    fn try_record(&self, r: &HiddenResendRequest) -> bool {
        let Ok(mut pools) = self.pools.lock() else {
            // A poisoned table fails closed.
            return false;
        };
        let sketch = match pools.get_mut(r.pool_id.as_str()) {
            Some(s) => s,
            None => pools
                .entry(r.pool_id.clone())
                .or_insert_with(|| ResendSketch::new(self.width)),
        };
        sketch.try_record(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use std::time::Duration;

    fn hidden(keys: [u64; SKETCH_ROWS], at_secs: u64, limit: u32) -> HiddenResendRequest {
        HiddenResendRequest {
            pool_id: "p".into(),
            keys,
            now: Timestamp::from_secs(at_secs.saturating_add(10_000)),
            window: Duration::from_secs(3600),
            limit,
            min_interval: Duration::ZERO,
        }
    }

    #[test]
    fn a_sketch_counts_a_name_alone_exactly_and_never_less_when_names_share_cells() {
        // Alone: five in the window, the sixth refused, then the window slides.
        let mut s = ResendSketch::new(64);
        for t in 0..5 {
            assert!(s.try_record(&hidden([1, 2], t, 5)));
        }
        assert!(!s.try_record(&hidden([1, 2], 5, 5)));
        assert!(!s.try_record(&hidden([1, 2], 3599, 5)));
        assert!(s.try_record(&hidden([1, 2], 3600, 5)));
        // Another name in other cells is untouched.
        assert!(s.try_record(&hidden([3, 4], 3601, 5)));
        // Sharing one cell is not enough to be limited early; sharing both is.
        let mut s = ResendSketch::new(64);
        for t in 0..5 {
            assert!(s.try_record(&hidden([7, 8], t, 5)));
        }
        assert!(s.try_record(&hidden([7, 9], 10, 5)), "one free cell");
        let mut one = ResendSketch::new(1);
        for t in 0..3 {
            assert!(one.try_record(&hidden([t, t.saturating_add(100)], t, 5)));
        }
        for t in 3..5 {
            assert!(one.try_record(&hidden([1, 2], t, 5)));
        }
        assert!(
            !one.try_record(&hidden([1, 2], 6, 5)),
            "two resends of its own, limited early by the others"
        );
        // A minimum interval is met from the newest time in the cells.
        let mut s = ResendSketch::new(8);
        let mut r = hidden([5, 6], 100, 5);
        r.min_interval = Duration::from_secs(60);
        assert!(s.try_record(&r));
        r.now = Timestamp::from_secs(10_159);
        assert!(!s.try_record(&r));
        r.now = Timestamp::from_secs(10_160);
        assert!(s.try_record(&r));
        // A limit of 0 refuses everything.
        assert!(!ResendSketch::new(8).try_record(&hidden([1, 2], 0, 0)));
    }

    #[test]
    fn a_sketch_cell_keeps_at_most_32_times_and_still_meets_a_larger_limit() {
        let mut s = ResendSketch::new(4);
        for t in 0..100 {
            assert!(s.try_record(&hidden([0, 0], t, 100)), "{t}");
        }
        assert!(s.cells.iter().all(|c| c.times.len() <= CELL_TIMES));
        assert!(!s.try_record(&hidden([0, 0], 100, 100)));
        // Once every dropped time has left the window, they stop counting.
        assert!(s.try_record(&hidden([0, 0], 3700, 100)));
    }
}

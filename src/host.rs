//! The traits a host implements besides the [store](crate::UserStore), the requests the core
//! makes of them, and the reference implementations shipped with them.

use crate::code::{Code, CodeKeys};
use crate::config::{AppClient, DeliveryMedium, OperationName, UserPool, VerifiableAttribute};
use crate::error::HostError;
use crate::time::Timestamp;
use crate::types::UserContextData;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Clock

/// The wall clock. The driver reads it once per operation.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Timestamp::from_millis(millis)
    }
}

/// A clock that moves only when told to (for tests and simulations).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock standing at `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicU64::new(start.as_millis()))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let millis = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| {
                Some(t.saturating_add(millis))
            });
    }

    /// Sets the clock.
    pub fn set(&self, to: Timestamp) {
        self.0.store(to.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness

/// The source of randomness. The driver draws one [`Seed`](crate::Seed) per operation that needs
/// one (SignUp, ResendConfirmationCode) with [`Seed::generate`](crate::Seed::generate); everything random in the operation
/// derives from it.
///
/// # Contract
/// Every call fills fresh bytes, never the bytes of an earlier call: a SignUp whose seed repeats
/// an earlier SignUp's draws the same `sub` and answers InternalErrorException.
pub trait Randomness: Send + Sync {
    /// Fills `dest` with 32 fresh random bytes.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError>;
}

/// The operating system's randomness (`getrandom`).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandomness;

impl Randomness for OsRandomness {
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError> {
        getrandom::fill(dest).map_err(|e| -> HostError { e.to_string().into() })
    }
}

/// Reproducible randomness: seed `n` is derived from a base seed and `n`, so successive seeds
/// differ (for tests and fuzzing; **not** for production).
///
/// ```
/// use cognito_signup::{Seed, SeededRandomness};
/// let randomness = SeededRandomness::new([1; 32]);
/// let (first, second) = (Seed::generate(&randomness)?, Seed::generate(&randomness)?);
/// assert_ne!(first, second);
/// # Ok::<(), cognito_signup::Error>(())
/// ```
#[derive(Debug)]
pub struct SeededRandomness {
    base: [u8; 32],
    counter: AtomicU64,
}

impl SeededRandomness {
    /// A source whose seeds derive from `base`.
    #[must_use]
    pub fn new(base: [u8; 32]) -> Self {
        Self {
            base,
            counter: AtomicU64::new(0),
        }
    }
}

impl Randomness for SeededRandomness {
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError> {
        use sha2::Digest as _;
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let mut h = sha2::Sha256::new();
        h.update(self.base);
        h.update(n.to_be_bytes());
        *dest = h.finalize().into();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Directory

/// A pool as the core needs it: its settings and its code-tagging keys.
#[derive(Clone, Debug)]
pub struct PoolContext {
    /// The settings.
    pub pool: UserPool,
    /// The keys that tag codes ([code-storage]).
    pub code_keys: CodeKeys,
}

/// An app client together with its pool.
#[derive(Clone, Debug)]
pub struct ClientContext {
    /// The pool.
    pub pool: Arc<PoolContext>,
    /// The client.
    pub client: Arc<AppClient>,
}

/// The directory of pools and app clients.
pub trait Directory: Send + Sync {
    /// The client with this id, with its pool.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError>;

    /// The pool with this id.
    ///
    /// # Errors
    /// The host's failure; the operation answers InternalErrorException.
    fn pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError>;
}

/// A directory fixed at start-up.
///
/// It keeps [`REPLICAS`](Self::REPLICAS) copies of every context, each behind its own [`Arc`],
/// and each thread takes its contexts from one copy: an operation clones the context it works
/// with, and were there one copy, every operation on every thread would write its reference
/// count, one cache line that cores would pass back and forth (two threads confirming different
/// users lost a tenth of their throughput to it).
#[derive(Default, Clone)]
pub struct StaticDirectory {
    pools: HashMap<String, Box<[Arc<PoolContext>]>>,
    clients: HashMap<String, Box<[ClientContext]>>,
}

impl fmt::Debug for StaticDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = |v: &[ClientContext]| v.first().cloned();
        f.debug_struct("StaticDirectory")
            .field(
                "pools",
                &self
                    .pools
                    .values()
                    .filter_map(|v| v.first())
                    .collect::<Vec<_>>(),
            )
            .field(
                "clients",
                &self
                    .clients
                    .values()
                    .filter_map(|v| first(v))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// This thread's copy in a [`StaticDirectory`]: threads take copies in turn as they first ask.
fn replica() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: std::cell::Cell<usize> = const { std::cell::Cell::new(usize::MAX) };
    }
    SLOT.with(|slot| {
        if slot.get() == usize::MAX {
            let next = NEXT.fetch_add(1, Ordering::Relaxed);
            slot.set(next % StaticDirectory::REPLICAS);
        }
        slot.get()
    })
}

/// The client names a pool the directory does not hold.
#[derive(Debug, thiserror::Error)]
#[error("app client {client_id} names user pool {pool_id}, which the directory does not hold")]
pub struct UnknownPool {
    /// The client.
    pub client_id: String,
    /// The pool it names.
    pub pool_id: String,
}

impl StaticDirectory {
    /// How many copies of each context the directory keeps (see the type's documentation).
    pub const REPLICAS: usize = 8;

    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a pool with its code keys.
    pub fn add_pool(&mut self, pool: UserPool, code_keys: CodeKeys) -> &mut Self {
        let id = pool.id.clone();
        let copies: Box<[Arc<PoolContext>]> = (0..Self::REPLICAS)
            .map(|_| {
                Arc::new(PoolContext {
                    pool: pool.clone(),
                    code_keys: code_keys.clone(),
                })
            })
            .collect();
        for client in self.clients.values_mut() {
            for (c, pool) in client.iter_mut().zip(&copies) {
                if c.pool.pool.id == id {
                    c.pool = Arc::clone(pool);
                }
            }
        }
        self.pools.insert(id, copies);
        self
    }

    /// Adds (or replaces) a client of a pool already added.
    ///
    /// # Errors
    /// [`UnknownPool`] if the pool has not been added.
    pub fn add_client(
        &mut self,
        pool_id: &str,
        client: AppClient,
    ) -> Result<&mut Self, UnknownPool> {
        let Some(pools) = self.pools.get(pool_id) else {
            return Err(UnknownPool {
                client_id: client.client_id,
                pool_id: pool_id.to_owned(),
            });
        };
        let mut client = client;
        client.user_pool_id = Some(pool_id.to_owned());
        let copies = pools
            .iter()
            .map(|pool| ClientContext {
                pool: Arc::clone(pool),
                client: Arc::new(client.clone()),
            })
            .collect();
        self.clients.insert(client.client_id, copies);
        Ok(self)
    }
}

impl Directory for StaticDirectory {
    fn client(&self, client_id: &str) -> Result<Option<ClientContext>, HostError> {
        let copies = self.clients.get(client_id);
        Ok(copies.and_then(|v| v.get(replica()).or(v.first()).cloned()))
    }

    fn pool(&self, pool_id: &str) -> Result<Option<Arc<PoolContext>>, HostError> {
        let copies = self.pools.get(pool_id);
        Ok(copies.and_then(|v| v.get(replica()).or(v.first()).cloned()))
    }
}

// ---------------------------------------------------------------------------------------------
// Request guard ([request-guard])

/// What the request guard sees of a public operation.
#[derive(Clone, Debug)]
pub struct GuardRequest {
    /// The operation.
    pub operation: OperationName,
    /// The pool the client belongs to.
    pub pool_id: String,
    /// The app client.
    pub client_id: String,
    /// The request's `UserContextData`.
    pub user_context_data: Option<UserContextData>,
}

/// The guard's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardVerdict {
    /// Let the request through.
    Allow,
    /// Answer ForbiddenException.
    Block,
}

/// An optional check of public operations, the role AWS WAF plays ([request-guard]).
pub trait RequestGuard: Send + Sync {
    /// Decides whether the request goes on.
    fn check(&self, request: &GuardRequest) -> GuardVerdict;
}

/// A guard that lets everything through.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl RequestGuard for AllowAll {
    fn check(&self, _: &GuardRequest) -> GuardVerdict {
        GuardVerdict::Allow
    }
}

// ---------------------------------------------------------------------------------------------
// Rate limiting ([rate-limits])

/// The per-pool request buckets of [rate-limits].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Bucket {
    /// SignUp, ConfirmSignUp and AdminConfirmSignUp (Cognito's `UserCreation` category).
    UserCreation,
    /// ResendConfirmationCode (its own bucket, [rate-limits]).
    ResendConfirmationCode,
}

/// One request's claim on a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleRequest {
    /// The pool.
    pub pool_id: String,
    /// The bucket.
    pub bucket: Bucket,
    /// Tokens added per second.
    pub rate: u32,
    /// Capacity.
    pub burst: u32,
    /// The operation's time.
    pub now: Timestamp,
}

/// Decides whether a request may take a token.
pub trait RateLimiter: Send + Sync {
    /// Takes one token if there is one; `false` answers TooManyRequestsException.
    fn try_acquire(&self, request: &ThrottleRequest) -> bool;
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
        let pool = match pools.get_mut(r.pool_id.as_str()) {
            Some(p) => p,
            None => pools.entry(r.pool_id.clone()).or_default(),
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

// ---------------------------------------------------------------------------------------------
// Resend limits of hidden names

/// How many cells (one per row of a [`ResendSketch`]) a [`HiddenResendRequest`] names.
pub const SKETCH_ROWS: usize = 2;

/// A ResendConfirmationCode under `PreventUserExistenceErrors=ENABLED` for a name whose answer
/// must look like a present user's: a name no user holds, or a disabled user's.
///
/// A present user's resends are limited by the times kept in their record (at most `limit` in
/// the rolling `window`, and `min_interval` between two codes). A missing name has no record,
/// and must not get one (an attacker could grow the store at will); so its resends are counted
/// in a fixed-size table of the pool, a [`ResendSketch`], in the cells that `keys` name.
/// `keys` are keyed hashes of the name (folded as the pool's case rule says) made with the
/// pool's code keys: no one without them can tell which names share a cell.
#[derive(Clone, PartialEq, Eq)]
pub struct HiddenResendRequest {
    /// The pool.
    pub pool_id: String,
    /// The name's cell in each row, before reduction to the table's width.
    pub keys: [u64; SKETCH_ROWS],
    /// The operation's time.
    pub now: Timestamp,
    /// The rolling window of the per-user limits.
    pub window: Duration,
    /// Resends allowed per window.
    pub limit: u32,
    /// Minimum time between two codes (zero: none).
    pub min_interval: Duration,
}

impl fmt::Debug for HiddenResendRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys stand for a name: leave them out.
        f.debug_struct("HiddenResendRequest")
            .field("pool_id", &self.pool_id)
            .field("now", &self.now)
            .field("window", &self.window)
            .field("limit", &self.limit)
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

/// Keeps the resend counts of hidden names (see [`HiddenResendRequest`]).
///
/// # Contract
/// Answer with [`ResendSketch::try_record`] over one table per pool (or arithmetic that never
/// counts less), atomically per request. A host with several processes shares the table
/// between them, as it shares its rate buckets; a table per process lets a missing name resend
/// more often than a present one, which tells them apart.
pub trait HiddenResendLimiter: Send + Sync {
    /// Records the resend and answers `true` if the name is within the limits; answers `false`
    /// (LimitExceededException) and records nothing otherwise.
    fn try_record(&self, request: &HiddenResendRequest) -> bool;
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

// ---------------------------------------------------------------------------------------------
// Lambda

/// A trigger this crate invokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trigger {
    /// `PreSignUp`
    PreSignUp,
    /// `PostConfirmation`
    PostConfirmation,
    /// `CustomMessage`
    CustomMessage,
}

impl Trigger {
    /// The name used in error messages, e.g. `PostConfirmation`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::CustomMessage => "CustomMessage",
        }
    }
}

/// One invocation of a trigger: the function and the event as JSON ([trigger-event]). `Debug`
/// leaves the payload out: it holds the user's attributes.
#[derive(Clone, PartialEq, Eq)]
pub struct LambdaInvocation {
    /// The trigger.
    pub trigger: Trigger,
    /// The event's `triggerSource`, e.g. `PostConfirmation_ConfirmSignUp`.
    pub trigger_source: &'static str,
    /// The function name or ARN from `LambdaConfig`.
    pub function: String,
    /// The event, serialized.
    pub payload: String,
}

impl fmt::Debug for LambdaInvocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LambdaInvocation")
            .field("trigger", &self.trigger)
            .field("trigger_source", &self.trigger_source)
            .field("function", &self.function)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish()
    }
}

/// Why an invocation did not reach the function or did not come back.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvokeFailure {
    /// Every try timed out ([trigger-invocation]: 5 s per try, 3 tries).
    Timeout,
    /// The function may not be invoked, or does not exist.
    AccessDenied,
    /// Any other failure, named by an AWS error code such as `ServiceException`.
    Other(String),
}

/// What came back from a trigger. `Debug` leaves a returned body out: it echoes the user's
/// attributes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LambdaReply {
    /// The function returned this body.
    Returned(Vec<u8>),
    /// The function failed (`X-Amz-Function-Error`), with its `errorMessage`.
    FunctionError {
        /// `errorMessage`
        error_message: String,
        /// `errorType`
        error_type: Option<String>,
    },
    /// The function could not be invoked.
    InvokeFailed(InvokeFailure),
}

impl fmt::Debug for LambdaReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LambdaReply::Returned(body) => write!(f, "Returned(<{} bytes>)", body.len()),
            LambdaReply::FunctionError {
                error_message,
                error_type,
            } => f
                .debug_struct("FunctionError")
                .field("error_message", error_message)
                .field("error_type", error_type)
                .finish(),
            LambdaReply::InvokeFailed(why) => f.debug_tuple("InvokeFailed").field(why).finish(),
        }
    }
}

/// Invokes Lambda triggers, synchronously.
///
/// # Contract
/// Implementations apply [trigger-invocation] themselves: 5 s per try, at most 3 tries, then
/// [`InvokeFailure::Timeout`]. A function error is reported as [`LambdaReply::FunctionError`], not
/// retried.
pub trait LambdaInvoker: Send + Sync {
    /// Invokes the function and reports what came back.
    fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply;
}

/// An invoker for hosts without Lambda: a configured trigger cannot be invoked
/// (UnexpectedLambdaException with AccessDeniedException, as when Cognito lacks permission).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLambda;

impl LambdaInvoker for NoLambda {
    fn invoke(&self, _: &LambdaInvocation) -> LambdaReply {
        LambdaReply::InvokeFailed(InvokeFailure::AccessDenied)
    }
}

type LambdaHandler = dyn Fn(&LambdaInvocation) -> LambdaReply + Send + Sync;

/// An invoker that records every invocation and answers with a handler (by default: echo the
/// event back, which is what a trigger that changes nothing returns).
pub struct RecordingLambda {
    calls: Mutex<Vec<LambdaInvocation>>,
    handler: Box<LambdaHandler>,
}

impl fmt::Debug for RecordingLambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingLambda").finish_non_exhaustive()
    }
}

impl Default for RecordingLambda {
    fn default() -> Self {
        Self::echo()
    }
}

impl RecordingLambda {
    /// Records and returns each event unchanged.
    #[must_use]
    pub fn echo() -> Self {
        Self::with_handler(|inv| LambdaReply::Returned(inv.payload.clone().into_bytes()))
    }

    /// Records and answers with `handler`.
    #[must_use]
    pub fn with_handler(
        handler: impl Fn(&LambdaInvocation) -> LambdaReply + Send + Sync + 'static,
    ) -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            handler: Box::new(handler),
        }
    }

    /// Every invocation so far.
    #[must_use]
    pub fn calls(&self) -> Vec<LambdaInvocation> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl LambdaInvoker for RecordingLambda {
    fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(invocation.clone());
        }
        (self.handler)(invocation)
    }
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// A confirmation message to deliver. `Debug` redacts the destination, the code and the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The pool.
    pub pool_id: String,
    /// The username as AdminGetUser reports it (the `sub` in username-attribute pools).
    pub username: String,
    /// `CustomMessage_SignUp` or `CustomMessage_ResendCode`.
    pub trigger_source: &'static str,
    /// EMAIL or SMS.
    pub medium: DeliveryMedium,
    /// The attribute the code goes to.
    pub attribute: VerifiableAttribute,
    /// The unmasked address or phone number.
    pub destination: String,
    /// The code.
    pub code: Code,
    /// The text to send, code included (the CustomMessage function's when there is one).
    pub body: String,
    /// The email subject (EMAIL only).
    pub subject: Option<String>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("pool_id", &self.pool_id)
            .field("trigger_source", &self.trigger_source)
            .field("medium", &self.medium)
            .field("attribute", &self.attribute)
            .field("destination", &"<redacted>")
            .field("code", &self.code)
            .field("body", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Delivers confirmation messages (email, SMS).
pub trait Delivery: Send + Sync {
    /// Sends the message.
    ///
    /// # Errors
    /// The host's failure; the operation answers CodeDeliveryFailureException.
    fn deliver(&self, message: &Message) -> Result<(), HostError>;
}

/// Delivery that drops every message (for hosts that do not send codes, e.g. pools without
/// AutoVerifiedAttributes).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDelivery;

impl Delivery for NoDelivery {
    fn deliver(&self, _: &Message) -> Result<(), HostError> {
        Ok(())
    }
}

/// Delivery that keeps every message in memory (for tests: read the code back).
#[derive(Debug, Default)]
pub struct RecordingDelivery {
    sent: Mutex<Vec<Message>>,
    fail: std::sync::atomic::AtomicBool,
}

/// The failure [`RecordingDelivery`] reports when told to fail.
#[derive(Debug, thiserror::Error)]
#[error("delivery is switched off")]
pub struct DeliverySwitchedOff;

impl RecordingDelivery {
    /// Keeps every message.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message so far.
    #[must_use]
    pub fn messages(&self) -> Vec<Message> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The newest message.
    #[must_use]
    pub fn last(&self) -> Option<Message> {
        self.sent.lock().ok().and_then(|s| s.last().cloned())
    }

    /// Makes every later delivery fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.fail.store(failing, Ordering::SeqCst);
    }
}

impl Delivery for RecordingDelivery {
    fn deliver(&self, message: &Message) -> Result<(), HostError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(Box::new(DeliverySwitchedOff));
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(message.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn static_directory_keeps_separate_equal_copies_and_replaces_a_pool_in_every_copy() {
        let keys = CodeKeys::new(&[[7u8; 32]]).unwrap();
        let mut d = StaticDirectory::new();
        d.add_pool(UserPool::new("us-east-1_A"), keys.clone());
        d.add_client("us-east-1_A", AppClient::new("client1"))
            .unwrap();
        let copies = &d.clients["client1"];
        assert_eq!(copies.len(), StaticDirectory::REPLICAS);
        let pools: std::collections::HashSet<*const PoolContext> =
            copies.iter().map(|c| Arc::as_ptr(&c.pool)).collect();
        let clients: std::collections::HashSet<*const AppClient> =
            copies.iter().map(|c| Arc::as_ptr(&c.client)).collect();
        assert_eq!(pools.len(), StaticDirectory::REPLICAS, "one count per copy");
        assert_eq!(clients.len(), StaticDirectory::REPLICAS);
        assert!(copies.iter().all(|c| c.client.client_id == "client1"
            && c.client.user_pool_id.as_deref() == Some("us-east-1_A")));
        // Equal settings, and keys that tag a code alike.
        let code = Code::parse("123456").unwrap();
        let tag = |c: &ClientContext| c.pool.code_keys.tag("us-east-1_A", "alice", &code);
        assert!(copies.iter().all(|c| c.pool.pool == copies[0].pool.pool
            && *c.client == *copies[0].client
            && tag(c) == tag(&copies[0])));
        // A thread keeps taking the same copy.
        let first = d.client("client1").unwrap().unwrap();
        let again = d.client("client1").unwrap().unwrap();
        assert!(Arc::ptr_eq(&first.pool, &again.pool));
        assert!(Arc::ptr_eq(
            &first.pool,
            &d.pool("us-east-1_A").unwrap().unwrap()
        ));
        // Replacing the pool reaches the clients of every copy.
        let mut changed = UserPool::new("us-east-1_A");
        changed.sign_up_policy.failed_confirmations_per_window = 3;
        d.add_pool(changed, keys);
        for c in &d.clients["client1"] {
            assert_eq!(
                c.pool.pool.sign_up_policy.failed_confirmations_per_window,
                3
            );
        }
        assert!(d.client("nobody").unwrap().is_none());
        assert!(d.pool("us-east-1_B").unwrap().is_none());
        assert!(format!("{d:?}").contains("client1"));
    }
}

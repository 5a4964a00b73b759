//! A configurable test host: one pool and its clients in a [`StaticDirectory`], a
//! [`ManualClock`], a recording Lambda and delivery, no rate limit (or the pool's) and fast
//! password hashing, over whatever store the test gives.
//!
//! ```
//! use cognito_signup::{AppClient, MemoryStore, SignUpRequest, UserPool};
//! use cognito_signup_testkit::host::HostBuilder;
//!
//! let host = HostBuilder::new(UserPool::new("us-east-1_Example"))
//!     .client(AppClient::new("client"))
//!     .seeded([1; 32])
//!     .build(MemoryStore::new());
//! host.driver
//!     .sign_up(SignUpRequest::new("client", "alice", "Passw0rd!").attribute("email", "a@example.com"))
//!     .unwrap();
//! ```
//!
//! The hashing is `PasswordHashing::insecure_fast_for_tests()` and the keys are fixed: a test
//! double, with **no security**.

use cognito_signup::host::{Delivery, RateLimiter, RequestGuard, UserStore};
use cognito_signup::reference::Unlimited;
use cognito_signup::{
    AppClient, CodeKeys, Driver, ManualClock, PasswordHashing, Randomness, RecordingDelivery,
    RecordingLambda, SeededRandomness, StaticDirectory, Timestamp, UserPool,
};
use std::fmt;
use std::sync::Arc;

/// The clock's start unless [`HostBuilder::start`] says otherwise.
pub const START: Timestamp = Timestamp::from_secs(1_795_000_000);

/// A driver and the test doubles behind it, for a test to steer and inspect.
#[derive(Debug)]
pub struct TestHost<S, D = RecordingDelivery> {
    /// The driver over the test's store.
    pub driver: Driver<S>,
    /// The clock the driver reads; advance it to let time pass.
    pub clock: Arc<ManualClock>,
    /// Where messages go.
    pub delivery: Arc<D>,
    /// The Lambda functions, recording every call.
    pub lambda: Arc<RecordingLambda>,
}

/// Builds a [`TestHost`]; see the [module](self) documentation.
pub struct HostBuilder<D = RecordingDelivery> {
    pool: UserPool,
    clients: Vec<AppClient>,
    keys: Vec<[u8; 32]>,
    start: Timestamp,
    randomness: Option<Arc<dyn Randomness>>,
    lambda: Arc<RecordingLambda>,
    delivery: Arc<D>,
    guard: Option<Arc<dyn RequestGuard>>,
    limiter: Option<Arc<dyn RateLimiter>>,
}

impl<D> fmt::Debug for HostBuilder<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostBuilder")
            .field("pool", &self.pool.id)
            .field("clients", &self.clients.len())
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl HostBuilder {
    /// A host for one pool, with no client yet, the key ring `[[7; 32]]`, the clock at
    /// [`START`], the driver's own randomness, Lambda functions that answer with the event they
    /// get, and a [`RecordingDelivery`].
    #[must_use]
    pub fn new(pool: UserPool) -> Self {
        Self {
            pool,
            clients: Vec::new(),
            keys: vec![[7; 32]],
            start: START,
            randomness: None,
            lambda: Arc::new(RecordingLambda::echo()),
            delivery: Arc::new(RecordingDelivery::new()),
            guard: None,
            limiter: Some(Arc::new(Unlimited)),
        }
    }
}

impl<D: Delivery + 'static> HostBuilder<D> {
    /// Adds an app client of the pool.
    #[must_use]
    pub fn client(mut self, client: AppClient) -> Self {
        self.clients.push(client);
        self
    }

    /// The code key ring, newest first.
    #[must_use]
    pub fn keys(mut self, keys: &[[u8; 32]]) -> Self {
        self.keys = keys.to_vec();
        self
    }

    /// Where the clock starts.
    #[must_use]
    pub fn start(mut self, start: Timestamp) -> Self {
        self.start = start;
        self
    }

    /// Randomness seeded with `seed`, so that a run can be repeated.
    #[must_use]
    pub fn seeded(self, seed: [u8; 32]) -> Self {
        self.randomness(Arc::new(SeededRandomness::new(seed)))
    }

    /// The randomness the driver draws seeds from.
    #[must_use]
    pub fn randomness(mut self, randomness: Arc<dyn Randomness>) -> Self {
        self.randomness = Some(randomness);
        self
    }

    /// The Lambda functions (e.g. `RecordingLambda::with_handler`).
    #[must_use]
    pub fn lambda(mut self, lambda: Arc<RecordingLambda>) -> Self {
        self.lambda = lambda;
        self
    }

    /// A request guard (none by default).
    #[must_use]
    pub fn guard(mut self, guard: Arc<dyn RequestGuard>) -> Self {
        self.guard = Some(guard);
        self
    }

    /// The pool's own rate limits (the driver's default limiter) instead of none.
    #[must_use]
    pub fn pool_rate_limits(mut self) -> Self {
        self.limiter = None;
        self
    }

    /// Another delivery: an outbox of the test's own.
    #[must_use]
    pub fn delivery<E: Delivery + 'static>(self, delivery: Arc<E>) -> HostBuilder<E> {
        HostBuilder {
            pool: self.pool,
            clients: self.clients,
            keys: self.keys,
            start: self.start,
            randomness: self.randomness,
            lambda: self.lambda,
            delivery,
            guard: self.guard,
            limiter: self.limiter,
        }
    }

    /// The host, over `store`.
    ///
    /// # Panics
    /// When a key is refused by [`CodeKeys::new`] (an empty ring), or a client is refused by
    /// the directory: a mistake in the test.
    #[allow(clippy::panic)] // A test kit reports a mistake in the test by panicking.
    pub fn build<S: UserStore>(self, store: S) -> TestHost<S, D> {
        let mut dir = StaticDirectory::new();
        let keys =
            CodeKeys::new(&self.keys).unwrap_or_else(|e| panic!("the test host's key ring: {e}"));
        let pool_id = self.pool.id.clone();
        dir.add_pool(self.pool, keys);
        for client in self.clients {
            if let Err(e) = dir.add_client(&pool_id, client) {
                panic!("the test host's client: {e}");
            }
        }
        let clock = Arc::new(ManualClock::new(self.start));
        let mut driver = Driver::new(store, Arc::new(dir))
            .with_clock(clock.clone())
            .with_lambda(self.lambda.clone())
            .with_delivery(self.delivery.clone())
            .with_password_hashing(PasswordHashing::insecure_fast_for_tests());
        if let Some(randomness) = self.randomness {
            driver = driver.with_randomness(randomness);
        }
        if let Some(guard) = self.guard {
            driver = driver.with_guard(guard);
        }
        if let Some(limiter) = self.limiter {
            driver = driver.with_rate_limiter(limiter);
        }
        TestHost {
            driver,
            clock,
            delivery: self.delivery,
            lambda: self.lambda,
        }
    }
}

/// The events a [`RecordingLambda`] was invoked with for one trigger source, parsed.
pub trait LambdaEvents {
    /// The payloads of the invocations whose trigger source is `source`, in call order.
    fn events(&self, source: &str) -> Vec<serde_json::Value>;
}

impl LambdaEvents for RecordingLambda {
    fn events(&self, source: &str) -> Vec<serde_json::Value> {
        self.calls()
            .into_iter()
            .filter(|c| c.trigger_source == source)
            .filter_map(|c| serde_json::from_str(&c.payload).ok())
            .collect()
    }
}

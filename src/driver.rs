//! The synchronous driver: runs the core's operations against the host's traits.
//!
//! The driver holds no decision logic: it reads the clock (and draws a seed) once per operation,
//! then answers each [`Need`] by calling the matching trait. An asynchronous host writes the same
//! loop with `.await` (see `examples/async_host.rs`, and `Server::run` in `examples/server.rs`).

use crate::error::{Error, HostError};
use crate::host::UserStore;
use crate::host::{
    Clock, Delivery, Directory, HiddenResendLimiter, LambdaInvoker, Randomness, RateLimiter,
    RequestGuard,
};
use crate::ops::{
    AdminConfirmSignUp, AdminDisableUser, AdminEnableUser, AdminGetUser, ConfirmSignUp,
    ResendConfirmationCode, SignUp,
};
use crate::password::{PasswordHasher, PasswordHashing};
use crate::protocol::GuardVerdict;
use crate::protocol::machine::{Answer, Ask, Raw};
use crate::protocol::{Need, Operation, Step};
use crate::reference::{
    MemoryHiddenResendLimiter, MemoryRateLimiter, NoDelivery, NoLambda, OsRandomness, SystemClock,
};
use crate::seed::Seed;
use crate::time::Timestamp;
use crate::types::{
    AdminConfirmSignUpRequest, AdminConfirmSignUpResponse, AdminGetUserResponse, AdminUserRequest,
    AdminUserUpdateResponse, ConfirmSignUpRequest, ConfirmSignUpResponse,
    ResendConfirmationCodeRequest, ResendConfirmationCodeResponse, SignUpRequest, SignUpResponse,
};
use std::fmt;
use std::sync::Arc;

/// Runs operations against a store and the host's other traits.
///
/// Defaults: [`SystemClock`], [`OsRandomness`], [`NoLambda`], [`NoDelivery`], no request guard,
/// a [`MemoryRateLimiter`], a [`MemoryHiddenResendLimiter`], and a [`PasswordHasher`] of its own with [`PasswordHashing::default`]
/// (one slot per core), shared by all its SignUps.
///
/// SignUp's password hash ([`Need::Hash`]) is CPU-heavy (tens of milliseconds): the driver
/// answers it with its hasher on the calling thread, so [`sign_up`](Self::sign_up) blocks for
/// it, and the hasher bounds how many threads hash at once (see [`PasswordHasher`]).
pub struct Driver<S> {
    store: S,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
    lambda: Arc<dyn LambdaInvoker>,
    delivery: Arc<dyn Delivery>,
    guard: Option<Arc<dyn RequestGuard>>,
    limiter: Arc<dyn RateLimiter>,
    hidden: Arc<dyn HiddenResendLimiter>,
    hasher: Arc<PasswordHasher>,
}

impl<S> fmt::Debug for Driver<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("hasher", &self.hasher)
            .finish_non_exhaustive()
    }
}

impl<S: UserStore> Driver<S> {
    /// A driver over a store and a directory, with the defaults above.
    pub fn new(store: S, directory: Arc<dyn Directory>) -> Self {
        Self {
            store,
            directory,
            clock: Arc::new(SystemClock),
            randomness: Arc::new(OsRandomness),
            lambda: Arc::new(NoLambda),
            delivery: Arc::new(NoDelivery),
            guard: None,
            limiter: Arc::new(MemoryRateLimiter::new()),
            hidden: Arc::new(MemoryHiddenResendLimiter::new()),
            hasher: Arc::new(PasswordHasher::new(PasswordHashing::default())),
        }
    }

    /// Sets the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the source of randomness.
    #[must_use]
    pub fn with_randomness(mut self, randomness: Arc<dyn Randomness>) -> Self {
        self.randomness = randomness;
        self
    }

    /// Sets the Lambda invoker.
    #[must_use]
    pub fn with_lambda(mut self, lambda: Arc<dyn LambdaInvoker>) -> Self {
        self.lambda = lambda;
        self
    }

    /// Sets message delivery.
    #[must_use]
    pub fn with_delivery(mut self, delivery: Arc<dyn Delivery>) -> Self {
        self.delivery = delivery;
        self
    }

    /// Sets the request guard ([request-guard]).
    #[must_use]
    pub fn with_guard(mut self, guard: Arc<dyn RequestGuard>) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Sets the rate limiter ([rate-limits]).
    #[must_use]
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = limiter;
        self
    }

    /// Sets the table that counts resends of hidden names under ENABLED.
    #[must_use]
    pub fn with_hidden_resend_limiter(mut self, hidden: Arc<dyn HiddenResendLimiter>) -> Self {
        self.hidden = hidden;
        self
    }

    /// Sets the argon2id parameters of password hashing: a new hasher of the driver's own with
    /// those parameters and the default slots and queue.
    #[must_use]
    pub fn with_password_hashing(mut self, hashing: PasswordHashing) -> Self {
        self.hasher = Arc::new(PasswordHasher::new(hashing));
        self
    }

    /// Sets the password hasher, e.g. one shared with other drivers or with async code.
    #[must_use]
    pub fn with_hasher(mut self, hasher: Arc<PasswordHasher>) -> Self {
        self.hasher = hasher;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Reads the clock: the `now` of one operation.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Draws the [`Seed`] of one operation.
    ///
    /// # Errors
    /// InternalErrorException when the host's randomness fails.
    pub fn seed(&self) -> Result<Seed, Error> {
        Seed::generate(&*self.randomness)
    }

    /// The argon2id parameters the driver hashes passwords with.
    pub fn password_hashing(&self) -> PasswordHashing {
        self.hasher.hashing()
    }

    /// The password hasher the driver answers [`Need::Hash`] with.
    pub fn hasher(&self) -> &Arc<PasswordHasher> {
        &self.hasher
    }

    /// Answers one need by calling the matching trait, and returns the operation's next step.
    ///
    /// A [`Need::Hash`] is answered with the driver's hasher on the calling thread: **CPU-heavy**
    /// (tens of milliseconds), and it may wait in the hasher's queue. Every other need takes
    /// what the host's trait takes.
    pub fn answer<O: Operation>(&self, need: Need<O>) -> Step<O> {
        match need {
            Need::Client(n) => {
                let client = self.directory.client(n.client_id());
                n.answer_result(client)
            }
            Need::Pool(n) => {
                let pool = self.directory.pool(n.pool_id());
                n.answer_result(pool)
            }
            Need::Guard(n) => {
                let verdict = self
                    .guard
                    .as_ref()
                    .map_or(GuardVerdict::Allow, |g| g.check(n.request()));
                n.answer(verdict)
            }
            Need::Throttle(n) => {
                let taken = self.limiter.try_acquire(n.request());
                n.answer(taken)
            }
            Need::Find(n) => {
                let found = self.store.find(n.pool_id(), n.keys());
                n.answer_result(found)
            }
            Need::Commit(n) => {
                let outcome = self.store.commit(n.pool_id(), n.commit());
                n.answer_result(outcome)
            }
            Need::Invoke(n) => {
                let reply = self.lambda.invoke(n.invocation());
                n.answer(reply)
            }
            Need::Deliver(n) => {
                let delivered = self.delivery.deliver(n.message());
                n.answer(delivered)
            }
            Need::HiddenResend(n) => {
                let within = self.hidden.try_record(n.request());
                n.answer(within)
            }
            Need::Hash(n) => n.hash_with(&self.hasher),
        }
    }

    /// Runs an operation to its end.
    ///
    /// # Errors
    /// The operation's Cognito exception.
    ///
    /// The operation stays where it is while it runs: the driver steps it in place, answering
    /// each of its asks with the one kind of answer that ask takes (as [`answer`](Self::answer)
    /// does through the typed continuations), instead of moving it into and out of a
    /// continuation at every step.
    pub fn run<O: Operation>(&self, mut op: O) -> Result<O::Output, Error> {
        let mut raw = op.begin();
        loop {
            match raw {
                Raw::Done(result) => return result,
                Raw::Need(ask) => {
                    let answer = self.serve(&op, ask);
                    raw = op.advance(answer);
                }
            }
        }
    }

    /// The answer to one ask of `op`, from the host trait that serves it: the in-place
    /// counterpart of [`answer`](Self::answer), with the same calls and the same kind of
    /// answer for each kind of ask.
    #[inline(always)]
    fn serve<O: Operation>(&self, op: &O, ask: Ask) -> Answer {
        fn or_failed<T>(result: Result<T, HostError>, answer: fn(T) -> Answer) -> Answer {
            result.map_or_else(Answer::HostFailed, answer)
        }
        match ask {
            Ask::Client => or_failed(self.directory.client(op.client_id()), Answer::Client),
            Ask::Pool { pool_id } => or_failed(self.directory.pool(&pool_id), Answer::Pool),
            Ask::Guard(request) => Answer::Guard(
                self.guard
                    .as_ref()
                    .map_or(GuardVerdict::Allow, |g| g.check(&request)),
            ),
            Ask::Throttle(request) => Answer::Throttle(self.limiter.try_acquire(&request)),
            Ask::Find { pool_id, keys } => {
                or_failed(self.store.find(&pool_id, keys.as_slice()), Answer::Found)
            }
            Ask::Commit { pool_id, commit } => {
                or_failed(self.store.commit(&pool_id, &commit), Answer::Committed)
            }
            Ask::Invoke(invocation) => Answer::Lambda(self.lambda.invoke(&invocation)),
            Ask::Deliver(message) => Answer::Delivered(self.delivery.deliver(&message)),
            Ask::HiddenResend(request) => Answer::HiddenResend(self.hidden.try_record(&request)),
            Ask::Hash { password, salt } => Answer::Hashed(self.hasher.hash(&password, salt)),
        }
    }

    /// SignUp.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn sign_up(&self, request: SignUpRequest) -> Result<SignUpResponse, Error> {
        let seed = self.seed()?;
        self.run(SignUp::new(request, self.clock.now(), seed))
    }

    /// ConfirmSignUp.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn confirm_sign_up(
        &self,
        request: ConfirmSignUpRequest,
    ) -> Result<ConfirmSignUpResponse, Error> {
        self.run(ConfirmSignUp::new(request, self.clock.now()))
    }

    /// ResendConfirmationCode.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn resend_confirmation_code(
        &self,
        request: ResendConfirmationCodeRequest,
    ) -> Result<ResendConfirmationCodeResponse, Error> {
        let seed = self.seed()?;
        self.run(ResendConfirmationCode::new(request, self.clock.now(), seed))
    }

    /// AdminConfirmSignUp.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn admin_confirm_sign_up(
        &self,
        request: AdminConfirmSignUpRequest,
    ) -> Result<AdminConfirmSignUpResponse, Error> {
        self.run(AdminConfirmSignUp::new(request, self.clock.now()))
    }

    /// AdminGetUser.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn admin_get_user(&self, request: AdminUserRequest) -> Result<AdminGetUserResponse, Error> {
        self.run(AdminGetUser::new(request, self.clock.now()))
    }

    /// AdminDisableUser.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn admin_disable_user(
        &self,
        request: AdminUserRequest,
    ) -> Result<AdminUserUpdateResponse, Error> {
        self.run(AdminDisableUser::new(request, self.clock.now()))
    }

    /// AdminEnableUser.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn admin_enable_user(
        &self,
        request: AdminUserRequest,
    ) -> Result<AdminUserUpdateResponse, Error> {
        self.run(AdminEnableUser::new(request, self.clock.now()))
    }
}

//! The synchronous driver: runs the core's operations against the host's traits.
//!
//! The driver holds no decision logic: it reads the clock (and draws a seed) once per operation,
//! then answers each [`Need`] by calling the matching trait. An asynchronous host writes the same
//! loop with `.await` (see `examples/async_host.rs`, and `Server::run` in `server/src/http.rs`).

use crate::error::{Error, HostError};
use crate::host::{
    Clock, Delivery, Directory, HiddenResendLimiter, LambdaInvoker, Randomness, RateLimiter,
    RequestGuard,
};
use crate::host::{PoolCatalog, UserStore};
use crate::manage::{
    CreateUserPoolClientRequest, CreateUserPoolRequest, EmptyResponse, ListUserPoolClientsRequest,
    ListUserPoolClientsResponse, ListUserPoolsRequest, ListUserPoolsResponse, Manager,
    UpdateUserPoolClientRequest, UpdateUserPoolRequest, UserPoolClientRequest,
    UserPoolClientResponse, UserPoolRequest, UserPoolResponse,
};
use crate::ops::{
    AdminConfirmSignUp, AdminDeleteUser, AdminDisableUser, AdminEnableUser, AdminGetUser,
    ConfirmSignUp, ResendConfirmationCode, SignUp,
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
    AdminConfirmSignUpRequest, AdminConfirmSignUpResponse, AdminDeleteUserRequest,
    AdminDeleteUserResponse, AdminGetUserResponse, AdminUserRequest, AdminUserUpdateResponse,
    ConfirmSignUpRequest, ConfirmSignUpResponse, ListUsersRequest, ListUsersResponse,
    ResendConfirmationCodeRequest, ResendConfirmationCodeResponse, SignUpRequest, SignUpResponse,
};
use std::fmt;
use std::sync::Arc;

/// The region pool ids are made in when none is set ([pool-ids]).
pub const DEFAULT_REGION: &str = "us-east-1";

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
    catalog: Option<Arc<dyn PoolCatalog>>,
    region: String,
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
            catalog: None,
            region: DEFAULT_REGION.to_owned(),
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

    /// Sets the catalog the pool and client management operations run against
    /// ([`create_user_pool`](Self::create_user_pool), …). Pair it with a
    /// [`CatalogDirectory`](crate::reference::CatalogDirectory) over the same catalog so that
    /// the pools it holds serve SignUp and the rest.
    #[must_use]
    pub fn with_catalog(mut self, catalog: Arc<dyn PoolCatalog>) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Sets the region new pool ids are made in ([`DEFAULT_REGION`] by default).
    #[must_use]
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// The catalog, if one was set.
    pub fn catalog(&self) -> Option<&Arc<dyn PoolCatalog>> {
        self.catalog.as_ref()
    }

    /// The region new pool ids are made in.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The directory of pools and clients.
    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
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
    /// does through the typed continuations), without the box the continuations hold it in
    /// ([`Operation::start`]).
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

    /// AdminDeleteUser ([admin-delete-user]).
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn admin_delete_user(
        &self,
        request: AdminDeleteUserRequest,
    ) -> Result<AdminDeleteUserResponse, Error> {
        self.run(AdminDeleteUser::new(request, self.clock.now()))
    }

    /// ListUsers ([list-users]), over the driver's directory and store. Blocking: it reads
    /// the store as many times as the page takes.
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`).
    pub fn list_users(&self, request: &ListUsersRequest) -> Result<ListUsersResponse, Error> {
        crate::ops::list_users(
            request,
            |id| Ok(self.directory.pool(id)?.map(|p| p.pool.clone())),
            &self.store,
        )
    }

    pub(crate) fn manager(&self) -> Result<Manager<'_>, Error> {
        let catalog = self
            .catalog
            .as_deref()
            .ok_or_else(|| Error::internal(crate::manage::messages::NO_CATALOG.into()))?;
        Ok(Manager {
            catalog,
            clock: &*self.clock,
            randomness: &*self.randomness,
            region: &self.region,
        })
    }

    /// CreateUserPool: a pool with a new id in the driver's region ([pool-create]).
    ///
    /// # Errors
    /// The Cognito exception (see `docs/behaviour.md`, `## Pools and clients`);
    /// InternalErrorException without a catalog ([`with_catalog`](Self::with_catalog)).
    pub fn create_user_pool(
        &self,
        request: CreateUserPoolRequest,
    ) -> Result<UserPoolResponse, Error> {
        self.manager()?.create_user_pool(request)
    }

    /// DescribeUserPool.
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn describe_user_pool(&self, request: UserPoolRequest) -> Result<UserPoolResponse, Error> {
        self.manager()?.describe_user_pool(request)
    }

    /// UpdateUserPool ([pool-update]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn update_user_pool(&self, request: UpdateUserPoolRequest) -> Result<EmptyResponse, Error> {
        self.manager()?.update_user_pool(request)
    }

    /// DeleteUserPool: the pool, its clients and its users ([pool-delete]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn delete_user_pool(&self, request: UserPoolRequest) -> Result<EmptyResponse, Error> {
        self.manager()?.delete_user_pool(request)
    }

    /// ListUserPools ([pool-list]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn list_user_pools(
        &self,
        request: ListUserPoolsRequest,
    ) -> Result<ListUserPoolsResponse, Error> {
        self.manager()?.list_user_pools(request)
    }

    /// CreateUserPoolClient ([client-create]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn create_user_pool_client(
        &self,
        request: CreateUserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        self.manager()?.create_user_pool_client(request)
    }

    /// DescribeUserPoolClient.
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn describe_user_pool_client(
        &self,
        request: UserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        self.manager()?.describe_user_pool_client(request)
    }

    /// UpdateUserPoolClient ([client-update]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn update_user_pool_client(
        &self,
        request: UpdateUserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        self.manager()?.update_user_pool_client(request)
    }

    /// DeleteUserPoolClient.
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn delete_user_pool_client(
        &self,
        request: UserPoolClientRequest,
    ) -> Result<EmptyResponse, Error> {
        self.manager()?.delete_user_pool_client(request)
    }

    /// ListUserPoolClients ([pool-list]).
    ///
    /// # Errors
    /// As [`create_user_pool`](Self::create_user_pool).
    pub fn list_user_pool_clients(
        &self,
        request: ListUserPoolClientsRequest,
    ) -> Result<ListUserPoolClientsResponse, Error> {
        self.manager()?.list_user_pool_clients(request)
    }
}

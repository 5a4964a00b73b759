//! A test host: one pool and client, a manual clock, recording Lambda and delivery, and the
//! in-memory store, all inspectable.

use cognito_signup::host::RequestGuard;
use cognito_signup::protocol::{GuardRequest, GuardVerdict};
use cognito_signup::store::{Commit, CommitOutcome, IndexKey, Versioned};
use cognito_signup::*;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognito_signup_testkit::host::HostBuilder;
pub use cognito_signup_testkit::host::{LambdaEvents, START};

pub const POOL: &str = "us-east-1_TestPool";
pub const CLIENT: &str = "testclient";

/// A guard that blocks when told to, and remembers what it saw.
#[derive(Default)]
pub struct Guard {
    pub block: AtomicBool,
    pub seen: Mutex<Vec<GuardRequest>>,
}

impl RequestGuard for Guard {
    fn check(&self, r: &GuardRequest) -> GuardVerdict {
        self.seen.lock().unwrap().push(r.clone());
        if self.block.load(Ordering::SeqCst) {
            GuardVerdict::Block
        } else {
            GuardVerdict::Allow
        }
    }
}

/// A store wrapper that can fail or conflict on demand, counting commits.
pub struct Flaky {
    pub inner: MemoryStore,
    pub fail_finds: AtomicBool,
    pub fail_commits: AtomicBool,
    pub conflict_commits: AtomicU32,
    pub commits: AtomicU32,
}

#[derive(Debug, thiserror::Error)]
#[error("the disk is on fire")]
pub struct DiskOnFire;

impl UserStore for Flaky {
    fn find(
        &self,
        pool: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        if self.fail_finds.load(Ordering::SeqCst) {
            return Err(Box::new(DiskOnFire));
        }
        self.inner.find(pool, keys)
    }
    fn commit(&self, pool: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        self.commits.fetch_add(1, Ordering::SeqCst);
        if self.fail_commits.load(Ordering::SeqCst) {
            return Err(Box::new(DiskOnFire));
        }
        if self
            .conflict_commits
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Ok(CommitOutcome::Conflict);
        }
        self.inner.commit(pool, commit)
    }
    fn list(
        &self,
        pool: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        if self.fail_finds.load(Ordering::SeqCst) {
            return Err(Box::new(DiskOnFire));
        }
        self.inner.list(pool, after, limit)
    }
}

pub struct Host {
    pub driver: Driver<Arc<Flaky>>,
    pub store: Arc<Flaky>,
    pub clock: Arc<ManualClock>,
    pub delivery: Arc<RecordingDelivery>,
    pub lambda: Arc<RecordingLambda>,
    pub guard: Arc<Guard>,
    pub pool: UserPool,
    pub client: AppClient,
}

pub struct Builder {
    pub pool: UserPool,
    pub client: AppClient,
    pub keys: Vec<[u8; 32]>,
    pub randomness: Arc<dyn Randomness>,
}

impl Builder {
    pub fn pool(mut self, f: impl FnOnce(&mut UserPool)) -> Self {
        f(&mut self.pool);
        self
    }
    pub fn client(mut self, f: impl FnOnce(&mut AppClient)) -> Self {
        f(&mut self.client);
        self
    }
    pub fn randomness(mut self, randomness: Arc<dyn Randomness>) -> Self {
        self.randomness = randomness;
        self
    }
    pub fn secret(self, secret: &str) -> Self {
        let s = secret.to_owned();
        self.client(|c| c.client_secret = Some(s))
    }
    pub fn enabled(self) -> Self {
        self.client(|c| c.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled)
    }
    pub fn hardened(self) -> Self {
        self.pool(|p| p.sign_up_policy = SignUpPolicy::hardened())
    }
    pub fn email_alias(self) -> Self {
        self.pool(|p| {
            p.alias_attributes.insert(AliasAttribute::Email);
        })
    }
    pub fn phone_alias(self) -> Self {
        self.pool(|p| {
            p.alias_attributes.insert(AliasAttribute::PhoneNumber);
            p.auto_verified_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
    }
    pub fn case_insensitive(self) -> Self {
        self.pool(|p| {
            p.username_configuration = serde_json::from_str(r#"{"CaseSensitive":false}"#).unwrap()
        })
    }
    pub fn email_username(self) -> Self {
        self.pool(|p| {
            p.username_attributes.insert(VerifiableAttribute::Email);
        })
    }
    pub fn post_confirmation(self) -> Self {
        self.pool(|p| p.lambda_config.post_confirmation = Some("post-confirmation".into()))
    }
    pub fn pre_sign_up(self) -> Self {
        self.pool(|p| p.lambda_config.pre_sign_up = Some("pre-sign-up".into()))
    }
    pub fn custom_message(self) -> Self {
        self.pool(|p| p.lambda_config.custom_message = Some("custom-message".into()))
    }

    pub fn build(self) -> Host {
        let store = Arc::new(Flaky {
            inner: MemoryStore::new(),
            fail_finds: AtomicBool::new(false),
            fail_commits: AtomicBool::new(false),
            conflict_commits: AtomicU32::new(0),
            commits: AtomicU32::new(0),
        });
        let guard = Arc::new(Guard::default());
        let test = HostBuilder::new(self.pool.clone())
            .client(self.client.clone())
            .keys(&self.keys)
            .randomness(self.randomness)
            .guard(guard.clone())
            .pool_rate_limits()
            .build(store.clone());
        Host {
            driver: test.driver,
            store,
            clock: test.clock,
            delivery: test.delivery,
            lambda: test.lambda,
            guard,
            pool: self.pool,
            client: self.client,
        }
    }
}

/// A pool with email auto-verified, Cognito's defaults otherwise, and a LEGACY client without a
/// secret.
pub fn host() -> Builder {
    let mut pool = UserPool::new(POOL);
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    Builder {
        pool,
        client: AppClient::new(CLIENT),
        keys: vec![[7; 32]],
        randomness: Arc::new(SeededRandomness::new([42; 32])),
    }
}

pub const PASSWORD: &str = "Corr3ct-Horse";

impl Host {
    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }

    pub fn sign_up_req(&self, username: &str, email: Option<&str>) -> SignUpRequest {
        let mut r = SignUpRequest::new(CLIENT, username, PASSWORD);
        if let Some(e) = email {
            r = r.attribute("email", e);
        }
        r.secret_hash = self.hash(username);
        r
    }

    pub fn hash(&self, username: &str) -> Option<String> {
        self.client
            .client_secret
            .as_ref()
            .map(|s| code::secret_hash(s, username, CLIENT))
    }

    /// Signs a user up with an email and returns the code sent.
    pub fn sign_up(&self, username: &str, email: &str) -> String {
        self.driver
            .sign_up(self.sign_up_req(username, Some(email)))
            .unwrap();
        self.last_code()
    }

    pub fn last_code(&self) -> String {
        self.delivery.last().unwrap().code.as_str().to_owned()
    }

    pub fn confirm_req(&self, username: &str, code: &str) -> ConfirmSignUpRequest {
        let mut r = ConfirmSignUpRequest::new(CLIENT, username, code);
        r.secret_hash = self.hash(username);
        r
    }

    pub fn confirm(&self, username: &str, code: &str) -> Result<ConfirmSignUpResponse, Error> {
        self.driver
            .confirm_sign_up(self.confirm_req(username, code))
    }

    pub fn force(&self, username: &str, code: &str) -> Result<ConfirmSignUpResponse, Error> {
        let mut r = self.confirm_req(username, code);
        r.force_alias_creation = Some(true);
        self.driver.confirm_sign_up(r)
    }

    pub fn resend(&self, username: &str) -> Result<ResendConfirmationCodeResponse, Error> {
        let mut r = ResendConfirmationCodeRequest::new(CLIENT, username);
        r.secret_hash = self.hash(username);
        self.driver.resend_confirmation_code(r)
    }

    pub fn get(&self, username: &str) -> AdminGetUserResponse {
        self.driver
            .admin_get_user(AdminUserRequest::new(POOL, username))
            .unwrap()
    }

    pub fn status(&self, username: &str) -> String {
        self.get(username).user_status
    }

    pub fn records(&self) -> Vec<Versioned<UserRecord>> {
        self.store.inner.records(POOL).unwrap()
    }

    pub fn record(&self, username: &str) -> UserRecord {
        self.records()
            .into_iter()
            .map(|r| r.value)
            .find(|r| r.username == username)
            .unwrap()
    }

    /// A code that is not the user's (differs in the last digit).
    pub fn wrong(code: &str) -> String {
        let mut c: Vec<u8> = code.bytes().collect();
        let last = c.len() - 1;
        c[last] = if c[last] == b'9' { b'0' } else { c[last] + 1 };
        String::from_utf8(c).unwrap()
    }
}

/// The (name, message) of an error result.
pub fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> (String, String) {
    let e = r.unwrap_err();
    (e.name().to_owned(), e.message().to_owned())
}

pub fn pair(name: &str, message: &str) -> (String, String) {
    (name.to_owned(), message.to_owned())
}

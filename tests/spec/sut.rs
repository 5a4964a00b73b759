//! The system under test: the real driver over one store, with a manual clock, seeded
//! randomness, a scripted Lambda and an outbox that records every message (and fails on demand).
//!
//! The store is a `MemoryStore`, or, with `COGNITO_SIGNUP_SPEC_STORE=sqlite` or `=postgres` (and
//! `COGNITO_SIGNUP_TEST_POSTGRES` naming a server), a durable store: each system gets a fresh
//! database file or a fresh schema, so the same properties check the database adapters.

use crate::model::{Client, Config, PoolKind, Reply, Secret, Sent, T0};
use cognito_signup::code::secret_hash;
use cognito_signup::protocol::{InvokeFailure, LambdaReply, Trigger};
use cognito_signup::store::{DECOY_SUB, IndexKey, UserStore, Versioned};
use cognito_signup::{
    AliasAttribute, AppClient, Delivery, Driver, HostError, ManualClock, MemoryStore, Message,
    PreventUserExistenceErrors, RecordingLambda, SignUpPolicy, Timestamp, UserPool, UserRecord,
    VerifiableAttribute,
};
use cognito_signup_testkit::host::{HostBuilder, TestHost};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A store the properties can look inside.
pub(crate) trait Inspect: UserStore {
    /// Every record of a pool.
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>>;
    /// Every index entry of a pool.
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)>;
}

impl Inspect for MemoryStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

impl Inspect for cognito_signup_sqlite::SqliteStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

impl Inspect for cognito_signup_postgres::PostgresStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>> {
        self.records(pool).unwrap()
    }
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)> {
        self.index(pool).unwrap()
    }
}

/// Which store the systems under test use (`COGNITO_SIGNUP_SPEC_STORE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StoreKind {
    Memory,
    Sqlite,
    Postgres,
}

pub(crate) fn store_kind() -> StoreKind {
    match std::env::var("COGNITO_SIGNUP_SPEC_STORE").as_deref() {
        Ok("sqlite") => StoreKind::Sqlite,
        Ok("postgres") => StoreKind::Postgres,
        Ok("memory") | Err(_) => StoreKind::Memory,
        Ok(other) => {
            panic!("COGNITO_SIGNUP_SPEC_STORE={other}: expected memory, sqlite or postgres")
        }
    }
}

/// Removes a test database file's directory when the system is dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh, empty store of the chosen kind, and what must live as long as it.
fn fresh_store() -> (Arc<dyn Inspect>, Option<TempDir>) {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let unique = format!(
        "{}_{}_{}",
        std::process::id(),
        n,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    match store_kind() {
        StoreKind::Memory => (Arc::new(MemoryStore::new()), None),
        StoreKind::Sqlite => {
            let dir = std::env::temp_dir().join(format!("cognito-signup-spec-{unique}"));
            std::fs::create_dir_all(&dir).unwrap();
            let options = cognito_signup_sqlite::SqliteOptions::default()
                .synchronous(cognito_signup_sqlite::Synchronous::Normal);
            let store =
                cognito_signup_sqlite::SqliteStore::open_with(dir.join("users.db"), options)
                    .unwrap();
            (Arc::new(store), Some(TempDir(dir)))
        }
        StoreKind::Postgres => {
            let url = std::env::var("COGNITO_SIGNUP_TEST_POSTGRES")
                .expect("COGNITO_SIGNUP_SPEC_STORE=postgres needs COGNITO_SIGNUP_TEST_POSTGRES");
            // A schema per system; the throwaway cluster of .ci/db.sh is deleted afterwards.
            let options = cognito_signup_postgres::PostgresOptions::default()
                .schema(format!("spec_{unique}"));
            let store =
                cognito_signup_postgres::PostgresStore::connect_with(&url, options).unwrap();
            (Arc::new(store), None)
        }
    }
}

/// The pool id of every test.
pub(crate) const POOL: &str = "us-east-1_SpecPool";
/// The client secret (when clients have one).
pub(crate) const SECRET: &str = "client-secret-never-stored-0123456789";
/// The password of every sign-up.
pub(crate) const PASSWORD: &str = "Corr3ct-Horse-Battery!";
/// The message a failing function throws.
pub(crate) const FUNCTION_ERROR: &str = "Rejected by the test function";

/// An outbox: keeps every message, then fails the delivery when told to.
#[derive(Default)]
pub(crate) struct Outbox {
    sent: Mutex<Vec<Message>>,
    failing: AtomicBool,
}

/// The failure of a switched-off outbox.
#[derive(Debug)]
pub(crate) struct OutboxDown;

impl std::fmt::Display for OutboxDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the outbox is switched off")
    }
}

impl std::error::Error for OutboxDown {}

impl Outbox {
    /// Every message so far.
    pub(crate) fn messages(&self) -> Vec<Message> {
        self.sent.lock().unwrap().clone()
    }
    /// Makes later deliveries fail, or succeed.
    pub(crate) fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl Delivery for Outbox {
    fn deliver(&self, message: &Message) -> Result<(), HostError> {
        self.sent.lock().unwrap().push(message.clone());
        if self.failing.load(Ordering::SeqCst) {
            return Err(Box::new(OutboxDown));
        }
        Ok(())
    }
}

/// What the scripted functions answer next: (PreSignUp, PostConfirmation, CustomMessage).
pub(crate) type Replies = Arc<Mutex<(Reply, Reply, Reply)>>;

/// The message a CustomMessage function composes when told to (`Flags { confirm: true }`).
pub(crate) const CUSTOM_TEXT: &str = "Your code is {####}";

fn garbage(n: u8, pre: bool) -> Vec<u8> {
    match (n % 3, pre) {
        (0, _) => b"not json at all".to_vec(),
        (1, true) => br#"{"response": {"autoConfirmUser": "yes"}}"#.to_vec(),
        (1, false) => b"[1, 2, 3]".to_vec(),
        _ => br#"{"response": 42}"#.to_vec(),
    }
}

fn answer(reply: Reply, payload: &str, pre: bool) -> LambdaReply {
    match reply {
        Reply::Echo => LambdaReply::Returned(payload.as_bytes().to_vec()),
        Reply::Flags { confirm, .. } if payload.contains("\"CustomMessage_") => {
            let mut event: serde_json::Value = serde_json::from_str(payload).unwrap();
            let text = if confirm {
                CUSTOM_TEXT
            } else {
                "A message without the code"
            };
            event["response"]["emailMessage"] = text.into();
            event["response"]["smsMessage"] = text.into();
            LambdaReply::Returned(event.to_string().into_bytes())
        }
        Reply::Flags { confirm, verify } => {
            let mut event: serde_json::Value = serde_json::from_str(payload).unwrap();
            if pre {
                event["response"]["autoConfirmUser"] = confirm.into();
                event["response"]["autoVerifyEmail"] = verify.into();
            }
            LambdaReply::Returned(event.to_string().into_bytes())
        }
        Reply::FunctionError => LambdaReply::FunctionError {
            error_message: FUNCTION_ERROR.to_owned(),
            error_type: Some("Error".to_owned()),
        },
        Reply::Timeout => LambdaReply::InvokeFailed(InvokeFailure::Timeout),
        Reply::Garbage(n) => LambdaReply::Returned(garbage(n, pre)),
    }
}

/// The pool of a configuration.
pub(crate) fn pool_of(config: &Config) -> UserPool {
    let mut pool = UserPool::new(POOL);
    match config.kind {
        PoolKind::Plain => {}
        PoolKind::EmailAlias => {
            pool.alias_attributes.insert(AliasAttribute::Email);
        }
        PoolKind::EmailUsername => {
            pool.username_attributes.insert(VerifiableAttribute::Email);
        }
    }
    pool.auto_verified_attributes
        .insert(VerifiableAttribute::Email);
    if config.phone {
        pool.auto_verified_attributes
            .insert(VerifiableAttribute::PhoneNumber);
    }
    pool.username_configuration.case_sensitive = !config.case_insensitive;
    if config.pre_sign_up {
        pool.lambda_config.pre_sign_up = Some("arn:aws:lambda:us-east-1:1:function:pre".into());
    }
    if config.custom_message {
        pool.lambda_config.custom_message = Some("arn:aws:lambda:us-east-1:1:function:msg".into());
    }
    if config.post_confirmation {
        pool.lambda_config.post_confirmation =
            Some("arn:aws:lambda:us-east-1:1:function:post".into());
    }
    pool.sign_up_policy = if config.hardened {
        SignUpPolicy::hardened()
    } else {
        SignUpPolicy::cognito()
    };
    pool
}

/// The two clients of a configuration.
fn clients_of(config: &Config) -> [AppClient; 2] {
    [Client::Legacy, Client::Enabled].map(|c| {
        let mut client = AppClient::new(c.id());
        if config.secret {
            client.client_secret = Some(SECRET.to_owned());
        }
        if c == Client::Enabled {
            client.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
        }
        client
    })
}

/// The SecretHash a request carries.
pub(crate) fn secret_for(secret: Secret, username: &str, client: Client) -> Option<String> {
    match secret {
        Secret::Missing => None,
        Secret::Good => Some(secret_hash(SECRET, username, client.id())),
        Secret::Wrong => Some(secret_hash("some-other-secret", username, client.id())),
    }
}

/// The system under test.
pub(crate) struct Sut {
    /// The driver.
    pub(crate) driver: Driver<Arc<dyn Inspect>>,
    /// The store, shared with the driver.
    pub(crate) store: Arc<dyn Inspect>,
    /// The database file's directory, for the SQLite store.
    _dir: Option<TempDir>,
    /// The clock.
    pub(crate) clock: Arc<ManualClock>,
    /// The functions.
    pub(crate) lambda: Arc<RecordingLambda>,
    /// What the functions answer next.
    pub(crate) replies: Replies,
    /// The outbox.
    pub(crate) outbox: Arc<Outbox>,
    /// The `sub` of each model user.
    pub(crate) subs: Vec<String>,
    /// The code of each issuance.
    pub(crate) codes: Vec<String>,
    /// The fake destination of each name (folded) that got one: a name's are all alike.
    pub(crate) simulated: std::collections::HashMap<String, String>,
    /// PostConfirmation invocations per `sub`, counted by `count_post_confirmations`.
    pub(crate) posts: BTreeMap<String, u32>,
    /// Invocations already counted.
    calls_seen: usize,
}

impl Sut {
    /// A system for a configuration, at `T0`.
    pub(crate) fn new(config: &Config, seed: u8) -> Self {
        let (store, dir) = fresh_store();
        let replies: Replies = Arc::new(Mutex::new((Reply::Echo, Reply::Echo, Reply::Echo)));
        let r = Arc::clone(&replies);
        let lambda = Arc::new(RecordingLambda::with_handler(move |inv| {
            let (pre, post, custom) = *r.lock().unwrap();
            match inv.trigger {
                Trigger::PreSignUp => answer(pre, &inv.payload, true),
                Trigger::PostConfirmation => answer(post, &inv.payload, false),
                _ => answer(custom, &inv.payload, false),
            }
        }));
        let [legacy, enabled] = clients_of(config);
        let TestHost {
            driver,
            clock,
            delivery: outbox,
            lambda,
        } = HostBuilder::new(pool_of(config))
            .client(legacy)
            .client(enabled)
            .keys(&[[0x42; 32]])
            .start(Timestamp::from_millis(T0))
            .seeded([seed; 32])
            .lambda(lambda)
            .delivery(Arc::new(Outbox::default()))
            .build(Arc::clone(&store));
        Self {
            driver,
            store,
            _dir: dir,
            clock,
            lambda,
            replies,
            outbox,
            subs: Vec::new(),
            codes: Vec::new(),
            simulated: std::collections::HashMap::new(),
            posts: BTreeMap::new(),
            calls_seen: 0,
        }
    }

    /// The text a name is sent as.
    pub(crate) fn text(&self, sent: &Sent) -> String {
        match sent {
            Sent::Text(t) => t.clone(),
            Sent::SubOf(i) => self.subs[*i].clone(),
        }
    }

    /// Every user's record by `sub` (the pool's decoy is not a user: see [`Sut::decoy`]).
    pub(crate) fn records(&self) -> BTreeMap<String, Versioned<UserRecord>> {
        self.store
            .all_records(POOL)
            .into_iter()
            .filter(|r| !r.value.is_decoy())
            .map(|r| (r.value.sub.to_string(), r))
            .collect()
    }

    /// Every index entry of a user (the decoy's own entry apart).
    pub(crate) fn index(&self) -> BTreeMap<IndexKey, String> {
        self.store
            .all_index(POOL)
            .into_iter()
            .filter(|(k, _)| *k != IndexKey::decoy())
            .collect()
    }

    /// The pool's decoy record and every index key that reaches it, once an ENABLED
    /// ConfirmSignUp for a missing user has created it.
    pub(crate) fn decoy(&self) -> (Option<Versioned<UserRecord>>, Vec<IndexKey>) {
        let record = self
            .store
            .all_records(POOL)
            .into_iter()
            .find(|r| r.value.is_decoy());
        let keys = self
            .store
            .all_index(POOL)
            .into_iter()
            .filter(|(_, sub)| sub == DECOY_SUB)
            .map(|(k, _)| k)
            .collect();
        (record, keys)
    }

    /// Codes delivered since `from`, appended to `codes`.
    pub(crate) fn collect_codes(&mut self) {
        let messages = self.outbox.messages();
        for m in &messages[self.codes.len()..] {
            self.codes.push(m.code.as_str().to_owned());
        }
    }

    /// Counts the PostConfirmation invocations made since the last call into `posts`, and
    /// returns them.
    pub(crate) fn post_confirmations(&mut self) -> &BTreeMap<String, u32> {
        let calls = self.lambda.calls();
        for call in &calls[self.calls_seen..] {
            if call.trigger != Trigger::PostConfirmation {
                continue;
            }
            let event: serde_json::Value = serde_json::from_str(&call.payload).unwrap();
            let sub = event["request"]["userAttributes"]["sub"]
                .as_str()
                .unwrap()
                .to_owned();
            *self.posts.entry(sub).or_insert(0) += 1;
        }
        self.calls_seen = calls.len();
        &self.posts
    }
}

/// Index key of an email in the pool's folding.
pub(crate) fn email_key(config: &Config, email: &str) -> IndexKey {
    let folded = if config.case_insensitive {
        email.to_lowercase()
    } else {
        email.to_owned()
    };
    IndexKey::alias(AliasAttribute::Email, &folded)
}

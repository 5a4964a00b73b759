//! A test host over any store, the invariants every store must keep after any mix of
//! operations, and the operation flows run through `Driver` against a real database.

use cognito_signup::store::{DECOY_SUB, IndexKey, UserStore, Versioned};
use cognito_signup::*;
use cognito_signup_testkit::host::HostBuilder;
use cognito_signup_testkit::invariants;
use std::sync::Arc;
use std::time::Duration;

pub const POOL: &str = "us-east-1_Durable";
pub const CLIENT: &str = "durableclient";
/// A client with PreventUserExistenceErrors=ENABLED: missing users are hidden ([hide-same-work]),
/// and a ConfirmSignUp for one counts a failure on the pool's decoy record (`DECOY_SUB`).
pub const HIDDEN_CLIENT: &str = "hiddenclient";
pub const PASSWORD: &str = "Corr3ct-Horse";
pub const START: Timestamp = Timestamp::from_secs(1_795_000_000);

/// What the tests read back from a store besides `find`.
pub trait Inspect: UserStore {
    fn all_records(&self, pool: &str) -> Vec<Versioned<UserRecord>>;
    fn all_index(&self, pool: &str) -> Vec<(IndexKey, String)>;
    /// The database's own consistency check, where it has one.
    fn check_integrity(&self) -> Result<(), String> {
        Ok(())
    }
}

/// A fresh store, with whatever must live as long as it (a temporary directory, a schema).
pub struct Fixture<S> {
    pub store: Arc<S>,
    pub _guard: Box<dyn std::any::Any>,
}

/// The pool of every flow: case-insensitive usernames, email as an alias, verified by code.
/// Commit retries are raised so that heavy contention in the cross-process tests ends in
/// decisions rather than in InternalErrorException.
pub fn pool() -> UserPool {
    let mut pool = UserPool::from_json(&format!(
        r#"{{"UserPool": {{
            "Id": "{POOL}",
            "AliasAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "UsernameConfiguration": {{"CaseSensitive": false}}
        }}}}"#
    ))
    .unwrap();
    pool.sign_up_policy.max_commit_attempts = 1_000;
    pool
}

pub struct TestHost<S: UserStore> {
    pub driver: Driver<Arc<S>>,
    pub delivery: Arc<RecordingDelivery>,
    pub clock: Arc<ManualClock>,
}

/// A driver over `store` with a manual clock, recording delivery, no rate limit and fast
/// password hashing (the test-support crate's host). Randomness comes from the OS so that
/// several processes never draw the same `sub`.
pub fn host<S: UserStore>(store: Arc<S>) -> TestHost<S> {
    let mut hidden = AppClient::new(HIDDEN_CLIENT);
    hidden.prevent_user_existence_errors = PreventUserExistenceErrors::Enabled;
    let kit = HostBuilder::new(pool())
        .client(AppClient::new(CLIENT))
        .client(hidden)
        .keys(&[[7; 32]])
        .start(START)
        .build(store);
    TestHost {
        driver: kit.driver,
        delivery: kit.delivery,
        clock: kit.clock,
    }
}

impl<S: UserStore> TestHost<S> {
    /// Signs a user up with an email and returns the code delivered.
    pub fn sign_up(&self, username: &str, email: &str) -> String {
        self.driver
            .sign_up(SignUpRequest::new(CLIENT, username, PASSWORD).attribute("email", email))
            .unwrap();
        self.delivery.last().unwrap().code.as_str().to_owned()
    }

    pub fn confirm(&self, username: &str, code: &str, force: bool) -> Result<(), Error> {
        let mut r = ConfirmSignUpRequest::new(CLIENT, username, code);
        r.force_alias_creation = Some(force);
        self.driver.confirm_sign_up(r).map(|_| ())
    }

    pub fn get(&self, username: &str) -> AdminGetUserResponse {
        self.driver
            .admin_get_user(AdminUserRequest::new(POOL, username))
            .unwrap()
    }
}

/// A code that is not `code` (the last digit differs).
pub fn wrong(code: &str) -> String {
    let mut c: Vec<u8> = code.bytes().collect();
    let last = c.len() - 1;
    c[last] = if c[last] == b'9' { b'0' } else { c[last] + 1 };
    String::from_utf8(c).unwrap()
}

/// What must hold in the pool of [`pool`] after any mix of committed operations: the store
/// invariants of `cognito_signup_testkit::invariants` (index structure, the decoy, aliases,
/// limits, no password in the clear).
pub fn check_invariants<S: Inspect>(store: &S) -> Result<(), String> {
    let index = store.all_index(POOL);
    invariants::check(
        &pool(),
        &store.all_records(POOL),
        index.iter().map(|(k, s)| (k, s)),
        &[],
        &[PASSWORD],
    )
}

macro_rules! flow_tests {
    ($make:path) => {
        flow_tests!(@tests $make; sign_up_then_confirm, wrong_codes_until_the_lockout,
            alias_moves_only_with_force_alias_creation, resend_supersedes_the_code,
            admin_confirm_and_disable, hidden_failures_are_written_to_the_decoy_or_the_user);
    };
    (@tests $make:path; $($name:ident),+) => {
        $(
            #[test]
            fn $name() {
                if let Some(fixture) = $make(stringify!($name)) {
                    $crate::host::$name(fixture.store.clone());
                }
            }
        )+
    };
}

pub fn sign_up_then_confirm<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    let code = h.sign_up("Alice", "Alice@Example.com");
    assert_eq!(h.get("alice").user_status, "UNCONFIRMED");
    h.confirm("ALICE", &code, false).unwrap();
    let alice = h.get("alice@example.com");
    assert_eq!(alice.username, "Alice");
    assert_eq!(alice.user_status, "CONFIRMED");
    assert_eq!(alice.attribute("email_verified"), Some("true"));
    let records = store.all_records(POOL);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].version, 2,
        "sign-up wrote version 1, the confirmation 2"
    );
    assert!(records[0].value.code.is_none(), "the code is consumed");
    assert_eq!(
        err_name(h.confirm("alice", &code, false)),
        "NotAuthorizedException",
        "a second confirmation is refused"
    );
    check_invariants(&*store).unwrap();
}

pub fn wrong_codes_until_the_lockout<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    let code = h.sign_up("bob", "bob@example.com");
    let bad = wrong(&code);
    for i in 0..15 {
        h.clock.advance(Duration::from_secs(60));
        assert_eq!(
            err_name(h.confirm("bob", &bad, false)),
            "CodeMismatchException",
            "try {i}"
        );
    }
    assert_eq!(
        err_name(h.confirm("bob", &code, false)),
        "LimitExceededException"
    );
    assert_eq!(
        err_name(h.confirm("bob", &bad, false)),
        "LimitExceededException"
    );
    let rec = store.all_records(POOL).pop().unwrap();
    assert_eq!(
        rec.value.failed_confirmations.len(),
        15,
        "every failure durably counted"
    );
    assert_eq!(
        rec.version, 16,
        "one commit per counted failure, none per lockout"
    );
    // The window slides: an hour after the first failure the right code works.
    h.clock.advance(Duration::from_secs(46 * 60));
    h.confirm("bob", &code, false).unwrap();
    assert_eq!(h.get("bob").user_status, "CONFIRMED");
    check_invariants(&*store).unwrap();
}

pub fn alias_moves_only_with_force_alias_creation<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a, false).unwrap();
    let b = h.sign_up("bob", "Shared@Example.com");
    assert_eq!(
        err_name(h.confirm("bob", &b, false)),
        "AliasExistsException"
    );
    assert_eq!(h.get("shared@example.com").username, "alice");
    check_invariants(&*store).unwrap();
    h.confirm("bob", &b, true).unwrap();
    assert_eq!(
        h.get("SHARED@example.com").username,
        "bob",
        "the alias moved"
    );
    let alice = h.get("alice");
    assert_eq!(alice.attribute("email_verified"), Some("false"));
    assert_eq!(
        alice.attribute("email"),
        Some("shared@example.com"),
        "value kept"
    );
    assert_eq!(h.get("bob").attribute("email_verified"), Some("true"));
    let holders = store
        .all_index(POOL)
        .into_iter()
        .filter(|(k, _)| k.as_str().starts_with("a:email:"))
        .count();
    assert_eq!(holders, 1);
    check_invariants(&*store).unwrap();
}

pub fn resend_supersedes_the_code<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    let first = h.sign_up("carol", "carol@example.com");
    h.driver
        .resend_confirmation_code(ResendConfirmationCodeRequest::new(CLIENT, "carol"))
        .unwrap();
    let second = h.delivery.last().unwrap().code.as_str().to_owned();
    if first != second {
        assert_eq!(
            err_name(h.confirm("carol", &first, false)),
            "CodeMismatchException"
        );
    }
    h.confirm("carol", &second, false).unwrap();
    assert_eq!(h.get("carol").user_status, "CONFIRMED");
    check_invariants(&*store).unwrap();
}

pub fn admin_confirm_and_disable<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    h.sign_up("dave", "dave@example.com");
    h.driver
        .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "dave"))
        .unwrap();
    assert_eq!(h.get("dave").user_status, "CONFIRMED");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dave"))
        .unwrap();
    assert!(!h.get("dave").enabled);
    h.driver
        .admin_enable_user(AdminUserRequest::new(POOL, "dave"))
        .unwrap();
    assert!(h.get("dave").enabled);
    assert_eq!(store.all_records(POOL)[0].version, 4);
    check_invariants(&*store).unwrap();
}

/// Under ENABLED ([hide-same-work]) a wrong code costs the store one compare-and-swap write whoever
/// it names: a missing user's goes to the pool's decoy record (created by the first one, with the
/// key `d:`), a present or disabled user's to that user's record.
pub fn hidden_failures_are_written_to_the_decoy_or_the_user<S: Inspect>(store: Arc<S>) {
    let h = host(store.clone());
    let code = h.sign_up("alice", "alice@example.com");
    h.sign_up("bob", "bob@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "bob"))
        .unwrap();
    let hidden_confirm = |user: &str| {
        let r = ConfirmSignUpRequest::new(HIDDEN_CLIENT, user, wrong(&code));
        err_name(h.driver.confirm_sign_up(r))
    };
    let version_of = |username: &str| {
        let mut found = store
            .all_records(POOL)
            .into_iter()
            .filter(|r| r.value.username == username && !r.value.is_decoy());
        let r = found.next().unwrap();
        assert!(found.next().is_none());
        r.version
    };
    let decoys = || -> Vec<Versioned<UserRecord>> {
        store
            .all_records(POOL)
            .into_iter()
            .filter(|r| r.value.sub == DECOY_SUB)
            .collect()
    };
    let decoy_keys = || -> Vec<(IndexKey, String)> {
        store
            .all_index(POOL)
            .into_iter()
            .filter(|(k, sub)| k.as_str() == "d:" || sub == DECOY_SUB)
            .collect()
    };
    let (records, keys) = (store.all_records(POOL).len(), store.all_index(POOL).len());
    assert_eq!((version_of("alice"), version_of("bob")), (1, 2));
    assert!(decoys().is_empty() && decoy_keys().is_empty());

    // The first missing user creates the decoy: one row, one index entry, nothing else.
    assert_eq!(hidden_confirm("nobody"), "CodeMismatchException");
    let decoy = decoys();
    assert_eq!(decoy.len(), 1);
    assert_eq!(decoy[0].version, 1);
    assert!(decoy[0].value.is_decoy());
    assert!(decoy[0].value.failed_confirmations.is_empty());
    assert_eq!(
        decoy_keys(),
        vec![(IndexKey::decoy(), DECOY_SUB.to_owned())]
    );
    assert_eq!(store.all_records(POOL).len(), records + 1);
    assert_eq!(store.all_index(POOL).len(), keys + 1);

    // The next one, whatever the name, counts a failure on it.
    assert_eq!(hidden_confirm("somebody-else"), "CodeMismatchException");
    let decoy = decoys();
    assert_eq!(decoy.len(), 1);
    assert_eq!(decoy[0].version, 2);
    assert_eq!(decoy[0].value.failed_confirmations.len(), 1);
    assert_eq!(decoy_keys().len(), 1);
    assert_eq!(store.all_records(POOL).len(), records + 1);
    assert_eq!(store.all_index(POOL).len(), keys + 1);
    assert_eq!((version_of("alice"), version_of("bob")), (1, 2));

    // A present user's wrong code, and a disabled user's, count on their own records.
    assert_eq!(hidden_confirm("alice"), "CodeMismatchException");
    assert_eq!((version_of("alice"), version_of("bob")), (2, 2));
    assert_eq!(hidden_confirm("bob"), "CodeMismatchException");
    assert_eq!((version_of("alice"), version_of("bob")), (2, 3));
    assert_eq!(decoys()[0].version, 2, "the decoy is left alone");
    assert_eq!(h.get("alice").user_status, "UNCONFIRMED");
    check_invariants(&*store).unwrap();
}

pub fn err_name<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().name()
}

//! The shape of the public API: how errors print, the request builders, where seeds come from,
//! and the kinds of needs.

use crate::harness::*;
use cognito_signup::ops::{AdminGetUser, ConfirmSignUp, ResendConfirmationCode, SignUp};
use cognito_signup::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

const SECRET: &str = "clientsecretvalue123";

// ---------------------------------------------------------------------------------------------
// Display

#[test]
fn an_error_displays_as_its_exception_name_then_its_message() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let e = h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CodeMismatchException: Invalid verification code provided, please try again."
    );
    // The wire's message member is the message alone.
    assert_eq!(
        e.message(),
        "Invalid verification code provided, please try again."
    );
}

#[test]
fn a_displayed_error_holds_no_code_or_secret_hash() {
    let h = host().secret(SECRET).build();
    let code = h.sign_up("alice", "alice@example.com");
    let wrong = Host::wrong(&code);
    let bad_hash = code::secret_hash("another-secret", "alice", CLIENT);
    let mismatch = h
        .driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "alice", wrong.as_str())
                .with_secret_hash_from(SECRET),
        )
        .unwrap_err();
    let unverified = h
        .driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "alice", code.as_str()).secret_hash(&bad_hash),
        )
        .unwrap_err();
    assert_eq!(
        unverified.to_string(),
        "NotAuthorizedException: Unable to verify secret hash for client testclient"
    );
    for shown in [mismatch.to_string(), unverified.to_string()] {
        for secret in [code.as_str(), wrong.as_str(), bad_hash.as_str(), SECRET] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SecretHash and the client secret

#[test]
fn the_computed_secret_hash_is_cognitos_known_value() {
    // Base64(HMAC-SHA256(key "clientsecretvalue123", "alice" ‖ "testclient")), computed
    // independently of this crate.
    const KNOWN: &str = "nLyBdE0OoQKsXifkzqiH62rPYbGvlEsRst5pWwrA4nA=";
    assert_eq!(code::secret_hash(SECRET, "alice", CLIENT), KNOWN);
    let confirm =
        ConfirmSignUpRequest::new(CLIENT, "alice", "123456").with_secret_hash_from(SECRET);
    let sign_up = SignUpRequest::new(CLIENT, "alice", PASSWORD).with_secret_hash_from(SECRET);
    let resend = ResendConfirmationCodeRequest::new(CLIENT, "alice").with_secret_hash_from(SECRET);
    assert_eq!(confirm.secret_hash.as_deref(), Some(KNOWN));
    assert_eq!(sign_up.secret_hash.as_deref(), Some(KNOWN));
    assert_eq!(resend.secret_hash.as_deref(), Some(KNOWN));
}

#[test]
fn computed_secret_hashes_are_accepted_by_a_client_given_its_secret_by_builder() {
    let mut b = host();
    b.client = AppClient::new(CLIENT).with_secret(SECRET);
    let h = b.build();
    // The client now needs a SecretHash.
    assert_eq!(
        err(h
            .driver
            .sign_up(SignUpRequest::new(CLIENT, "alice", PASSWORD))),
        pair(
            "NotAuthorizedException",
            "Client testclient is configured for secret but secret was not received"
        )
    );
    h.driver
        .sign_up(
            SignUpRequest::new(CLIENT, "alice", PASSWORD)
                .attribute("email", "alice@example.com")
                .with_secret_hash_from(SECRET),
        )
        .unwrap();
    h.driver
        .resend_confirmation_code(
            ResendConfirmationCodeRequest::new(CLIENT, "alice").with_secret_hash_from(SECRET),
        )
        .unwrap();
    let code = h.last_code();
    h.driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "alice", code.as_str()).with_secret_hash_from(SECRET),
        )
        .unwrap();
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn a_client_secret_set_by_builder_replaces_the_earlier_one() {
    let mut b = host();
    b.client = AppClient::new(CLIENT)
        .with_secret("old-secret")
        .with_secret(SECRET);
    let h = b.build();
    let old = h
        .driver
        .sign_up(SignUpRequest::new(CLIENT, "alice", PASSWORD).with_secret_hash_from("old-secret"));
    assert_eq!(
        err(old),
        pair(
            "NotAuthorizedException",
            "Unable to verify secret hash for client testclient"
        )
    );
    h.driver
        .sign_up(SignUpRequest::new(CLIENT, "alice", PASSWORD).with_secret_hash_from(SECRET))
        .unwrap();
}

#[test]
fn prevent_user_existence_errors_set_by_builder_hides_a_missing_user() {
    let mut b = host();
    b.client = AppClient::new(CLIENT)
        .with_prevent_user_existence_errors(PreventUserExistenceErrors::Enabled);
    let h = b.build();
    // LEGACY would answer UserNotFoundException.
    assert_eq!(
        err(h.confirm("nobody", "123456")).0,
        "CodeMismatchException"
    );
}

// ---------------------------------------------------------------------------------------------
// The other optional members

#[test]
fn force_alias_creation_set_by_builder_moves_the_alias() {
    let h = host().email_alias().build();
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a).unwrap();
    let b = h.sign_up("bob", "shared@example.com");
    assert_eq!(
        err(h.driver.confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "bob", b.as_str()).force_alias_creation(false)
        ))
        .0,
        "AliasExistsException"
    );
    h.driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "bob", b.as_str()).force_alias_creation(true),
        )
        .unwrap();
    assert_eq!(h.get("shared@example.com").username, "bob");
    assert_eq!(h.get("alice").attribute("email_verified"), Some("false"));
}

#[test]
fn validation_data_and_client_metadata_set_by_builder_reach_pre_sign_up() {
    let h = host().pre_sign_up().build();
    h.driver
        .sign_up(
            SignUpRequest::new(CLIENT, "alice", PASSWORD)
                .validation_data("invite", "x7")
                .validation_data("team", "blue")
                .client_metadata("source", "web")
                .client_metadata("source", "app"),
        )
        .unwrap();
    let e = &h.lambda.events("PreSignUp_SignUp")[0];
    assert_eq!(
        e["request"]["validationData"],
        serde_json::json!({"invite": "x7", "team": "blue"})
    );
    assert_eq!(
        e["request"]["clientMetadata"],
        serde_json::json!({"source": "app"})
    );
}

#[test]
fn client_metadata_set_by_builder_reaches_post_confirmation() {
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "alice", code.as_str()).client_metadata("k", "v"),
        )
        .unwrap();
    h.sign_up("bob", "bob@example.com");
    h.driver
        .admin_confirm_sign_up(
            AdminConfirmSignUpRequest::new(POOL, "bob").client_metadata("by", "admin"),
        )
        .unwrap();
    // AdminConfirmSignUp fires the same trigger source, as Cognito does.
    let events = h.lambda.events("PostConfirmation_ConfirmSignUp");
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0]["request"]["clientMetadata"],
        serde_json::json!({"k": "v"})
    );
    assert_eq!(
        events[1]["request"]["clientMetadata"],
        serde_json::json!({"by": "admin"})
    );
}

#[test]
fn client_metadata_set_by_builder_reaches_custom_message_on_resend() {
    let h = host().custom_message().build();
    h.sign_up("alice", "alice@example.com");
    h.driver
        .resend_confirmation_code(
            ResendConfirmationCodeRequest::new(CLIENT, "alice").client_metadata("why", "lost"),
        )
        .unwrap();
    let events = h.lambda.events("CustomMessage_ResendCode");
    assert_eq!(
        events[0]["request"]["clientMetadata"],
        serde_json::json!({"why": "lost"})
    );
}

#[test]
fn user_context_data_set_by_builder_reaches_the_guard() {
    let h = host().build();
    let context = UserContextData::new("encoded").ip_address("203.0.113.9");
    h.driver
        .sign_up(
            SignUpRequest::new(CLIENT, "alice", PASSWORD)
                .attribute("email", "alice@example.com")
                .user_context_data(context.clone())
                .analytics_metadata(AnalyticsMetadata::new("endpoint-1")),
        )
        .unwrap();
    h.driver
        .resend_confirmation_code(
            ResendConfirmationCodeRequest::new(CLIENT, "alice").user_context_data(context.clone()),
        )
        .unwrap();
    let seen = h.guard.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    for s in seen {
        assert_eq!(s.user_context_data.as_ref(), Some(&context));
    }
}

#[test]
fn a_session_set_by_builder_is_checked_for_shape() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let short = h.driver.confirm_sign_up(
        ConfirmSignUpRequest::new(CLIENT, "alice", code.as_str()).session("short"),
    );
    assert_eq!(
        err(short),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value at 'session' failed to satisfy constraint: Member must have length greater than or equal to 20"
        )
    );
    h.driver
        .confirm_sign_up(
            ConfirmSignUpRequest::new(CLIENT, "alice", code.as_str()).session("s".repeat(30)),
        )
        .unwrap();
}

#[test]
fn a_passwordless_request_by_constructor_signs_up_without_a_password() {
    let h = host().build();
    // A pool that needs passwords answers as for a missing member.
    assert_eq!(
        err(h
            .driver
            .sign_up(SignUpRequest::without_password(CLIENT, "alice"))),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// Randomness that repeats itself: every seed is the same.
struct Repeating;

impl Randomness for Repeating {
    fn fill(&self, dest: &mut [u8; 32]) -> Result<(), HostError> {
        *dest = [3; 32];
        Ok(())
    }
}

#[test]
fn a_sign_up_whose_generated_sub_is_taken_says_so_and_writes_nothing() {
    let h = host().randomness(Arc::new(Repeating)).build();
    let alice = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    let records = h.records();
    let index = h.store.inner.index(POOL).unwrap();
    let commits = h.store.commits.load(Ordering::SeqCst);
    let e = h
        .driver
        .sign_up(h.sign_up_req("bob", Some("bob@example.com")))
        .unwrap_err();
    assert_eq!(
        (e.name(), e.message()),
        (
            "InternalErrorException",
            "The generated sub is already taken: an operation's seed was reused, or the host's randomness repeats."
        )
    );
    assert_eq!(h.records(), records, "nothing written");
    assert_eq!(h.store.inner.index(POOL).unwrap(), index);
    assert_eq!(
        h.store.commits.load(Ordering::SeqCst),
        commits + 1,
        "one commit attempt, not a retry per allowed attempt"
    );
    assert_eq!(h.get(&alice.user_sub).username, "alice");
}

#[test]
fn a_sign_up_in_a_username_attribute_pool_with_a_taken_sub_says_so() {
    let h = host()
        .email_username()
        .randomness(Arc::new(Repeating))
        .build();
    h.driver
        .sign_up(SignUpRequest::new(CLIENT, "alice@example.com", PASSWORD))
        .unwrap();
    let records = h.records();
    let e = h
        .driver
        .sign_up(SignUpRequest::new(CLIENT, "bob@example.com", PASSWORD))
        .unwrap_err();
    assert_eq!(e.name(), "InternalErrorException");
    assert_eq!(e.message(), error::messages::SUB_TAKEN);
    assert_eq!(h.records(), records);
}

#[test]
fn a_race_on_the_username_is_still_username_exists_after_the_sub_check() {
    // Spurious conflicts re-read with the sub too; a free sub goes on to commit.
    let h = host().build();
    h.store.conflict_commits.store(2, Ordering::SeqCst);
    h.driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    assert_eq!(h.store.commits.load(Ordering::SeqCst), 3);
    assert_eq!(h.status("alice"), "UNCONFIRMED");
}

#[test]
fn seeded_randomness_gives_successive_seeds_that_differ_and_repeat_per_base() {
    let draw = |base: u8| {
        let r = SeededRandomness::new([base; 32]);
        (Seed::generate(&r).unwrap(), Seed::generate(&r).unwrap())
    };
    let (a1, a2) = draw(1);
    assert_ne!(a1, a2);
    let (b1, b2) = draw(1);
    assert_eq!((a1, a2), (b1, b2), "reproducible from its base");
    // Two drivers over the same base draw the same subs: the tests' determinism.
    let subs = || {
        let h = host().build();
        h.driver
            .sign_up(h.sign_up_req("alice", None))
            .unwrap()
            .user_sub
    };
    assert_eq!(subs(), subs());
}

/// Randomness that fails.
struct Broken;

impl Randomness for Broken {
    fn fill(&self, _: &mut [u8; 32]) -> Result<(), HostError> {
        Err("no entropy".into())
    }
}

#[test]
fn failing_randomness_is_an_internal_error_with_its_source() {
    let e = Seed::generate(&Broken).unwrap_err();
    assert_eq!(
        (e.name(), e.message()),
        ("InternalErrorException", "Internal error encountered.")
    );
    assert_eq!(
        std::error::Error::source(&e).map(|s| s.to_string()),
        Some("no entropy".to_owned())
    );
    let h = host().randomness(Arc::new(Broken)).build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice", None))).0,
        "InternalErrorException"
    );
    assert!(h.records().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Need::kind

fn kinds_of<O: Operation>(h: &Host, op: O) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    let mut step = op.start();
    loop {
        match step {
            Step::Done(_) => return kinds,
            Step::Need(need) => {
                kinds.push(need.kind());
                step = h.driver.answer(need);
            }
        }
    }
}

#[test]
fn need_kinds_name_what_each_step_asks_for() {
    let h = host().post_confirmation().build();
    let sign_up = SignUp::new(
        h.sign_up_req("alice", Some("alice@example.com")),
        START,
        h.driver.seed().unwrap(),
    );
    assert_eq!(
        kinds_of(&h, sign_up),
        [
            "client", "guard", "throttle", "find", "hash", "commit", "deliver"
        ]
    );
    let code = h.last_code();
    let confirm = ConfirmSignUp::new(h.confirm_req("alice", &code), START);
    assert_eq!(
        kinds_of(&h, confirm),
        ["client", "guard", "throttle", "find", "commit", "invoke"]
    );
    let get = AdminGetUser::new(AdminUserRequest::new(POOL, "alice"), START);
    assert_eq!(kinds_of(&h, get), ["pool", "find"]);
    // Under ENABLED, a resend to a missing name is counted as a hidden resend.
    let h = host().enabled().build();
    let resend = ResendConfirmationCode::new(
        ResendConfirmationCodeRequest::new(CLIENT, "nobody"),
        START,
        h.driver.seed().unwrap(),
    );
    assert_eq!(
        kinds_of(&h, resend),
        ["client", "guard", "throttle", "find", "hidden_resend"]
    );
}

// ---------------------------------------------------------------------------------------------
// The hash need

/// Drives a SignUp from the driver up to its password hash.
fn until_hash(h: &Host, op: SignUp) -> ops::HashPassword<SignUp> {
    let mut step = op.start();
    loop {
        match step {
            Step::Need(Need::Hash(hash)) => return hash,
            Step::Need(need) => step = h.driver.answer(need),
            Step::Done(r) => panic!("finished before hashing: {:?}", r.map(|_| ())),
        }
    }
}

/// Drives an operation to its end from the driver.
fn finish_from<O: Operation>(h: &Host, mut step: Step<O>) -> Result<O::Output, Error> {
    loop {
        match step {
            Step::Done(r) => return r,
            Step::Need(need) => step = h.driver.answer(need),
        }
    }
}

fn sign_up_op(h: &Host, username: &str) -> SignUp {
    SignUp::new(
        h.sign_up_req(username, Some("alice@example.com")),
        START,
        h.driver.seed().unwrap(),
    )
}

#[test]
fn a_sign_up_that_cannot_succeed_never_asks_to_hash() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    // The name is taken: the lookup answers before any hashing.
    assert_eq!(
        kinds_of(&h, sign_up_op(&h, "alice")),
        ["client", "guard", "throttle", "find"]
    );
    // A password the policy refuses is refused before any hashing.
    let weak = SignUp::new(
        SignUpRequest::new(CLIENT, "bob", "short"),
        START,
        h.driver.seed().unwrap(),
    );
    assert_eq!(kinds_of(&h, weak), ["client", "guard", "throttle", "find"]);
}

#[test]
fn a_hash_answered_on_another_thread_with_a_permit_signs_the_user_up() {
    let h = host().build();
    let need = until_hash(&h, sign_up_op(&h, "alice"));
    let permit = h.driver.hasher().try_acquire().unwrap();
    // The continuation is `Send + 'static`: it goes to another thread and its step comes back.
    let step = std::thread::spawn(move || need.hash_with_permit(permit))
        .join()
        .unwrap();
    assert_eq!(
        h.driver.hasher().busy(),
        0,
        "the permit's slot is free again"
    );
    let response = finish_from(&h, step).unwrap();
    assert!(!response.user_confirmed);
    let phc = h.record("alice").password.unwrap();
    assert!(phc.as_phc().starts_with("$argon2id$v=19$"));
}

#[test]
fn a_refused_hash_ends_sign_up_with_that_error_and_commits_nothing() {
    let h = host().build();
    let need = until_hash(&h, sign_up_op(&h, "alice"));
    let Step::Done(r) = need.refuse(Error::new(Exception::TooManyRequests, "Rate exceeded")) else {
        panic!("a refused hash ends the operation")
    };
    assert_eq!(err(r), pair("TooManyRequestsException", "Rate exceeded"));
    assert!(h.records().is_empty());
}

#[test]
fn a_failed_hash_is_internal_error_with_its_source_and_commits_nothing() {
    let h = host().build();
    let need = until_hash(&h, sign_up_op(&h, "alice"));
    let Step::Done(r) = need.fail("the blocking task was cancelled".into()) else {
        panic!("a failed hash ends the operation")
    };
    let e = r.unwrap_err();
    assert_eq!(e.name(), "InternalErrorException");
    assert_eq!(
        std::error::Error::source(&e).map(ToString::to_string),
        Some("the blocking task was cancelled".to_owned())
    );
    assert!(h.records().is_empty());
}

#[test]
fn a_hash_need_shows_neither_the_password_nor_the_salt() {
    let h = host().build();
    let need = until_hash(&h, sign_up_op(&h, "alice"));
    let shown = format!("{:?}", Need::Hash(need));
    assert_eq!(shown, "HashPassword { .. }");
    assert!(!shown.contains(PASSWORD));
}

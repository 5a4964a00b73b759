//! [confirm-order]: shape; client; request guard; throttle; SecretHash; user lookup; disabled user;
//! attempt limits; status; code; alias conflict; commit; PostConfirmation. Each test makes two
//! adjacent checks fail at once and asserts that the earlier one answers.

use crate::harness::*;
use cognito_signup::*;
use std::sync::atomic::Ordering;

fn empty_bucket(b: Builder) -> Builder {
    b.pool(|p| {
        p.sign_up_policy.user_creation_rate = 1;
        p.sign_up_policy.user_creation_burst = 1;
    })
}

#[test]
fn shape_before_client() {
    let h = host().build();
    let r = h
        .driver
        .confirm_sign_up(ConfirmSignUpRequest::new("unknownclient", "alice", ""));
    assert_eq!(err(r).0, "InvalidParameterException");
}

#[test]
fn client_before_guard() {
    let h = host().build();
    h.guard.block.store(true, Ordering::SeqCst);
    let r = h.driver.confirm_sign_up(ConfirmSignUpRequest::new(
        "unknownclient",
        "alice",
        "123456",
    ));
    assert_eq!(err(r).0, "ResourceNotFoundException");
}

#[test]
fn guard_before_throttle() {
    let h = empty_bucket(host()).build();
    h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    h.guard.block.store(true, Ordering::SeqCst);
    assert_eq!(err(h.confirm("alice", "123456")).0, "ForbiddenException");
}

#[test]
fn throttle_before_secret_hash() {
    let h = empty_bucket(host().secret("clientsecretvalue123")).build();
    h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    let mut req = h.confirm_req("alice", "123456");
    req.secret_hash = None;
    assert_eq!(
        err(h.driver.confirm_sign_up(req)).0,
        "TooManyRequestsException"
    );
}

#[test]
fn disabled_before_attempt_limits() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..15 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair("NotAuthorizedException", "User is disabled.")
    );
}

#[test]
fn attempt_limits_before_status() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..15 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    h.driver
        .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(err(h.confirm("alice", &code)).0, "LimitExceededException");
}

#[test]
fn per_code_cap_before_status_and_code() {
    let h = host().hardened().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..5 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    assert_eq!(
        err(h.confirm("alice", &Host::wrong(&code))).0,
        "TooManyFailedAttemptsException"
    );
}

#[test]
fn code_before_alias_conflict() {
    let h = host().email_alias().build();
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a).unwrap();
    let b = h.sign_up("bob", "shared@example.com");
    assert_eq!(
        err(h.confirm("bob", &Host::wrong(&b))).0,
        "CodeMismatchException"
    );
    assert_eq!(err(h.confirm("bob", &b)).0, "AliasExistsException");
}

#[test]
fn expiry_before_mismatch() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.advance(std::time::Duration::from_secs(24 * 3600));
    assert_eq!(
        err(h.confirm("alice", &Host::wrong(&code))).0,
        "ExpiredCodeException"
    );
}

#[test]
fn commit_before_post_confirmation() {
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    let store = h.store.clone();
    h.lambda.answer(move |inv| {
        // By the time the trigger runs, the confirmation is in the store.
        let confirmed = store
            .inner
            .records(POOL)
            .unwrap()
            .iter()
            .any(|r| r.value.status == UserStatus::Confirmed);
        assert!(confirmed, "PostConfirmation ran before the commit");
        protocol::LambdaReply::Returned(inv.payload.clone().into_bytes())
    });
    h.confirm("alice", &code).unwrap();
}

#[test]
fn rotated_code_keys_still_confirm_codes_tagged_with_the_old_key() {
    use std::sync::Arc;
    let store = Arc::new(MemoryStore::new());
    let delivery = Arc::new(RecordingDelivery::new());
    let make = |keys: &[[u8; 32]]| {
        let mut pool = UserPool::new(POOL);
        pool.auto_verified_attributes
            .insert(VerifiableAttribute::Email);
        cognito_signup_testkit::host::HostBuilder::new(pool)
            .client(AppClient::new(CLIENT))
            .keys(keys)
            .delivery(delivery.clone())
            .build(store.clone())
            .driver
    };
    let old = make(&[[1; 32]]);
    for name in ["alice", "bob"] {
        old.sign_up(SignUpRequest::new(CLIENT, name, PASSWORD).attribute("email", "x@example.com"))
            .unwrap();
    }
    let codes: Vec<String> = delivery
        .messages()
        .iter()
        .map(|m| m.code.as_str().to_owned())
        .collect();
    let rotated = make(&[[2; 32], [1; 32]]);
    rotated
        .confirm_sign_up(ConfirmSignUpRequest::new(CLIENT, "alice", &codes[0]))
        .unwrap();
    // Without the old key, an old code no longer verifies.
    let dropped = make(&[[2; 32]]);
    assert_eq!(
        err(dropped.confirm_sign_up(ConfirmSignUpRequest::new(CLIENT, "bob", &codes[1]))).0,
        "CodeMismatchException"
    );
    // New codes are tagged with the newest key.
    rotated
        .resend_confirmation_code(ResendConfirmationCodeRequest::new(CLIENT, "bob"))
        .unwrap();
    let fresh = delivery.last().unwrap().code.as_str().to_owned();
    dropped
        .confirm_sign_up(ConfirmSignUpRequest::new(CLIENT, "bob", &fresh))
        .unwrap();
}

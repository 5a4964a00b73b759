//! ConfirmSignUp: every exception it can answer, in the order of [confirm-order], with the state
//! after.

use crate::harness::*;
use cognito_signup::protocol::{InvokeFailure, LambdaReply};
use cognito_signup::*;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[test]
fn correct_code_confirms_verifies_the_delivered_attribute_and_consumes_the_code() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    assert_eq!(h.get("alice").attribute("email_verified"), Some("false"));
    h.advance(Duration::from_secs(5));
    assert_eq!(h.confirm("alice", &code).unwrap(), ConfirmSignUpResponse {});
    let u = h.get("alice");
    assert_eq!(u.user_status, "CONFIRMED");
    assert_eq!(u.attribute("email_verified"), Some("true"));
    assert_eq!(u.user_last_modified_date, START.as_secs_f64() + 5.0);
    assert!(h.record("alice").code.is_none(), "the code is consumed");
    // The same code cannot confirm twice: the status check comes first.
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair(
            "NotAuthorizedException",
            "User cannot be confirmed. Current status is CONFIRMED"
        )
    );
}

#[test]
fn unknown_client_is_resource_not_found() {
    let h = host().build();
    let r = h
        .driver
        .confirm_sign_up(ConfirmSignUpRequest::new("nosuchclient", "alice", "123456"));
    assert_eq!(
        err(r),
        pair(
            "ResourceNotFoundException",
            "User pool client nosuchclient does not exist."
        )
    );
}

#[test]
fn missing_members_are_invalid_parameter_in_member_order() {
    let h = host().build();
    let r = h.driver.confirm_sign_up(ConfirmSignUpRequest::default());
    assert_eq!(
        err(r),
        pair(
            "InvalidParameterException",
            "3 validation errors detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null; Value null at 'username' failed to satisfy constraint: Member must not be null; Value null at 'confirmationCode' failed to satisfy constraint: Member must not be null"
        )
    );
}

#[test]
fn empty_or_spaced_code_is_invalid_parameter_without_echoing_the_code() {
    let h = host().build();
    assert_eq!(
        err(h.confirm("alice", "")),
        pair(
            "InvalidParameterException",
            "2 validation errors detected: Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+; Value at 'confirmationCode' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    );
    let (name, message) = err(h.confirm("alice", "1 12 123"));
    assert_eq!(name, "InvalidParameterException");
    assert_eq!(
        message,
        "1 validation error detected: Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+"
    );
    assert!(!message.contains("1 12 123"));
}

#[test]
fn bad_client_id_is_echoed_and_session_is_checked_for_shape() {
    let h = host().build();
    let r = h
        .driver
        .confirm_sign_up(ConfirmSignUpRequest::new("bad-client", "alice", "123456"));
    assert_eq!(
        err(r),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value 'bad-client' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+"
        )
    );
    let mut req = h.confirm_req("alice", "123456");
    req.session = Some("short".into());
    assert_eq!(
        err(h.driver.confirm_sign_up(req)),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value at 'session' failed to satisfy constraint: Member must have length greater than or equal to 20"
        )
    );
}

#[test]
fn a_valid_session_is_accepted_and_ignored() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut req = h.confirm_req("alice", &code);
    req.session = Some("x".repeat(40));
    h.driver.confirm_sign_up(req).unwrap();
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn request_guard_block_is_forbidden_and_sees_user_context_data() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.guard.block.store(true, Ordering::SeqCst);
    let mut req = h.confirm_req("alice", &code);
    req.user_context_data = Some(UserContextData {
        ip_address: Some("192.0.2.1".into()),
        encoded_data: None,
    });
    assert_eq!(
        err(h.driver.confirm_sign_up(req)),
        pair(
            "ForbiddenException",
            "Request not allowed due to WAF block."
        )
    );
    let seen = h.guard.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen.operation, OperationName::ConfirmSignUp);
    assert_eq!(&*seen.client_id, CLIENT);
    assert_eq!(&*seen.pool_id, POOL);
    assert_eq!(
        seen.user_context_data.unwrap().ip_address.as_deref(),
        Some("192.0.2.1")
    );
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.guard.block.store(false, Ordering::SeqCst);
    h.confirm("alice", &code).unwrap();
}

#[test]
fn empty_rate_bucket_is_too_many_requests_until_it_refills() {
    let h = host()
        .pool(|p| {
            p.sign_up_policy.user_creation_rate = 1;
            p.sign_up_policy.user_creation_burst = 2;
        })
        .build();
    let code = h.sign_up("alice", "alice@example.com"); // token 1
    // A validation error is answered before the throttle and costs no token.
    assert_eq!(
        err(h.confirm("alice", "a b")).0,
        "InvalidParameterException"
    );
    assert_eq!(
        err(h.confirm("alice", &Host::wrong(&code))).0,
        "CodeMismatchException"
    ); // token 2
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair("TooManyRequestsException", "Rate exceeded")
    );
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.advance(Duration::from_secs(1));
    h.confirm("alice", &code).unwrap();
}

#[test]
fn disabled_operation_is_operation_not_enabled() {
    let h = host()
        .pool(|p| {
            p.disabled_operations.insert(OperationName::ConfirmSignUp);
        })
        .build();
    let code = h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair(
            "OperationNotEnabledException",
            "This operation is not enabled for this user pool."
        )
    );
    assert_eq!(h.status("alice"), "UNCONFIRMED");
}

#[test]
fn secret_hash_missing_wrong_and_right() {
    let h = host().secret("clientsecretvalue123").build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut req = h.confirm_req("alice", &code);
    req.secret_hash = None;
    assert_eq!(
        err(h.driver.confirm_sign_up(req.clone())),
        pair(
            "NotAuthorizedException",
            "Client testclient is configured for secret but secret was not received"
        )
    );
    req.secret_hash = Some(code::secret_hash("another-secret", "alice", CLIENT));
    assert_eq!(
        err(h.driver.confirm_sign_up(req.clone())),
        pair(
            "NotAuthorizedException",
            "Unable to verify secret hash for client testclient"
        )
    );
    // [secret-hash]: the hash covers the Username exactly as sent.
    req.secret_hash = Some(code::secret_hash("clientsecretvalue123", "ALICE", CLIENT));
    assert_eq!(
        err(h.driver.confirm_sign_up(req.clone())).1,
        "Unable to verify secret hash for client testclient"
    );
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.confirm("alice", &code).unwrap();
}

#[test]
fn secret_hash_to_a_client_without_secret_is_invalid_parameter() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut req = h.confirm_req("alice", &code);
    req.secret_hash = Some(code::secret_hash("whatever", "alice", CLIENT));
    assert_eq!(
        err(h.driver.confirm_sign_up(req)),
        pair(
            "InvalidParameterException",
            "App client testclient is not configured for secret but secret hash was received"
        )
    );
}

#[test]
fn secret_hash_is_checked_before_the_user_is_looked_up() {
    let h = host().secret("clientsecretvalue123").build();
    let mut req = h.confirm_req("nobody", "123456");
    req.secret_hash = Some("AAAA".into());
    assert_eq!(
        err(h.driver.confirm_sign_up(req)).1,
        "Unable to verify secret hash for client testclient"
    );
}

#[test]
fn unknown_user_is_user_not_found_under_legacy() {
    let h = host().build();
    assert_eq!(
        err(h.confirm("nobody", "123456")),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
}

#[test]
fn unknown_user_is_code_mismatch_under_enabled() {
    let h = host().enabled().build();
    assert_eq!(
        err(h.confirm("nobody", "123456")),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
}

#[test]
fn disabled_user_is_not_authorized_under_legacy_and_code_mismatch_under_enabled() {
    for enabled in [false, true] {
        let b = host();
        let h = if enabled { b.enabled() } else { b }.build();
        let code = h.sign_up("alice", "alice@example.com");
        h.driver
            .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
            .unwrap();
        let expected = if enabled {
            pair(
                "CodeMismatchException",
                "Invalid verification code provided, please try again.",
            )
        } else {
            pair("NotAuthorizedException", "User is disabled.")
        };
        assert_eq!(err(h.confirm("alice", &code)), expected);
        assert_eq!(h.status("alice"), "UNCONFIRMED");
        // Under ENABLED the attempt costs and counts what a wrong code does
        // ([hide-confirm-disabled]), even with the right code: the answer said the code was wrong.
        let counted = usize::from(enabled);
        assert_eq!(h.record("alice").failed_confirmations.len(), counted);
        h.driver
            .admin_enable_user(AdminUserRequest::new(POOL, "alice"))
            .unwrap();
        h.confirm("alice", &code).unwrap();
    }
}

#[test]
fn wrong_code_is_code_mismatch_and_only_counts_the_failure() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let before = h.record("alice");
    assert_eq!(
        err(h.confirm("alice", &Host::wrong(&code))),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    let after = h.record("alice");
    assert_eq!(after.failed_confirmations, vec![START]);
    assert_eq!(after.code.as_ref().unwrap().failed_checks, 1);
    let mut restored = after.clone();
    restored.failed_confirmations.clear();
    restored.code.as_mut().unwrap().failed_checks = 0;
    assert_eq!(restored, before, "nothing but the counters changed");
    // A code of another shape entirely is a mismatch too.
    assert_eq!(
        err(h.confirm("alice", "abcdefgh")).0,
        "CodeMismatchException"
    );
    h.confirm("alice", &code).unwrap();
}

#[test]
fn another_users_code_does_not_confirm() {
    let h = host().build();
    let alice = h.sign_up("alice", "alice@example.com");
    let bob = h.sign_up("bob", "bob@example.com");
    if alice != bob {
        assert_eq!(err(h.confirm("alice", &bob)).0, "CodeMismatchException");
    }
    // Even the same digits do not transfer: tags are bound to the user (checked at the tag
    // level in the unit tests); here both users still confirm with their own codes.
    h.confirm("alice", &alice).unwrap();
    h.confirm("bob", &bob).unwrap();
}

#[test]
fn fifteen_failures_in_an_hour_lock_out_even_the_right_code_until_the_window_slides() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let wrong = Host::wrong(&code);
    for i in 0..15 {
        h.advance(Duration::from_secs(60));
        assert_eq!(
            err(h.confirm("alice", &wrong)).0,
            "CodeMismatchException",
            "try {i}"
        );
    }
    let locked = pair(
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    );
    assert_eq!(err(h.confirm("alice", &code)), locked);
    assert_eq!(err(h.confirm("alice", &wrong)), locked);
    assert_eq!(
        h.record("alice").failed_confirmations.len(),
        15,
        "lockouts are not counted"
    );
    // The first failure (at minute 1) leaves the window one hour after it happened.
    h.advance(Duration::from_secs(60 * 45 - 1));
    assert_eq!(err(h.confirm("alice", &code)), locked);
    h.advance(Duration::from_secs(60 + 1));
    h.confirm("alice", &code).unwrap();
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn a_resend_does_not_reset_the_failure_budget() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..15 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    h.resend("alice").unwrap();
    let fresh = h.last_code();
    assert_eq!(err(h.confirm("alice", &fresh)).0, "LimitExceededException");
}

#[test]
fn hardened_policy_kills_a_code_after_five_failures() {
    let h = host().hardened().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..5 {
        assert_eq!(
            err(h.confirm("alice", &Host::wrong(&code))).0,
            "CodeMismatchException"
        );
    }
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair(
            "TooManyFailedAttemptsException",
            "Too many failed attempts for this code, please request a code again."
        )
    );
    h.advance(Duration::from_secs(60));
    h.resend("alice").unwrap();
    h.confirm("alice", &h.last_code()).unwrap();
}

#[test]
fn cognito_policy_has_no_per_code_cap() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    for _ in 0..10 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    h.confirm("alice", &code).unwrap();
}

#[test]
fn code_expires_after_24_hours() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(
        err(h.confirm("alice", &Host::wrong(&code))).0,
        "CodeMismatchException"
    );
    h.advance(Duration::from_secs(1));
    let expired = pair(
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    );
    assert_eq!(err(h.confirm("alice", &code)), expired);
    assert_eq!(err(h.confirm("alice", &Host::wrong(&code))), expired);
    assert_eq!(
        h.record("alice").failed_confirmations.len(),
        1,
        "expiry is not a counted failure"
    );
    h.resend("alice").unwrap();
    h.confirm("alice", &h.last_code()).unwrap();
}

#[test]
fn an_expired_code_is_expired_only_when_it_is_right_under_enabled() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.advance(Duration::from_secs(24 * 3600));
    let mismatch = pair(
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    );
    // A wrong code gets what a missing name gets, and is counted as a failure.
    assert_eq!(err(h.confirm("alice", &Host::wrong(&code))), mismatch);
    assert_eq!(err(h.confirm("nobody", &Host::wrong(&code))), mismatch);
    let r = h.record("alice");
    assert_eq!(r.failed_confirmations.len(), 1);
    assert_eq!(r.code.as_ref().unwrap().failed_checks, 1);
    // Only the right code learns that it expired, and that is not a counted failure.
    assert_eq!(
        err(h.confirm("alice", &code)),
        pair(
            "ExpiredCodeException",
            "Invalid code provided, please request a code again."
        )
    );
    assert_eq!(h.record("alice").failed_confirmations.len(), 1);
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.resend("alice").unwrap();
    h.confirm("alice", &h.last_code()).unwrap();
}

#[test]
fn a_user_without_a_code_gets_code_mismatch_under_enabled() {
    let h = host()
        .enabled()
        .pool(|p| p.auto_verified_attributes.clear())
        .build();
    h.driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    assert_eq!(
        err(h.confirm("alice", "123456")),
        pair(
            "CodeMismatchException",
            "Invalid verification code provided, please try again."
        )
    );
    assert_eq!(h.record("alice").failed_confirmations.len(), 1);
}

#[test]
fn code_validity_is_configurable() {
    let h = host()
        .pool(|p| p.sign_up_policy.code_validity = Duration::from_secs(600))
        .build();
    let code = h.sign_up("alice", "alice@example.com");
    h.advance(Duration::from_secs(600));
    assert_eq!(err(h.confirm("alice", &code)).0, "ExpiredCodeException");
}

#[test]
fn user_without_a_code_gets_expired_code() {
    let h = host().pool(|p| p.auto_verified_attributes.clear()).build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    assert!(r.code_delivery_details.is_none());
    assert_eq!(
        err(h.confirm("alice", "123456")),
        pair(
            "ExpiredCodeException",
            "Invalid code provided, please request a code again."
        )
    );
}

#[test]
fn superseded_code_is_code_mismatch() {
    let h = host().build();
    let first = h.sign_up("alice", "alice@example.com");
    h.resend("alice").unwrap();
    let second = h.last_code();
    if first != second {
        assert_eq!(err(h.confirm("alice", &first)).0, "CodeMismatchException");
    }
    h.confirm("alice", &second).unwrap();
}

#[test]
fn status_is_checked_before_the_code() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    assert_eq!(
        err(h.confirm("alice", "garbage")),
        pair(
            "NotAuthorizedException",
            "User cannot be confirmed. Current status is CONFIRMED"
        )
    );
    assert!(h.record("alice").failed_confirmations.is_empty());
}

#[test]
fn status_error_for_confirmed_user_under_enabled_too() {
    let h = host().enabled().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    assert_eq!(
        err(h.confirm("alice", "0")).1,
        "User cannot be confirmed. Current status is CONFIRMED"
    );
}

#[test]
fn lookup_by_sub_works() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let sub = h.get("alice").attribute("sub").unwrap().to_owned();
    h.confirm(&sub, &code).unwrap();
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn unverified_alias_does_not_find_the_user_but_a_verified_one_does() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h.confirm("alice@example.com", &code)),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
    h.confirm("alice", &code).unwrap();
    assert_eq!(
        err(h.confirm("alice@example.com", &code)).1,
        "User cannot be confirmed. Current status is CONFIRMED"
    );
    assert_eq!(h.get("alice@example.com").username, "alice");
}

#[test]
fn case_insensitive_pool_matches_username_and_email_alias_in_any_case() {
    let h = host().email_alias().case_insensitive().build();
    let code = h.sign_up("Alice", "Alice@Example.com");
    h.confirm("aLiCe", &code).unwrap();
    let u = h.get("ALICE@EXAMPLE.COM");
    assert_eq!(u.username, "Alice", "stored as entered");
    assert_eq!(u.attribute("email"), Some("Alice@Example.com"));
    // [username-case]: full Unicode lower case.
    let code = h.sign_up("ÉLODIE", "elodie@example.com");
    h.confirm("élodie", &code).unwrap();
}

#[test]
fn case_sensitive_pool_distinguishes_case() {
    let h = host().build();
    let code = h.sign_up("Alice", "alice@example.com");
    assert_eq!(err(h.confirm("alice", &code)).0, "UserNotFoundException");
    h.confirm("Alice", &code).unwrap();
}

#[test]
fn username_attribute_pool_confirms_by_email_or_sub() {
    let h = host().email_username().build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("carol@example.com", None))
        .unwrap();
    let code = h.last_code();
    let u = h.get("carol@example.com");
    assert_eq!(u.username, r.user_sub, "the internal username is the sub");
    assert_eq!(u.attribute("email"), Some("carol@example.com"));
    h.confirm("carol@example.com", &code).unwrap();
    assert_eq!(h.get(&r.user_sub).user_status, "CONFIRMED");

    let r2 = h
        .driver
        .sign_up(h.sign_up_req("dave@example.com", None))
        .unwrap();
    let code2 = h.last_code();
    h.confirm(&r2.user_sub, &code2).unwrap();
    assert_eq!(h.status("dave@example.com"), "CONFIRMED");
}

#[test]
fn alias_conflict_without_force_is_alias_exists_and_changes_nothing() {
    let h = host().email_alias().build();
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a).unwrap();
    let b = h.sign_up("bob", "shared@example.com");
    let before = h.record("bob");
    assert_eq!(
        err(h.confirm("bob", &b)),
        pair(
            "AliasExistsException",
            "An account with the email already exists."
        )
    );
    assert_eq!(
        h.record("bob"),
        before,
        "no attempt counted, code still live"
    );
    assert_eq!(h.get("shared@example.com").username, "alice");
    // [alias-conflict]: the retry with ForceAliasCreation=true succeeds with the same code.
    h.force("bob", &b).unwrap();
    let bob = h.get("bob");
    assert_eq!(bob.user_status, "CONFIRMED");
    assert_eq!(bob.attribute("email_verified"), Some("true"));
    let alice = h.get("alice");
    assert_eq!(
        alice.attribute("email"),
        Some("shared@example.com"),
        "value kept"
    );
    assert_eq!(alice.attribute("email_verified"), Some("false"));
    assert_eq!(
        h.get("shared@example.com").username,
        "bob",
        "the alias moved"
    );
    let holders: Vec<_> = h
        .store
        .inner
        .index(POOL)
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k.as_str().starts_with("a:email:"))
        .collect();
    assert_eq!(holders.len(), 1);
}

#[test]
fn alias_conflict_on_phone_names_phone_number() {
    let h = host().phone_alias().build();
    let mk = |name: &str| {
        h.driver
            .sign_up(
                SignUpRequest::new(CLIENT, name, PASSWORD)
                    .attribute("phone_number", "+14155550100"),
            )
            .unwrap();
        h.last_code()
    };
    let a = mk("alice");
    h.confirm("alice", &a).unwrap();
    let b = mk("bob");
    assert_eq!(
        err(h.confirm("bob", &b)),
        pair(
            "AliasExistsException",
            "An account with the phone_number already exists."
        )
    );
    h.force("bob", &b).unwrap();
    assert_eq!(
        h.get("alice").attribute("phone_number_verified"),
        Some("false")
    );
    assert_eq!(h.get("+14155550100").username, "bob");
}

#[test]
fn same_email_without_alias_attribute_never_conflicts() {
    let h = host().build();
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a).unwrap();
    let b = h.sign_up("bob", "shared@example.com");
    h.confirm("bob", &b).unwrap();
    assert_eq!(h.get("alice").attribute("email_verified"), Some("true"));
    assert_eq!(h.get("bob").attribute("email_verified"), Some("true"));
}

#[test]
fn case_insensitive_alias_conflict_is_detected_across_case() {
    let h = host().email_alias().case_insensitive().build();
    let a = h.sign_up("alice", "Shared@Example.com");
    h.confirm("alice", &a).unwrap();
    let b = h.sign_up("bob", "shared@example.COM");
    assert_eq!(err(h.confirm("bob", &b)).0, "AliasExistsException");
}

#[test]
fn post_confirmation_event_is_the_documented_shape() {
    let h = host().email_alias().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut req = h.confirm_req("alice", &code);
    req.client_metadata = Some([("k".to_owned(), "v".to_owned())].into());
    h.driver.confirm_sign_up(req).unwrap();
    let events = h.lambda.events("PostConfirmation_ConfirmSignUp");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    let sub = h.get("alice").attribute("sub").unwrap().to_owned();
    let expected = serde_json::json!({
        "version": "1",
        "region": "us-east-1",
        "userPoolId": POOL,
        "userName": "alice",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT},
        "triggerSource": "PostConfirmation_ConfirmSignUp",
        "request": {
            "userAttributes": {
                "sub": sub,
                "cognito:email_alias": "alice@example.com",
                "cognito:user_status": "CONFIRMED",
                "email_verified": "true",
                "email": "alice@example.com"
            },
            "clientMetadata": {"k": "v"}
        },
        "response": {}
    });
    assert_eq!(e, &expected);
    // Member order of real captures.
    let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
    let payload = &h.lambda.calls()[0].payload;
    let mut last = 0;
    for k in [
        "version",
        "region",
        "userPoolId",
        "userName",
        "callerContext",
        "triggerSource",
        "request",
        "response",
    ] {
        let at = payload.find(&format!("\"{k}\"")).unwrap();
        assert!(at >= last, "{k} out of order in {keys:?}");
        last = at;
    }
    assert_eq!(h.lambda.calls()[0].function, "post-confirmation");
}

#[test]
fn post_confirmation_without_client_metadata_omits_it() {
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    let e = &h.lambda.events("PostConfirmation_ConfirmSignUp")[0];
    assert!(e["request"].get("clientMetadata").is_none());
    assert!(
        e["request"]["userAttributes"]
            .get("cognito:email_alias")
            .is_none()
    );
}

#[test]
fn post_confirmation_failures_are_reported_after_the_commit() {
    let cases: Vec<(LambdaReply, (&str, &str))> = vec![
        (
            LambdaReply::FunctionError {
                error_message: "boom".into(),
                error_type: Some("Error".into()),
            },
            (
                "UserLambdaValidationException",
                "PostConfirmation failed with error boom.",
            ),
        ),
        (
            LambdaReply::InvokeFailed(InvokeFailure::Timeout),
            (
                "UnexpectedLambdaException",
                "PostConfirmation invocation failed due to error Socket timeout while invoking Lambda function.",
            ),
        ),
        (
            LambdaReply::InvokeFailed(InvokeFailure::AccessDenied),
            (
                "UnexpectedLambdaException",
                "PostConfirmation invocation failed due to error AccessDeniedException.",
            ),
        ),
        (
            LambdaReply::Returned(b"<html>not json</html>".to_vec()),
            (
                "InvalidLambdaResponseException",
                "Unrecognizable lambda output",
            ),
        ),
    ];
    for (reply, (name, message)) in cases {
        let h = host().post_confirmation().build();
        let code = h.sign_up("alice", "alice@example.com");
        h.lambda.answer(move |_| reply.clone());
        assert_eq!(err(h.confirm("alice", &code)), pair(name, message));
        // [trigger-post-confirmation]: the user stays CONFIRMED; a retry sees the status.
        let u = h.get("alice");
        assert_eq!(u.user_status, "CONFIRMED");
        assert_eq!(u.attribute("email_verified"), Some("true"));
        assert_eq!(
            err(h.confirm("alice", &code)).1,
            "User cannot be confirmed. Current status is CONFIRMED"
        );
        assert_eq!(
            h.lambda.events("PostConfirmation_ConfirmSignUp").len(),
            1,
            "fired once"
        );
    }
}

#[test]
fn store_failure_is_internal_error_with_the_source_kept() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.store.fail_commits.store(true, Ordering::SeqCst);
    let e = h.confirm("alice", &code).unwrap_err();
    assert_eq!(e.name(), "InternalErrorException");
    assert_eq!(e.status(), 500);
    assert_eq!(
        std::error::Error::source(&e).map(|s| s.to_string()),
        Some("the disk is on fire".to_owned())
    );
    h.store.fail_commits.store(false, Ordering::SeqCst);
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.store.fail_finds.store(true, Ordering::SeqCst);
    assert_eq!(err(h.confirm("alice", &code)).0, "InternalErrorException");
    h.store.fail_finds.store(false, Ordering::SeqCst);
    h.confirm("alice", &code).unwrap();
}

#[test]
fn conflicts_are_retried_then_answered_with_internal_error() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    let budget = h.pool.sign_up_policy.max_commit_attempts;
    // Fewer conflicts than the budget: re-read, decide again, succeed.
    h.store.conflict_commits.store(budget - 1, Ordering::SeqCst);
    let before = h.store.commits.load(Ordering::SeqCst);
    h.confirm("alice", &code).unwrap();
    assert_eq!(h.store.commits.load(Ordering::SeqCst) - before, budget);
    // A conflict on every attempt: InternalErrorException, nothing applied.
    let code = h.sign_up("bob", "bob@example.com");
    h.store.conflict_commits.store(u32::MAX, Ordering::SeqCst);
    let e = h.confirm("bob", &code).unwrap_err();
    assert_eq!(e.name(), "InternalErrorException");
    h.store.conflict_commits.store(0, Ordering::SeqCst);
    assert_eq!(h.status("bob"), "UNCONFIRMED");
}

#[test]
fn every_exception_has_its_wire_name_and_status() {
    for e in Exception::ALL {
        assert_eq!(Exception::from_name(e.name()), Some(*e));
        let expected = match e {
            Exception::Forbidden => 403,
            Exception::InternalError => 500,
            Exception::RequestEntityTooLarge => 413,
            _ => 400,
        };
        assert_eq!(e.status(), expected, "{e:?}");
    }
}

#[test]
fn a_clock_stepping_back_does_not_hand_guesses_back() {
    let h = host().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.advance(Duration::from_secs(600));
    for _ in 0..15 {
        h.confirm("alice", &Host::wrong(&code)).unwrap_err();
    }
    h.clock.set(START);
    assert_eq!(err(h.confirm("alice", &code)).0, "LimitExceededException");
}

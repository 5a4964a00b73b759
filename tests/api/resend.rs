//! ResendConfirmationCode: new codes, limits, existence errors, D-9.

use crate::harness::*;
use cognito_signup::*;
use std::time::Duration;

#[test]
fn a_new_code_kills_the_previous_one() {
    let h = host().build();
    let first = h.sign_up("alice", "alice@example.com");
    let r = h.resend("alice").unwrap();
    assert_eq!(
        r.code_delivery_details,
        Some(CodeDeliveryDetails {
            destination: "a***@e***.com".into(),
            delivery_medium: DeliveryMedium::Email,
            attribute_name: "email".into(),
        })
    );
    let m = h.delivery.last().unwrap();
    assert_eq!(m.trigger_source, "CustomMessage_ResendCode");
    let second = m.code.as_str().to_owned();
    assert_eq!(h.delivery.messages().len(), 2);
    if first != second {
        assert_eq!(err(h.confirm("alice", &first)).0, "CodeMismatchException");
    }
    h.confirm("alice", &second).unwrap();
}

#[test]
fn five_resends_per_hour() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    for _ in 0..5 {
        h.advance(Duration::from_secs(1));
        h.resend("alice").unwrap();
    }
    assert_eq!(
        err(h.resend("alice")),
        pair(
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time."
        )
    );
    assert_eq!(h.delivery.messages().len(), 6);
    h.advance(Duration::from_secs(3600));
    h.resend("alice").unwrap();
}

#[test]
fn hardened_policy_spaces_codes_by_a_minute() {
    let h = host().hardened().build();
    h.sign_up("alice", "alice@example.com");
    h.advance(Duration::from_secs(59));
    assert_eq!(err(h.resend("alice")).0, "LimitExceededException");
    h.advance(Duration::from_secs(1));
    h.resend("alice").unwrap();
}

#[test]
fn unknown_user_is_user_not_found_under_legacy() {
    let h = host().build();
    assert_eq!(
        err(h.resend("nobody")),
        pair(
            "UserNotFoundException",
            "Username/client id combination not found."
        )
    );
}

#[test]
fn unknown_or_disabled_user_gets_a_simulated_delivery_under_enabled() {
    let h = host().enabled().build();
    let a = h.resend("nobody").unwrap().code_delivery_details.unwrap();
    let b = h
        .resend("somebody-else")
        .unwrap()
        .code_delivery_details
        .unwrap();
    assert_eq!(a, b, "a fixed value per pool");
    assert_eq!(a.delivery_medium, DeliveryMedium::Email);
    assert_eq!(a.attribute_name, "email");
    assert!(a.destination.contains("***@"), "{}", a.destination);
    assert!(h.delivery.messages().is_empty(), "nothing is sent");
    h.sign_up("alice", "alice@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    let d = h.resend("alice").unwrap().code_delivery_details.unwrap();
    assert_eq!(d, a);
    assert_eq!(
        h.delivery.messages().len(),
        1,
        "the disabled user gets nothing"
    );
}

#[test]
fn disabled_user_is_not_authorized_under_legacy() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(
        err(h.resend("alice")),
        pair("NotAuthorizedException", "User is disabled.")
    );
}

#[test]
fn confirmed_user_is_invalid_parameter_in_both_modes() {
    for enabled in [false, true] {
        let b = host();
        let h = if enabled { b.enabled() } else { b }.build();
        let code = h.sign_up("alice", "alice@example.com");
        h.confirm("alice", &code).unwrap();
        assert_eq!(
            err(h.resend("alice")),
            pair("InvalidParameterException", "User is already confirmed.")
        );
    }
}

#[test]
fn no_delivery_target() {
    let h = host().pool(|p| p.auto_verified_attributes.clear()).build();
    h.driver
        .sign_up(h.sign_up_req("alice", Some("a@b.co")))
        .unwrap();
    assert_eq!(
        err(h.resend("alice")),
        pair(
            "InvalidParameterException",
            "Auto verification not turned on."
        )
    );
    let h = host().build();
    h.driver.sign_up(h.sign_up_req("bob", None)).unwrap();
    assert_eq!(
        err(h.resend("bob")),
        pair(
            "InvalidParameterException",
            "The user has no attribute that the user pool verifies automatically."
        )
    );
}

#[test]
fn resend_has_its_own_rate_bucket() {
    let h = host()
        .pool(|p| {
            p.sign_up_policy.user_creation_rate = 1;
            p.sign_up_policy.user_creation_burst = 1;
            p.sign_up_policy.resend_rate = 1;
            p.sign_up_policy.resend_burst = 1;
        })
        .build();
    let code = h.sign_up("alice", "alice@example.com");
    // The UserCreation bucket is empty, the resend bucket is not.
    assert_eq!(err(h.confirm("alice", &code)).0, "TooManyRequestsException");
    h.resend("alice").unwrap();
    assert_eq!(
        err(h.resend("alice")),
        pair("TooManyRequestsException", "Rate exceeded")
    );
}

#[test]
fn resend_by_verified_alias_is_refused_only_by_status() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h.resend("alice@example.com")).0,
        "UserNotFoundException"
    );
    h.confirm("alice", &code).unwrap();
    assert_eq!(
        err(h.resend("alice@example.com")).1,
        "User is already confirmed."
    );
}

#[test]
fn custom_message_resend_event() {
    let h = host().custom_message().build();
    h.sign_up("alice", "alice@example.com");
    let mut req = ResendConfirmationCodeRequest::new(CLIENT, "alice");
    req.client_metadata = Some([("a".to_owned(), "b".to_owned())].into());
    h.driver.resend_confirmation_code(req).unwrap();
    let e = &h.lambda.events("CustomMessage_ResendCode")[0];
    assert_eq!(e["triggerSource"], "CustomMessage_ResendCode");
    assert_eq!(
        e["request"]["clientMetadata"],
        serde_json::json!({"a": "b"})
    );
    assert_eq!(e["callerContext"]["clientId"], CLIENT);
}

#[test]
fn delivery_failure_on_resend() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    h.delivery.set_failing(true);
    assert_eq!(err(h.resend("alice")).0, "CodeDeliveryFailureException");
}

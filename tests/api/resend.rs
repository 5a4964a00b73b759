//! ResendConfirmationCode: new codes, limits, existence errors, [resend-confirmed].

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

fn details(h: &Host, name: &str) -> CodeDeliveryDetails {
    h.resend(name).unwrap().code_delivery_details.unwrap()
}

/// Whether `d` has the shape of a masked email address: `x***@y***.tld`.
fn looks_like_masked_email(d: &str) -> bool {
    let b = d.as_bytes();
    d.is_ascii()
        && b.len() >= "x***@y***.co".len()
        && b[0].is_ascii_lowercase()
        && &b[1..5] == b"***@"
        && b[5].is_ascii_lowercase()
        && &b[6..10] == b"***."
        && b[10..].iter().all(u8::is_ascii_lowercase)
}

#[test]
fn unknown_or_disabled_user_gets_a_keyed_fake_stable_per_name_under_enabled() {
    let h = host().enabled().build();
    let a = details(&h, "nobody");
    assert_eq!(a.delivery_medium, DeliveryMedium::Email);
    assert_eq!(a.attribute_name, "email");
    assert!(looks_like_masked_email(&a.destination), "{}", a.destination);
    h.advance(Duration::from_secs(1));
    assert_eq!(details(&h, "nobody"), a, "stable for a name");
    // Not one constant per pool: names get different fakes.
    let fakes: std::collections::HashSet<String> = (0..20)
        .map(|i| details(&h, &format!("name{i}")).destination)
        .collect();
    assert!(fakes.len() > 10, "{fakes:?}");
    assert!(
        fakes.iter().all(|d| looks_like_masked_email(d)),
        "{fakes:?}"
    );
    assert!(h.delivery.messages().is_empty(), "nothing is sent");
    // Keyed: other code keys give other fakes for the same names.
    let other = Builder {
        keys: vec![[0x33; 32]],
        ..host().enabled()
    }
    .build();
    let other_fakes: std::collections::HashSet<String> = (0..20)
        .map(|i| details(&other, &format!("name{i}")).destination)
        .collect();
    assert_ne!(fakes, other_fakes);
    // A disabled user gets what a missing name gets: the fake of its name.
    let missing_alice = details(&h, "alice");
    let p = host().enabled().build();
    p.sign_up("alice", "alice@example.com");
    p.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(details(&p, "alice"), missing_alice);
    assert_eq!(
        p.delivery.messages().len(),
        1,
        "the disabled user gets nothing"
    );
}

#[test]
fn a_missing_name_that_is_the_delivery_address_gets_its_own_mask_under_enabled() {
    // Email as the username: a present user's destination is their name, masked.
    let present = host().enabled().email_username().build();
    present
        .driver
        .sign_up(present.sign_up_req("alice@example.com", Some("alice@example.com")))
        .unwrap();
    let real = details(&present, "alice@example.com");
    assert_eq!(real.destination, "a***@e***.com");
    let missing = host().enabled().email_username().build();
    assert_eq!(details(&missing, "alice@example.com"), real);
    assert_eq!(
        details(&missing, "zed@mail.example.org").destination,
        "z***@m***.org"
    );
    // An email alias pool: an email-shaped name can only be an alias, the user's address.
    let alias = host().enabled().email_alias().build();
    assert_eq!(
        details(&alias, "carol@example.net"),
        CodeDeliveryDetails {
            destination: "c***@e***.net".into(),
            delivery_medium: DeliveryMedium::Email,
            attribute_name: "email".into(),
        }
    );
    // A phone number as the username, codes by SMS.
    let phone = host()
        .enabled()
        .pool(|p| {
            p.username_attributes.clear();
            p.username_attributes
                .insert(VerifiableAttribute::PhoneNumber);
            p.auto_verified_attributes.clear();
            p.auto_verified_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
        .build();
    assert_eq!(
        details(&phone, "+14155550276"),
        CodeDeliveryDetails {
            destination: "+*******0276".into(),
            delivery_medium: DeliveryMedium::Sms,
            attribute_name: "phone_number".into(),
        }
    );
    // Not a phone number in an SMS pool: a keyed fake number of the same shape.
    let fake = details(&phone, "someone").destination;
    assert!(
        fake.len() == "+*******0276".len()
            && fake.starts_with("+*******")
            && fake[8..].bytes().all(|b| b.is_ascii_digit()),
        "{fake}"
    );
    assert_eq!(details(&phone, "someone").destination, fake);
    assert_ne!(details(&phone, "someone-else").destination, fake);
}

#[test]
fn a_missing_or_disabled_name_meets_the_resend_limit_as_a_present_user_does_under_enabled() {
    let limited = pair(
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    );
    let h = host().enabled().build();
    h.sign_up("alice", "alice@example.com");
    h.sign_up("dora", "dora@example.com");
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "dora"))
        .unwrap();
    for _ in 0..5 {
        h.advance(Duration::from_secs(1));
        for name in ["alice", "nobody", "dora"] {
            h.resend(name).unwrap();
        }
    }
    for name in ["alice", "nobody", "dora"] {
        assert_eq!(err(h.resend(name)), limited, "{name}");
    }
    // Another missing name has a budget of its own.
    h.resend("somebody-else").unwrap();
    // The window slides for all of them alike.
    h.advance(Duration::from_secs(3600 - 5));
    for name in ["alice", "nobody", "dora"] {
        assert_eq!(err(h.resend(name)), limited, "{name}");
    }
    h.advance(Duration::from_secs(1));
    for name in ["alice", "nobody", "dora"] {
        h.resend(name).unwrap();
    }
    // Case variants of a name in a case-insensitive pool share its budget, as they share a user.
    let ci = host().enabled().case_insensitive().build();
    for name in ["Nobody", "nobody", "NOBODY", "nobodY", "noBody"] {
        ci.resend(name).unwrap();
    }
    assert_eq!(err(ci.resend("nobody")), limited);
}

#[test]
fn a_missing_name_meets_the_minimum_interval_between_codes_under_enabled() {
    let h = host().enabled().hardened().build();
    h.resend("nobody").unwrap();
    h.advance(Duration::from_secs(59));
    assert_eq!(
        err(h.resend("nobody")),
        pair(
            "LimitExceededException",
            "Attempt limit exceeded, please try after some time."
        )
    );
    h.resend("somebody-else").unwrap();
    h.advance(Duration::from_secs(1));
    h.resend("nobody").unwrap();
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

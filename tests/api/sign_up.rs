//! SignUp: user creation, username rules, password policy, PreSignUp, CustomMessage, delivery.

use crate::harness::*;
use cognito_signup::protocol::{InvokeFailure, LambdaReply};
use cognito_signup::*;
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[test]
fn creates_an_unconfirmed_user_with_a_sub_and_sends_a_masked_code() {
    let h = host().build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("vera@oracle.com")))
        .unwrap();
    assert!(!r.user_confirmed);
    let sub = uuid_v4(&r.user_sub);
    assert_eq!(
        r.code_delivery_details,
        Some(CodeDeliveryDetails {
            destination: "v***@o***.com".into(),
            delivery_medium: DeliveryMedium::Email,
            attribute_name: "email".into(),
        })
    );
    let u = h.get("alice");
    assert_eq!(u.username, "alice");
    assert_eq!(u.user_status, "UNCONFIRMED");
    assert!(u.enabled);
    assert_eq!(u.attribute("sub"), Some(sub.as_str()));
    assert_eq!(u.attribute("email"), Some("vera@oracle.com"));
    assert_eq!(u.attribute("email_verified"), Some("false"));
    assert_eq!(u.user_create_date, START.as_secs_f64());
    let m = h.delivery.last().unwrap();
    assert_eq!(m.trigger_source, "CustomMessage_SignUp");
    assert_eq!(m.destination, "vera@oracle.com");
    assert_eq!(m.username, "alice");
    assert_eq!(m.subject.as_deref(), Some("Your verification code"));
    assert_eq!(
        m.body,
        format!("Your verification code is {}. ", m.code.as_str())
    );
}

fn uuid_v4(s: &str) -> String {
    let b = s.as_bytes();
    assert_eq!(s.len(), 36, "{s}");
    assert_eq!(
        (b[8], b[13], b[14], b[18], b[23]),
        (b'-', b'-', b'4', b'-', b'-'),
        "{s}"
    );
    assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "{s}");
    s.to_owned()
}

#[test]
fn password_is_stored_only_as_an_argon2id_phc_string() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    let rec = h.record("alice");
    let phc = rec.password.as_ref().unwrap().as_phc().to_owned();
    assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
    assert!(!phc.contains(PASSWORD));
    let stored = serde_json::to_string(&rec).unwrap();
    assert!(!stored.contains(PASSWORD));
    assert!(!stored.contains(&h.last_code()), "the code is not stored");
}

#[test]
fn duplicate_username_is_username_exists() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h
            .driver
            .sign_up(h.sign_up_req("alice", Some("other@example.com")))),
        pair("UsernameExistsException", "User already exists")
    );
    assert_eq!(h.records().len(), 1);
}

#[test]
fn duplicate_in_another_case_exists_only_in_case_insensitive_pools() {
    let h = host().case_insensitive().build();
    h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("ALICE", None))).0,
        "UsernameExistsException"
    );
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    h.driver.sign_up(h.sign_up_req("ALICE", None)).unwrap();
}

#[test]
fn username_attribute_duplicate_names_the_attribute_even_when_unconfirmed() {
    let h = host().email_username().case_insensitive().build();
    h.driver
        .sign_up(h.sign_up_req("carol@example.com", None))
        .unwrap();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("Carol@Example.com", None))),
        pair(
            "UsernameExistsException",
            "An account with the given email already exists."
        )
    );
}

#[test]
fn username_attribute_pools_check_the_username_format() {
    let h = host().email_username().build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("carol", None))),
        pair("InvalidParameterException", "Username should be an email.")
    );
    let h = host()
        .pool(|p| {
            p.username_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
        .build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("carol", None))).1,
        "Username should be a phone number."
    );
    let h = host()
        .email_username()
        .pool(|p| {
            p.username_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
        .build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("carol", None))).1,
        "Username should be either an email or a phone number."
    );
    h.driver
        .sign_up(h.sign_up_req("+14155550100", None))
        .unwrap();
    assert_eq!(
        h.get("+14155550100").attribute("phone_number"),
        Some("+14155550100")
    );
    let e = h
        .driver
        .sign_up(h.sign_up_req("dave@example.com", Some("other@example.com")));
    assert_eq!(
        err(e).1,
        "User email should be empty or same as username, since username attribute is email"
    );
}

#[test]
fn alias_pools_refuse_usernames_in_alias_format() {
    let h = host().email_alias().build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice@example.com", None))),
        pair(
            "InvalidParameterException",
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    );
    let h = host().phone_alias().build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("+14155550100", None))).1,
        "Username cannot be of phone number format, since user pool is configured for phone number alias."
    );
    let h = host()
        .pool(|p| {
            p.alias_attributes.insert(AliasAttribute::PreferredUsername);
        })
        .build();
    let req = h
        .sign_up_req("alice", None)
        .attribute("preferred_username", "ally");
    assert_eq!(
        err(h.driver.sign_up(req)).1,
        "Preferred username cannot be provided for unconfirmed account, since user pool is configured for preferred username alias."
    );
}

#[test]
fn attribute_schema_rules() {
    let h = host().build();
    let cases = [
        ("email", "not-an-email", "Invalid email address format."),
        ("phone_number", "555-0100", "Invalid phone number format."),
        (
            "favourite_colour",
            "blue",
            "Attributes did not conform to the schema: Type for attribute {favourite_colour} could not be determined",
        ),
        (
            "email_verified",
            "true",
            "Attributes did not conform to the schema: email_verified: Attribute cannot be written at sign-up",
        ),
        (
            "sub",
            "00000000-0000-4000-8000-000000000000",
            "Attributes did not conform to the schema: sub: Attribute cannot be written at sign-up",
        ),
    ];
    for (name, value, message) in cases {
        let req = h.sign_up_req("alice", None).attribute(name, value);
        assert_eq!(
            err(h.driver.sign_up(req)),
            pair("InvalidParameterException", message)
        );
    }
    assert!(h.records().is_empty());
    let req = h
        .sign_up_req("alice", Some("alice@example.com"))
        .attribute("custom:plan", "gold")
        .attribute("given_name", "Alice");
    h.driver.sign_up(req).unwrap();
    assert_eq!(h.get("alice").attribute("custom:plan"), Some("gold"));
}

#[test]
fn password_policy_messages() {
    let h = host().build();
    let cases = [
        (
            "Sh0rt!",
            "Password did not conform with policy: Password not long enough",
        ),
        (
            "lower-case-1",
            "Password did not conform with policy: Password must have uppercase characters",
        ),
        (
            "UPPER-CASE-1",
            "Password did not conform with policy: Password must have lowercase characters",
        ),
        (
            "No-Numbers-Here",
            "Password did not conform with policy: Password must have numeric characters",
        ),
        (
            "NoSymbols123",
            "Password did not conform with policy: Password must have symbol characters",
        ),
    ];
    for (password, message) in cases {
        let req = SignUpRequest::new(CLIENT, "alice", password);
        assert_eq!(
            err(h.driver.sign_up(req)),
            pair("InvalidPasswordException", message)
        );
    }
    assert!(h.records().is_empty());
}

#[test]
fn password_is_required_unless_the_pool_allows_passwordless_sign_in() {
    let h = host().build();
    let mut req = h.sign_up_req("alice", Some("alice@example.com"));
    req.password = None;
    assert_eq!(
        err(h.driver.sign_up(req.clone())),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null"
        )
    );
    let h = host()
        .pool(|p| p.policies.sign_in_policy.allowed_first_auth_factors = vec!["EMAIL_OTP".into()])
        .build();
    req.password = Some(String::new());
    h.driver.sign_up(req).unwrap();
    assert!(h.record("alice").password.is_none());
}

#[test]
fn admin_only_pool_refuses_sign_up() {
    let h = host()
        .pool(|p| p.admin_create_user_config.allow_admin_create_user_only = true)
        .build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice", None))),
        pair(
            "NotAuthorizedException",
            "SignUp is not permitted for this user pool"
        )
    );
}

#[test]
fn sign_up_checks_secret_hash_and_client() {
    let h = host().secret("clientsecretvalue123").build();
    let mut req = h.sign_up_req("alice", None);
    req.secret_hash = None;
    assert_eq!(
        err(h.driver.sign_up(req)).1,
        "Client testclient is configured for secret but secret was not received"
    );
    h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    let req = SignUpRequest::new("unknown", "bob", PASSWORD);
    assert_eq!(
        err(h.driver.sign_up(req)),
        pair(
            "ResourceNotFoundException",
            "User pool client unknown does not exist."
        )
    );
}

#[test]
fn phone_wins_when_both_are_auto_verified() {
    let h = host()
        .pool(|p| {
            p.auto_verified_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
        .build();
    let req = h
        .sign_up_req("alice", Some("alice@example.com"))
        .attribute("phone_number", "+123456780276");
    let r = h.driver.sign_up(req).unwrap();
    let d = r.code_delivery_details.unwrap();
    assert_eq!(d.destination, "+********0276");
    assert_eq!(d.delivery_medium, DeliveryMedium::Sms);
    assert_eq!(d.attribute_name, "phone_number");
    assert!(h.delivery.last().unwrap().subject.is_none());
    h.confirm("alice", &h.last_code()).unwrap();
    let u = h.get("alice");
    assert_eq!(u.attribute("phone_number_verified"), Some("true"));
    assert_eq!(
        u.attribute("email_verified"),
        Some("false"),
        "only the delivered-to attribute"
    );
}

#[test]
fn email_is_used_when_the_phone_is_missing() {
    let h = host()
        .pool(|p| {
            p.auto_verified_attributes
                .insert(VerifiableAttribute::PhoneNumber);
        })
        .build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("a@b.co")))
        .unwrap();
    assert_eq!(
        r.code_delivery_details.unwrap().delivery_medium,
        DeliveryMedium::Email
    );
}

#[test]
fn no_auto_verified_attribute_means_no_code() {
    let h = host().pool(|p| p.auto_verified_attributes.clear()).build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("a@b.co")))
        .unwrap();
    assert!(r.code_delivery_details.is_none());
    assert!(h.delivery.messages().is_empty());
    // Auto-verified but not supplied: no code either.
    let h = host().build();
    let r = h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    assert!(r.code_delivery_details.is_none());
}

#[test]
fn verification_message_template_is_used() {
    let h = host()
        .pool(|p| {
            p.verification_message_template.email_message = Some("Code: {####} ({####})".into());
            p.verification_message_template.email_subject = Some("Welcome".into());
        })
        .build();
    h.sign_up("alice", "alice@example.com");
    let m = h.delivery.last().unwrap();
    let c = m.code.as_str();
    assert_eq!(m.body, format!("Code: {c} ({c})"));
    assert_eq!(m.subject.as_deref(), Some("Welcome"));
}

#[test]
fn pre_sign_up_event_is_the_documented_shape() {
    let h = host().pre_sign_up().build();
    let mut req = h.sign_up_req("alice", Some("alice@example.com"));
    req.client_metadata = Some([("src".to_owned(), "web".to_owned())].into());
    h.driver.sign_up(req.clone()).unwrap();
    let e = &h.lambda.events("PreSignUp_SignUp")[0];
    assert_eq!(
        e,
        &serde_json::json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": POOL,
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT},
            "triggerSource": "PreSignUp_SignUp",
            "request": {
                "userAttributes": {"email": "alice@example.com"},
                "validationData": null,
                "clientMetadata": {"src": "web"}
            },
            "response": {"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}
        })
    );
    let mut req = h.sign_up_req("bob", None);
    req.validation_data = Some(vec![AttributeType::new("captcha", "ok")]);
    h.driver.sign_up(req).unwrap();
    let e = &h.lambda.events("PreSignUp_SignUp")[1];
    assert_eq!(
        e["request"]["validationData"],
        serde_json::json!({"captcha": "ok"})
    );
    assert!(e["request"].get("clientMetadata").is_none());
    assert!(
        h.get("bob").attribute("captcha").is_none(),
        "validation data is not kept"
    );
}

#[test]
fn pre_sign_up_in_a_username_attribute_pool_gets_the_sub_as_user_name() {
    let h = host().email_username().pre_sign_up().build();
    let r = h
        .driver
        .sign_up(h.sign_up_req("carol@example.com", None))
        .unwrap();
    let e = &h.lambda.events("PreSignUp_SignUp")[0];
    assert_eq!(e["userName"], serde_json::json!(r.user_sub));
    assert_eq!(e["request"]["userAttributes"]["email"], "carol@example.com");
}

fn respond(flags: serde_json::Value) -> impl Fn(&protocol::LambdaInvocation) -> LambdaReply {
    move |inv| {
        let mut e: serde_json::Value = serde_json::from_str(&inv.payload).unwrap();
        if inv.trigger_source == "PreSignUp_SignUp" {
            e["response"] = flags.clone();
        }
        LambdaReply::Returned(serde_json::to_vec(&e).unwrap())
    }
}

#[test]
fn pre_sign_up_auto_confirm_creates_a_confirmed_user_without_a_code_and_runs_post_confirmation() {
    let h = host().pre_sign_up().post_confirmation().build();
    h.lambda
        .answer(respond(serde_json::json!({"autoConfirmUser": true})));
    let r = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    assert!(r.user_confirmed);
    assert!(r.code_delivery_details.is_none());
    assert!(h.delivery.messages().is_empty());
    let u = h.get("alice");
    assert_eq!(u.user_status, "CONFIRMED");
    assert_eq!(u.attribute("email_verified"), Some("false"));
    let post = h.lambda.events("PostConfirmation_ConfirmSignUp");
    assert_eq!(post.len(), 1);
    assert_eq!(post[0]["callerContext"]["clientId"], CLIENT);
    assert_eq!(
        post[0]["request"]["userAttributes"]["cognito:user_status"],
        "CONFIRMED"
    );
    assert_eq!(
        err(h.confirm("alice", "123456")).1,
        "User cannot be confirmed. Current status is CONFIRMED"
    );
}

#[test]
fn pre_sign_up_auto_verify_moves_an_alias_from_its_previous_holder() {
    let h = host().email_alias().pre_sign_up().build();
    let a = h.sign_up("alice", "shared@example.com");
    h.confirm("alice", &a).unwrap();
    h.lambda.answer(respond(
        serde_json::json!({"autoConfirmUser": true, "autoVerifyEmail": true}),
    ));
    h.driver
        .sign_up(h.sign_up_req("bob", Some("shared@example.com")))
        .unwrap();
    assert_eq!(h.get("bob").attribute("email_verified"), Some("true"));
    assert_eq!(h.get("alice").attribute("email_verified"), Some("false"));
    assert_eq!(h.get("shared@example.com").username, "bob");
}

#[test]
fn pre_sign_up_auto_verify_without_the_attribute_is_invalid_lambda_response() {
    let h = host().pre_sign_up().build();
    h.lambda
        .answer(respond(serde_json::json!({"autoVerifyPhone": true})));
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice", Some("a@b.co")))),
        pair(
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output"
        )
    );
    assert!(h.records().is_empty());
}

#[test]
fn pre_sign_up_failures_create_no_user() {
    let cases: Vec<(LambdaReply, (&str, &str))> = vec![
        (
            LambdaReply::FunctionError {
                error_message: "Apikey non valida!".into(),
                error_type: None,
            },
            (
                "UserLambdaValidationException",
                "PreSignUp failed with error Apikey non valida!.",
            ),
        ),
        (
            LambdaReply::InvokeFailed(InvokeFailure::AccessDenied),
            (
                "UnexpectedLambdaException",
                "PreSignUp invocation failed due to error AccessDeniedException.",
            ),
        ),
        (
            LambdaReply::Returned(b"null".to_vec()),
            (
                "InvalidLambdaResponseException",
                "Unrecognizable lambda output",
            ),
        ),
    ];
    for (reply, (name, message)) in cases {
        let h = host().pre_sign_up().build();
        h.lambda.answer(move |_| reply.clone());
        assert_eq!(
            err(h.driver.sign_up(h.sign_up_req("alice", Some("a@b.co")))),
            pair(name, message)
        );
        assert!(h.records().is_empty());
        assert!(h.delivery.messages().is_empty());
    }
}

#[test]
fn custom_message_shapes_the_message_and_gets_the_documented_event() {
    let h = host().custom_message().build();
    h.lambda.answer(|inv| {
        let mut e: serde_json::Value = serde_json::from_str(&inv.payload).unwrap();
        e["response"]["emailMessage"] = "Welcome! Your code: {####}".into();
        e["response"]["emailSubject"] = "Hello".into();
        LambdaReply::Returned(serde_json::to_vec(&e).unwrap())
    });
    h.driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    let m = h.delivery.last().unwrap();
    assert_eq!(m.body, format!("Welcome! Your code: {}", m.code.as_str()));
    assert_eq!(m.subject.as_deref(), Some("Hello"));
    let e = &h.lambda.events("CustomMessage_SignUp")[0];
    let sub = h.get("alice").attribute("sub").unwrap().to_owned();
    assert_eq!(
        e,
        &serde_json::json!({
            "version": "1",
            "region": "us-east-1",
            "userPoolId": POOL,
            "userName": "alice",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT},
            "triggerSource": "CustomMessage_SignUp",
            "request": {
                "userAttributes": {
                    "sub": sub,
                    "cognito:user_status": "UNCONFIRMED",
                    "email_verified": "false",
                    "email": "alice@example.com"
                },
                "codeParameter": "{####}",
                "linkParameter": "{##Click Here##}",
                "usernameParameter": null
            },
            "response": {"smsMessage": null, "emailMessage": null, "emailSubject": null}
        })
    );
    assert!(
        !h.lambda.calls()[0].payload.contains(m.code.as_str()),
        "the code never goes to the trigger"
    );
}

#[test]
fn custom_message_without_the_code_placeholder_is_refused_and_creates_no_user() {
    let h = host().custom_message().build();
    h.lambda.answer(|inv| {
        let mut e: serde_json::Value = serde_json::from_str(&inv.payload).unwrap();
        e["response"]["emailMessage"] = "No code here".into();
        LambdaReply::Returned(serde_json::to_vec(&e).unwrap())
    });
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice", Some("a@b.co")))),
        pair(
            "InvalidLambdaResponseException",
            "Unrecognizable lambda output"
        )
    );
    assert!(h.records().is_empty());
}

#[test]
fn delivery_failure_is_code_delivery_failure_and_the_user_remains() {
    let h = host().build();
    h.delivery.set_failing(true);
    let e = h
        .driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap_err();
    assert_eq!(e.name(), "CodeDeliveryFailureException");
    assert_eq!(e.message(), "Unable to deliver the confirmation code.");
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    h.delivery.set_failing(false);
    h.resend("alice").unwrap();
    h.confirm("alice", &h.last_code()).unwrap();
}

#[test]
fn sign_up_is_throttled_and_guarded() {
    let h = host()
        .pool(|p| {
            p.sign_up_policy.user_creation_rate = 1;
            p.sign_up_policy.user_creation_burst = 1;
        })
        .build();
    h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("bob", None))),
        pair("TooManyRequestsException", "Rate exceeded")
    );
    h.guard.block.store(true, Ordering::SeqCst);
    h.advance(std::time::Duration::from_secs(1));
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("bob", None))).0,
        "ForbiddenException"
    );
    assert_eq!(h.records().len(), 1);
}

#[test]
fn sign_up_operation_can_be_disabled() {
    let h = host()
        .pool(|p| {
            p.disabled_operations.insert(OperationName::SignUp);
        })
        .build();
    assert_eq!(
        err(h.driver.sign_up(h.sign_up_req("alice", None))).0,
        "OperationNotEnabledException"
    );
}

#[test]
fn conflicting_sign_up_of_the_same_username_is_username_exists() {
    // Two SignUps for one name decided against the same empty store: the second commit
    // conflicts, re-reads, and finds the first user.
    use cognito_signup::ops::{CommitChanges, Need, Operation as _, SignUp, Step};
    let h = host().build();
    let a = SignUp::new(
        h.sign_up_req("alice", None),
        START,
        h.driver.seed().unwrap(),
    );
    let b = SignUp::new(
        h.sign_up_req("alice", None),
        START,
        h.driver.seed().unwrap(),
    );
    // Drive both up to their commit.
    let drive_to_commit = |op: SignUp| -> CommitChanges<SignUp> {
        let mut step = op.start();
        loop {
            match step {
                Step::Need(Need::Commit(n)) => return n,
                Step::Need(n) => step = h.driver.answer(n),
                Step::Done(r) => panic!("finished early: {r:?}"),
            }
        }
    };
    let ca = drive_to_commit(a);
    let cb = drive_to_commit(b);
    let finish = |need: CommitChanges<SignUp>| {
        let mut step = h.driver.answer(Need::Commit(need));
        loop {
            match step {
                Step::Done(r) => return r,
                Step::Need(n) => step = h.driver.answer(n),
            }
        }
    };
    finish(ca).unwrap();
    let rb = finish(cb);
    assert_eq!(
        err(rb),
        pair("UsernameExistsException", "User already exists")
    );
    assert_eq!(h.records().len(), 1);
}

#[test]
fn sign_up_under_a_saturated_hasher_is_too_many_requests_and_creates_no_user() {
    // One slot, no queue: while the slot is held, every SignUp with a password is refused at
    // once, before anything is committed.
    let hasher = Arc::new(
        PasswordHasher::new(PasswordHashing::insecure_fast_for_tests())
            .with_slots(1)
            .with_queue(0)
            .with_max_wait(std::time::Duration::from_secs(3600)),
    );
    let mut h = host().build();
    h.driver = h.driver.with_hasher(Arc::clone(&hasher));
    let held = hasher.try_acquire().unwrap();
    assert_eq!(
        err(h
            .driver
            .sign_up(h.sign_up_req("alice", Some("alice@example.com")))),
        pair("TooManyRequestsException", "Rate exceeded")
    );
    assert!(h.records().is_empty());
    assert!(h.delivery.messages().is_empty());
    assert_eq!(
        err(h
            .driver
            .admin_get_user(AdminUserRequest::new(POOL, "alice"))),
        pair("UserNotFoundException", "User does not exist.")
    );
    // The slot freed, the same request succeeds: it was the hasher that refused.
    drop(held);
    h.driver
        .sign_up(h.sign_up_req("alice", Some("alice@example.com")))
        .unwrap();
    assert_eq!(h.status("alice"), "UNCONFIRMED");
    assert_eq!(hasher.busy(), 0);
}

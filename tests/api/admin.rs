//! AdminConfirmSignUp, AdminGetUser, AdminDisableUser, AdminEnableUser.

use crate::harness::*;
use cognito_signup::protocol::LambdaReply;
use cognito_signup::*;

#[test]
fn admin_confirm_confirms_without_verifying_and_kills_the_code() {
    let h = host().post_confirmation().build();
    let code = h.sign_up("alice", "alice@example.com");
    let mut req = AdminConfirmSignUpRequest::new(POOL, "alice");
    req.client_metadata = Some([("by".to_owned(), "admin".to_owned())].into());
    assert_eq!(
        h.driver.admin_confirm_sign_up(req).unwrap(),
        AdminConfirmSignUpResponse {}
    );
    let u = h.get("alice");
    assert_eq!(u.user_status, "CONFIRMED");
    assert_eq!(u.attribute("email_verified"), Some("false"));
    assert!(h.record("alice").code.is_none());
    assert_eq!(
        err(h.confirm("alice", &code)).1,
        "User cannot be confirmed. Current status is CONFIRMED"
    );
    let post = h.lambda.events("PostConfirmation_ConfirmSignUp");
    assert_eq!(post.len(), 1);
    assert_eq!(
        post[0]["callerContext"],
        serde_json::json!({"awsSdkVersion": "aws-sdk-unknown-unknown"}),
        "no clientId for admin operations"
    );
    assert_eq!(
        post[0]["request"]["clientMetadata"],
        serde_json::json!({"by": "admin"})
    );
}

#[test]
fn admin_confirm_errors() {
    let h = host().build();
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new("us-east-1_Nope", "alice"))),
        pair(
            "ResourceNotFoundException",
            "User pool us-east-1_Nope does not exist."
        )
    );
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))),
        pair("UserNotFoundException", "User does not exist.")
    );
    h.sign_up("alice", "alice@example.com");
    h.driver
        .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))
        .unwrap();
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))),
        pair(
            "NotAuthorizedException",
            "User cannot be confirmed. Current status is CONFIRMED"
        )
    );
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new("bad", "alice"))),
        pair(
            "InvalidParameterException",
            "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        )
    );
}

#[test]
fn admin_confirm_reports_post_confirmation_failure_after_commit() {
    let h = host().post_confirmation().build();
    h.sign_up("alice", "alice@example.com");
    h.lambda.answer(|_| LambdaReply::FunctionError {
        error_message: "nope".into(),
        error_type: None,
    });
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))),
        pair(
            "UserLambdaValidationException",
            "PostConfirmation failed with error nope."
        )
    );
    assert_eq!(h.status("alice"), "CONFIRMED");
}

#[test]
fn admin_confirm_is_throttled_with_user_creation() {
    let h = host()
        .pool(|p| {
            p.sign_up_policy.user_creation_rate = 1;
            p.sign_up_policy.user_creation_burst = 1;
        })
        .build();
    h.driver.sign_up(h.sign_up_req("alice", None)).unwrap();
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))),
        pair("TooManyRequestsException", "Rate exceeded")
    );
    // Reads are not throttled.
    assert_eq!(h.status("alice"), "UNCONFIRMED");
}

#[test]
fn admin_get_user_finds_by_username_alias_and_sub() {
    let h = host().email_alias().build();
    let code = h.sign_up("alice", "alice@example.com");
    h.confirm("alice", &code).unwrap();
    let sub = h.get("alice").attribute("sub").unwrap().to_owned();
    assert_eq!(h.get(&sub).username, "alice");
    assert_eq!(h.get("alice@example.com").username, "alice");
    assert_eq!(
        err(h
            .driver
            .admin_get_user(AdminUserRequest::new(POOL, "nobody"))),
        pair("UserNotFoundException", "User does not exist.")
    );
    assert_eq!(
        err(h
            .driver
            .admin_get_user(AdminUserRequest::new("us-east-1_Nope", "alice")))
        .0,
        "ResourceNotFoundException"
    );
}

#[test]
fn admin_get_user_reports_attributes_dates_and_status() {
    let h = host().build();
    let req = h
        .sign_up_req("alice", Some("alice@example.com"))
        .attribute("given_name", "Alice");
    h.driver.sign_up(req).unwrap();
    let u = h.get("alice");
    let names: Vec<&str> = u
        .user_attributes
        .iter()
        .map(|a| a.name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["sub", "given_name", "email_verified", "email"]);
    assert_eq!(u.user_create_date, START.as_secs_f64());
    let json = serde_json::to_value(&u).unwrap();
    for member in [
        "Username",
        "UserAttributes",
        "UserCreateDate",
        "UserLastModifiedDate",
        "Enabled",
        "UserStatus",
    ] {
        assert!(json.get(member).is_some(), "{member}");
    }
}

#[test]
fn disable_and_enable_switch_enabled() {
    let h = host().build();
    h.sign_up("alice", "alice@example.com");
    assert_eq!(
        h.driver
            .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
            .unwrap(),
        AdminUserUpdateResponse {}
    );
    assert!(!h.get("alice").enabled);
    h.driver
        .admin_disable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    h.driver
        .admin_enable_user(AdminUserRequest::new(POOL, "alice"))
        .unwrap();
    assert!(h.get("alice").enabled);
    assert_eq!(
        err(h
            .driver
            .admin_enable_user(AdminUserRequest::new(POOL, "nobody"))),
        pair("UserNotFoundException", "User does not exist.")
    );
}

#[test]
fn admin_operations_can_be_disabled() {
    let h = host()
        .pool(|p| {
            p.disabled_operations
                .insert(OperationName::AdminConfirmSignUp);
        })
        .build();
    h.sign_up("alice", "alice@example.com");
    assert_eq!(
        err(h
            .driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(POOL, "alice"))),
        pair(
            "OperationNotEnabledException",
            "This operation is not enabled for this user pool."
        )
    );
}

//! Pool and client settings from `describe-user-pool` / `describe-user-pool-client` output.

use cognito_signup::*;
use std::time::Duration;

#[test]
fn describe_user_pool_output_parses() {
    let pool = UserPool::from_json(
        r#"{"UserPool": {
            "Id": "eu-west-1_AbC123", "Name": "mine", "Policies": {
              "PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": false, "RequireLowercase": true,
                                 "RequireNumbers": true, "RequireSymbols": false, "TemporaryPasswordValidityDays": 7}},
            "DeletionProtection": "INACTIVE",
            "LambdaConfig": {"PostConfirmation": "arn:aws:lambda:eu-west-1:123:function:post"},
            "SchemaAttributes": [{"Name": "sub"}],
            "AutoVerifiedAttributes": ["email"],
            "AliasAttributes": ["email", "preferred_username"],
            "UsernameConfiguration": {"CaseSensitive": false},
            "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7},
            "EstimatedNumberOfUsers": 3
        }}"#,
    )
    .unwrap();
    assert_eq!(pool.id, "eu-west-1_AbC123");
    assert_eq!(pool.region(), "eu-west-1");
    assert_eq!(pool.policies.password_policy.minimum_length, 12);
    assert!(!pool.policies.password_policy.require_uppercase);
    assert!(pool.case_insensitive());
    assert!(
        pool.alias_attributes
            .contains(&AliasAttribute::PreferredUsername)
    );
    assert_eq!(
        pool.lambda_config.post_confirmation.as_deref(),
        Some("arn:aws:lambda:eu-west-1:123:function:post")
    );
    assert_eq!(pool.sign_up_policy, SignUpPolicy::cognito());
    // Bare objects parse too, with Cognito's defaults.
    let bare = UserPool::from_json(r#"{"Id": "us-east-1_X"}"#).unwrap();
    assert!(
        !bare.case_insensitive(),
        "the API default is case sensitive"
    );
    assert_eq!(
        bare.policies.password_policy,
        config::PasswordPolicy::default()
    );
}

#[test]
fn describe_user_pool_client_output_parses_and_debug_hides_the_secret() {
    let c = AppClient::from_json(
        r#"{"UserPoolClient": {"UserPoolId": "us-east-1_X", "ClientName": "web", "ClientId": "abc123",
            "ClientSecret": "supersecretvalue", "PreventUserExistenceErrors": "ENABLED",
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]}}"#,
    )
    .unwrap();
    assert_eq!(c.client_id, "abc123");
    assert_eq!(
        c.prevent_user_existence_errors,
        PreventUserExistenceErrors::Enabled
    );
    assert!(!format!("{c:?}").contains("supersecretvalue"));
    let legacy = AppClient::from_json(r#"{"ClientId": "x"}"#).unwrap();
    assert_eq!(
        legacy.prevent_user_existence_errors,
        PreventUserExistenceErrors::Legacy
    );
}

#[test]
fn sign_up_policy_presets_and_overrides() {
    let p: SignUpPolicy =
        serde_json::from_str(r#"{"Preset": "hardened", "ResendsPerHour": 2}"#).unwrap();
    assert_eq!(p.failed_checks_per_code, Some(5));
    assert_eq!(p.min_interval_between_codes, Duration::from_secs(60));
    assert_eq!(p.resends_per_window, 2);
    assert_eq!(p.failed_confirmations_per_window, 15);
    let p: SignUpPolicy = serde_json::from_str(
        r#"{"CodeValiditySeconds": 600, "FailedConfirmationsPerHour": 3, "RequestsPerSecond": 7}"#,
    )
    .unwrap();
    assert_eq!(p.code_validity, Duration::from_secs(600));
    assert_eq!(p.failed_confirmations_per_window, 3);
    assert_eq!(
        (
            p.user_creation_rate,
            p.user_creation_burst,
            p.resend_rate,
            p.resend_burst
        ),
        (7, 7, 7, 7)
    );
    assert_eq!(p.failed_checks_per_code, None);
    for bad in [
        r#"{"RequestsPerSecond": 0}"#,
        r#"{"RequestsPerSecond": 100001}"#,
        r#"{"Preset": "lax"}"#,
    ] {
        assert!(serde_json::from_str::<SignUpPolicy>(bad).is_err(), "{bad}");
    }
}

#[test]
fn code_keys_need_a_real_key() {
    assert!(CodeKeys::new(&[[0u8; 8]]).is_err());
    assert!(CodeKeys::new::<[u8; 32]>(&[]).is_err());
    assert!(CodeKeys::new(&[[1u8; 16]]).is_ok());
}

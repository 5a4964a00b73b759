//! Pool and client management ([pool-operations]): every operation's success shape, its
//! validation messages, unknown pools and clients, the cascade of DeleteUserPool, ids and
//! secrets, and the wire entry point.

use cognito_signup::error::HostError;
use cognito_signup::host::PoolCatalog;
use cognito_signup::manage::{
    self, CreateUserPoolClientRequest, CreateUserPoolRequest, ListUserPoolClientsRequest,
    ListUserPoolsRequest, PasswordPolicyInput, PoliciesInput, UpdateUserPoolClientRequest,
    UpdateUserPoolRequest, UserPoolClientRequest, UserPoolRequest, UsernameConfigurationInput,
};
use cognito_signup::protocol::CatalogOutcome;
use cognito_signup::reference::CatalogDirectory;
use cognito_signup::wire::{self, Management, WireResponse};
use cognito_signup::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

const START: Timestamp = Timestamp::from_secs(1_795_000_000);
const NOPE: &str = "us-east-1_Nope";

fn keys(_: &str) -> Result<CodeKeys, HostError> {
    Ok(CodeKeys::new(&[[9u8; 32]])?)
}

struct Host {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    delivery: Arc<RecordingDelivery>,
    driver: Driver<Arc<MemoryStore>>,
}

fn host() -> Host {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(START));
    let delivery = Arc::new(RecordingDelivery::new());
    let directory = CatalogDirectory::new(StaticDirectory::new(), store.clone(), keys);
    let driver = Driver::new(store.clone(), Arc::new(directory))
        .with_clock(clock.clone())
        .with_delivery(delivery.clone())
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests())
        .with_catalog(store.clone());
    Host {
        store,
        clock,
        delivery,
        driver,
    }
}

fn pool(h: &Host, name: &str) -> UserPool {
    h.driver
        .create_user_pool(CreateUserPoolRequest::new(name))
        .unwrap()
        .user_pool
}

fn client(h: &Host, pool_id: &str, secret: bool) -> AppClient {
    let mut r = CreateUserPoolClientRequest::new(pool_id, "app");
    r.generate_secret = Some(secret);
    h.driver
        .create_user_pool_client(r)
        .unwrap()
        .user_pool_client
}

fn err(e: Error, exception: Exception, message: &str) {
    assert_eq!((e.exception(), e.message()), (exception, message));
}

fn invalid(e: Error, message: &str) {
    err(e, Exception::InvalidParameter, message);
}

fn not_found(e: Error, message: &str) {
    err(e, Exception::ResourceNotFound, message);
}

// ---------------------------------------------------------------------------------------------
// CreateUserPool, DescribeUserPool.

#[test]
fn create_user_pool_makes_an_aws_shaped_id_and_describe_returns_the_settings() {
    // [pool-create] [pool-ids] [pool-defaults]
    let h = host();
    let mut r = CreateUserPoolRequest::new("My pool, v1.0");
    r.alias_attributes = Some(vec!["email".into()]);
    r.username_configuration = Some(UsernameConfigurationInput {
        case_sensitive: Some(false),
    });
    r.settings.auto_verified_attributes = Some(vec!["email".into()]);
    r.settings.policies = Some(PoliciesInput {
        password_policy: Some(PasswordPolicyInput {
            minimum_length: Some(12),
            require_numbers: Some(true),
            ..PasswordPolicyInput::default()
        }),
        sign_in_policy: None,
    });
    let created = h.driver.create_user_pool(r).unwrap().user_pool;
    let (region, suffix) = created.id.split_once('_').unwrap();
    assert_eq!(region, "us-east-1");
    assert_eq!(suffix.len(), 9);
    assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(created.name.as_deref(), Some("My pool, v1.0"));
    assert_eq!(created.creation_date, Some(START));
    assert_eq!(created.last_modified_date, Some(START));
    assert_eq!(
        created.alias_attributes,
        [AliasAttribute::Email].into_iter().collect()
    );
    assert!(created.case_insensitive());
    let p = &created.policies.password_policy;
    assert_eq!(
        (p.minimum_length, p.require_numbers, p.require_uppercase),
        (12, true, false),
        "an omitted flag of a given policy is false"
    );
    let described = h
        .driver
        .describe_user_pool(UserPoolRequest::new(&created.id))
        .unwrap()
        .user_pool;
    assert_eq!(described, created);
    // A pool created without settings has Cognito's defaults.
    let plain = pool(&h, "plain");
    assert_eq!(plain.policies, config::Policies::default());
    assert!(!plain.case_insensitive());
    assert!(plain.auto_verified_attributes.is_empty());
}

#[test]
fn the_driver_region_names_the_pool_ids() {
    // [pool-ids]
    let h = host();
    let driver = Driver::new(h.store.clone(), Arc::new(StaticDirectory::new()))
        .with_catalog(h.store.clone())
        .with_region("eu-central-1");
    let p = driver
        .create_user_pool(CreateUserPoolRequest::new("x"))
        .unwrap()
        .user_pool;
    assert!(p.id.starts_with("eu-central-1_"), "{}", p.id);
}

#[test]
fn pool_names_are_validated_as_aws_does() {
    // [pool-validation]
    let h = host();
    let create = |r: CreateUserPoolRequest| h.driver.create_user_pool(r).unwrap_err();
    invalid(
        create(CreateUserPoolRequest::default()),
        "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null",
    );
    invalid(
        create(CreateUserPoolRequest::new("a/b")),
        "1 validation error detected: Value 'a/b' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    );
    invalid(
        create(CreateUserPoolRequest::new("")),
        "2 validation errors detected: Value '' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+; Value '' at 'poolName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
    let long = "n".repeat(129);
    invalid(
        create(CreateUserPoolRequest::new(long.clone())),
        &format!(
            "1 validation error detected: Value '{long}' at 'poolName' failed to satisfy constraint: Member must have length less than or equal to 128"
        ),
    );
    // 128 characters, spaces and the allowed punctuation are fine.
    pool(&h, &"n".repeat(128));
    pool(&h, "a b+c=d,e.f@g-h_i");
}

#[test]
fn pool_settings_are_validated_as_aws_does() {
    // [pool-validation] [pool-attributes]
    let h = host();
    let create = |f: &dyn Fn(&mut CreateUserPoolRequest)| {
        let mut r = CreateUserPoolRequest::new("p");
        f(&mut r);
        h.driver.create_user_pool(r).unwrap_err()
    };
    invalid(
        create(&|r| r.alias_attributes = Some(vec!["email".into(), "nickname".into()])),
        "1 validation error detected: Value '[email, nickname]' at 'aliasAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email, preferred_username]]",
    );
    invalid(
        create(&|r| r.settings.auto_verified_attributes = Some(vec!["preferred_username".into()])),
        "1 validation error detected: Value '[preferred_username]' at 'autoVerifiedAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]",
    );
    invalid(
        create(&|r| {
            r.alias_attributes = Some(vec!["phone_number".into()]);
            r.username_attributes = Some(vec!["email".into()]);
        }),
        manage::messages::ALIAS_AND_USERNAME_ATTRIBUTES,
    );
    invalid(
        create(&|r| {
            r.username_configuration = Some(UsernameConfigurationInput::default());
        }),
        "1 validation error detected: Value null at 'usernameConfiguration.caseSensitive' failed to satisfy constraint: Member must not be null",
    );
    invalid(
        create(&|r| {
            r.settings.policies = Some(PoliciesInput {
                password_policy: Some(PasswordPolicyInput {
                    minimum_length: Some(5),
                    ..PasswordPolicyInput::default()
                }),
                sign_in_policy: None,
            });
        }),
        "1 validation error detected: Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value greater than or equal to 6",
    );
    invalid(
        create(&|r| r.settings.sms_verification_message = Some("no placeholder".into())),
        "1 validation error detected: Value at 'smsVerificationMessage' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\\{####\\}.*",
    );
    invalid(
        create(&|r| {
            let mut l = config::LambdaConfig::default();
            l.pre_sign_up = Some("my-function".into());
            r.settings.lambda_config = Some(l);
        }),
        "2 validation errors detected: Value at 'lambdaConfig.preSignUp' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?; Value at 'lambdaConfig.preSignUp' failed to satisfy constraint: Member must have length greater than or equal to 20",
    );
    // A valid ARN and message are kept.
    let mut r = CreateUserPoolRequest::new("p");
    let mut l = config::LambdaConfig::default();
    l.pre_sign_up = Some("arn:aws:lambda:us-east-1:123456789012:function:pre".into());
    r.settings.lambda_config = Some(l);
    r.settings.sms_verification_message = Some("Code: {####}".into());
    let p = h.driver.create_user_pool(r).unwrap().user_pool;
    assert_eq!(
        p.lambda_config.pre_sign_up.as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:pre")
    );
    assert_eq!(p.sms_verification_message.as_deref(), Some("Code: {####}"));
}

// ---------------------------------------------------------------------------------------------
// Unknown pools and clients.

#[test]
fn an_unknown_pool_is_resource_not_found_on_every_call() {
    // [pool-not-found]
    let h = host();
    let d = &h.driver;
    let m = "User pool us-east-1_Nope does not exist.";
    not_found(
        d.describe_user_pool(UserPoolRequest::new(NOPE))
            .unwrap_err(),
        m,
    );
    not_found(
        d.update_user_pool(UpdateUserPoolRequest::new(NOPE))
            .unwrap_err(),
        m,
    );
    not_found(
        d.delete_user_pool(UserPoolRequest::new(NOPE)).unwrap_err(),
        m,
    );
    not_found(
        d.create_user_pool_client(CreateUserPoolClientRequest::new(NOPE, "app"))
            .unwrap_err(),
        m,
    );
    not_found(
        d.describe_user_pool_client(UserPoolClientRequest::new(NOPE, "c"))
            .unwrap_err(),
        m,
    );
    not_found(
        d.update_user_pool_client(UpdateUserPoolClientRequest::new(NOPE, "c"))
            .unwrap_err(),
        m,
    );
    not_found(
        d.delete_user_pool_client(UserPoolClientRequest::new(NOPE, "c"))
            .unwrap_err(),
        m,
    );
    not_found(
        d.list_user_pool_clients(ListUserPoolClientsRequest::new(NOPE))
            .unwrap_err(),
        m,
    );
}

#[test]
fn an_unknown_client_or_one_of_another_pool_is_resource_not_found() {
    // [client-not-found] [client-wrong-pool]
    let h = host();
    let a = pool(&h, "a");
    let b = pool(&h, "b");
    let of_b = client(&h, &b.id, false);
    let d = &h.driver;
    for id in ["nosuchclient", of_b.client_id.as_str()] {
        let m = format!("User pool client {id} does not exist.");
        not_found(
            d.describe_user_pool_client(UserPoolClientRequest::new(&a.id, id))
                .unwrap_err(),
            &m,
        );
        not_found(
            d.update_user_pool_client(UpdateUserPoolClientRequest::new(&a.id, id))
                .unwrap_err(),
            &m,
        );
        not_found(
            d.delete_user_pool_client(UserPoolClientRequest::new(&a.id, id))
                .unwrap_err(),
            &m,
        );
    }
    // The client of b is untouched.
    assert!(
        d.describe_user_pool_client(UserPoolClientRequest::new(&b.id, &of_b.client_id))
            .is_ok()
    );
}

#[test]
fn ids_are_validated_before_anything_is_looked_up() {
    // [pool-validation]
    let h = host();
    invalid(
        h.driver
            .describe_user_pool(UserPoolRequest::default())
            .unwrap_err(),
        "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null",
    );
    invalid(
        h.driver
            .describe_user_pool_client(UserPoolClientRequest::new("bad", "c d"))
            .unwrap_err(),
        "2 validation errors detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+; Value 'c d' at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+]+",
    );
}

// ---------------------------------------------------------------------------------------------
// Clients.

#[test]
fn create_user_pool_client_keeps_its_settings_and_describe_returns_them() {
    // [client-create] [client-secret] [client-settings]
    let h = host();
    let p = pool(&h, "p");
    let mut r = CreateUserPoolClientRequest::new(&p.id, "web app");
    r.generate_secret = Some(true);
    r.settings.explicit_auth_flows = Some(vec![
        "ALLOW_USER_PASSWORD_AUTH".into(),
        "ALLOW_REFRESH_TOKEN_AUTH".into(),
    ]);
    r.settings.prevent_user_existence_errors = Some("ENABLED".into());
    let c = h
        .driver
        .create_user_pool_client(r)
        .unwrap()
        .user_pool_client;
    assert_eq!(c.client_id.len(), 26);
    assert!(
        c.client_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    let secret = c.client_secret.clone().unwrap();
    assert_eq!(secret.len(), 52);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    assert_eq!(c.user_pool_id.as_deref(), Some(p.id.as_str()));
    assert_eq!(c.client_name.as_deref(), Some("web app"));
    assert_eq!(
        c.explicit_auth_flows,
        ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    );
    assert_eq!(
        c.prevent_user_existence_errors,
        PreventUserExistenceErrors::Enabled
    );
    assert_eq!(
        (c.creation_date, c.last_modified_date),
        (Some(START), Some(START))
    );
    let described = h
        .driver
        .describe_user_pool_client(UserPoolClientRequest::new(&p.id, &c.client_id))
        .unwrap()
        .user_pool_client;
    assert_eq!(described, c);
    // Secrets never in Debug.
    let debug = format!(
        "{c:?} {:?}",
        h.driver
            .describe_user_pool_client(UserPoolClientRequest::new(&p.id, &c.client_id))
    );
    assert!(!debug.contains(&secret), "{debug}");
    // Without GenerateSecret there is no secret; a given secret is kept.
    assert!(client(&h, &p.id, false).client_secret.is_none());
    let mut r = CreateUserPoolClientRequest::new(&p.id, "own");
    r.client_secret = Some("abcdefghijklmnopqrstuvwxyz0123".into());
    let own = h
        .driver
        .create_user_pool_client(r)
        .unwrap()
        .user_pool_client;
    assert_eq!(
        own.client_secret.as_deref(),
        Some("abcdefghijklmnopqrstuvwxyz0123")
    );
}

#[test]
fn client_requests_are_validated_as_aws_does() {
    // [pool-validation]
    let h = host();
    let p = pool(&h, "p");
    let create = |f: &dyn Fn(&mut CreateUserPoolClientRequest)| {
        let mut r = CreateUserPoolClientRequest::new(&p.id, "app");
        f(&mut r);
        h.driver.create_user_pool_client(r).unwrap_err()
    };
    invalid(
        create(&|r| r.client_name = None),
        "1 validation error detected: Value null at 'clientName' failed to satisfy constraint: Member must not be null",
    );
    invalid(
        create(&|r| r.client_name = Some("x".repeat(129))),
        &format!(
            "1 validation error detected: Value '{}' at 'clientName' failed to satisfy constraint: Member must have length less than or equal to 128",
            "x".repeat(129)
        ),
    );
    invalid(
        create(&|r| r.client_name = Some("a*b".into())),
        "1 validation error detected: Value 'a*b' at 'clientName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    );
    invalid(
        create(&|r| r.settings.explicit_auth_flows = Some(vec!["ALLOW_EVERYTHING".into()])),
        "1 validation error detected: Value '[ALLOW_EVERYTHING]' at 'explicitAuthFlows' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH, ALLOW_ADMIN_USER_PASSWORD_AUTH, ALLOW_CUSTOM_AUTH, ALLOW_USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_AUTH]]",
    );
    invalid(
        create(&|r| r.settings.prevent_user_existence_errors = Some("SOMETIMES".into())),
        "1 validation error detected: Value 'SOMETIMES' at 'preventUserExistenceErrors' failed to satisfy constraint: Member must satisfy enum value set: [LEGACY, ENABLED]",
    );
    invalid(
        create(&|r| r.client_secret = Some("short".into())),
        "1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length greater than or equal to 24",
    );
}

#[test]
fn update_user_pool_client_resets_omitted_settings_and_keeps_name_and_secret() {
    // [client-update]
    let h = host();
    let p = pool(&h, "p");
    let mut r = CreateUserPoolClientRequest::new(&p.id, "app");
    r.generate_secret = Some(true);
    r.settings.explicit_auth_flows = Some(vec!["ALLOW_USER_SRP_AUTH".into()]);
    r.settings.prevent_user_existence_errors = Some("ENABLED".into());
    let c = h
        .driver
        .create_user_pool_client(r)
        .unwrap()
        .user_pool_client;
    h.clock.advance(Duration::from_secs(60));
    let updated = h
        .driver
        .update_user_pool_client(UpdateUserPoolClientRequest::new(&p.id, &c.client_id))
        .unwrap()
        .user_pool_client;
    assert!(updated.explicit_auth_flows.is_empty());
    assert_eq!(
        updated.prevent_user_existence_errors,
        PreventUserExistenceErrors::Legacy
    );
    assert_eq!(updated.client_name.as_deref(), Some("app"));
    assert_eq!(updated.client_secret, c.client_secret);
    assert_eq!(updated.creation_date, Some(START));
    assert_eq!(
        updated.last_modified_date,
        Some(START.saturating_add(Duration::from_secs(60)))
    );
    let mut rename = UpdateUserPoolClientRequest::new(&p.id, &c.client_id);
    rename.client_name = Some("renamed".into());
    h.driver.update_user_pool_client(rename).unwrap();
    let described = h
        .driver
        .describe_user_pool_client(UserPoolClientRequest::new(&p.id, &c.client_id))
        .unwrap()
        .user_pool_client;
    assert_eq!(described.client_name.as_deref(), Some("renamed"));
}

#[test]
fn delete_user_pool_client_removes_only_that_client() {
    let h = host();
    let p = pool(&h, "p");
    let a = client(&h, &p.id, false);
    let b = client(&h, &p.id, false);
    h.driver
        .delete_user_pool_client(UserPoolClientRequest::new(&p.id, &a.client_id))
        .unwrap();
    not_found(
        h.driver
            .describe_user_pool_client(UserPoolClientRequest::new(&p.id, &a.client_id))
            .unwrap_err(),
        &format!("User pool client {} does not exist.", a.client_id),
    );
    let listed = h
        .driver
        .list_user_pool_clients(ListUserPoolClientsRequest::new(&p.id))
        .unwrap();
    assert_eq!(listed.user_pool_clients, [b]);
}

// ---------------------------------------------------------------------------------------------
// Lists.

#[test]
fn list_user_pools_pages_through_every_pool_once() {
    // [pool-list]
    let h = host();
    let mut made: Vec<String> = (0..5).map(|i| pool(&h, &format!("p{i}")).id).collect();
    made.sort();
    let mut seen = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let mut r = ListUserPoolsRequest::new(2);
        r.next_token = token;
        let page = h.driver.list_user_pools(r).unwrap();
        assert!(page.user_pools.len() <= 2);
        seen.extend(page.user_pools.iter().map(|p| p.id.clone()));
        pages += 1;
        token = page.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made);
    // The page holds the pool's description.
    let all = h
        .driver
        .list_user_pools(ListUserPoolsRequest::new(60))
        .unwrap();
    assert_eq!(all.user_pools.len(), 5);
    assert!(all.next_token.is_none());
}

#[test]
fn list_user_pools_validates_max_results_and_tokens() {
    // [pool-list] [pool-validation]
    let h = host();
    let list = |r: ListUserPoolsRequest| h.driver.list_user_pools(r).unwrap_err();
    invalid(
        list(ListUserPoolsRequest::default()),
        "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
    );
    invalid(
        list(ListUserPoolsRequest::new(0)),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    invalid(
        list(ListUserPoolsRequest::new(61)),
        "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60",
    );
    let mut r = ListUserPoolsRequest::new(10);
    r.next_token = Some("garbage".into());
    invalid(list(r), manage::messages::INVALID_NEXT_TOKEN);
    let mut r = ListUserPoolsRequest::new(10);
    r.next_token = Some("has space".into());
    invalid(
        list(r),
        "1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+",
    );
}

#[test]
fn list_user_pool_clients_pages_validates_and_filters_by_type() {
    // [pool-list]
    let h = host();
    let p = pool(&h, "p");
    let other = pool(&h, "other");
    client(&h, &other.id, false);
    let mut made: Vec<String> = (0..3).map(|_| client(&h, &p.id, true).client_id).collect();
    made.sort();
    let mut r = ListUserPoolClientsRequest::new(&p.id);
    r.max_results = Some(2);
    let first = h.driver.list_user_pool_clients(r).unwrap();
    assert_eq!(first.user_pool_clients.len(), 2);
    let mut r = ListUserPoolClientsRequest::new(&p.id);
    r.max_results = Some(2);
    r.next_token = first.next_token.clone();
    let second = h.driver.list_user_pool_clients(r).unwrap();
    assert!(second.next_token.is_none());
    let ids: Vec<String> = first
        .user_pool_clients
        .iter()
        .chain(&second.user_pool_clients)
        .map(|c| c.client_id.clone())
        .collect();
    assert_eq!(ids, made);
    // Without MaxResults, one page of up to 60.
    let all = h
        .driver
        .list_user_pool_clients(ListUserPoolClientsRequest::new(&p.id))
        .unwrap();
    assert_eq!(all.user_pool_clients.len(), 3);
    // Every client is a regular one.
    let mut dcr = ListUserPoolClientsRequest::new(&p.id);
    dcr.client_type = Some("DCR".into());
    assert!(
        h.driver
            .list_user_pool_clients(dcr)
            .unwrap()
            .user_pool_clients
            .is_empty()
    );
    let mut bad = ListUserPoolClientsRequest::new(&p.id);
    bad.max_results = Some(0);
    invalid(
        h.driver.list_user_pool_clients(bad).unwrap_err(),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    let mut bad = ListUserPoolClientsRequest::new(&p.id);
    bad.next_token = Some("Zm9v".into());
    invalid(
        h.driver.list_user_pool_clients(bad).unwrap_err(),
        manage::messages::INVALID_NEXT_TOKEN,
    );
}

// ---------------------------------------------------------------------------------------------
// UpdateUserPool.

#[test]
fn update_user_pool_replaces_settings_and_returns_omitted_ones_to_defaults() {
    // [pool-update]
    let h = host();
    let mut r = CreateUserPoolRequest::new("p");
    r.alias_attributes = Some(vec!["email".into()]);
    r.username_configuration = Some(UsernameConfigurationInput {
        case_sensitive: Some(false),
    });
    r.settings.auto_verified_attributes = Some(vec!["email".into()]);
    r.settings.email_verification_subject = Some("Welcome".into());
    let p = h.driver.create_user_pool(r).unwrap().user_pool;
    h.clock.advance(Duration::from_secs(5));
    let mut u = UpdateUserPoolRequest::new(&p.id);
    u.settings.sms_verification_message = Some("Your code {####}".into());
    h.driver.update_user_pool(u).unwrap();
    let after = h
        .driver
        .describe_user_pool(UserPoolRequest::new(&p.id))
        .unwrap()
        .user_pool;
    // Given: replaced. Omitted: default. Fixed at creation: kept.
    assert_eq!(
        after.sms_verification_message.as_deref(),
        Some("Your code {####}")
    );
    assert!(after.auto_verified_attributes.is_empty());
    assert!(after.email_verification_subject.is_none());
    assert_eq!(after.alias_attributes, p.alias_attributes);
    assert!(after.case_insensitive());
    assert_eq!(after.name.as_deref(), Some("p"));
    assert_eq!(after.creation_date, Some(START));
    assert_eq!(
        after.last_modified_date,
        Some(START.saturating_add(Duration::from_secs(5)))
    );
    // A new name.
    let mut u = UpdateUserPoolRequest::new(&p.id);
    u.pool_name = Some("q".into());
    h.driver.update_user_pool(u).unwrap();
    assert_eq!(
        h.store.pool(&p.id).unwrap().unwrap().name.as_deref(),
        Some("q")
    );
    let mut u = UpdateUserPoolRequest::new(&p.id);
    u.pool_name = Some("q/r".into());
    invalid(
        h.driver.update_user_pool(u).unwrap_err(),
        "1 validation error detected: Value 'q/r' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    );
}

#[test]
fn sign_up_sees_the_pool_as_updated() {
    // [pool-directory] [pool-update]
    let h = host();
    let p = pool(&h, "p");
    let c = client(&h, &p.id, false);
    let sign_up = |name: &str| {
        h.driver
            .sign_up(
                SignUpRequest::new(&c.client_id, name, "Corr3ct-Horse!")
                    .attribute("email", format!("{name}@example.com")),
            )
            .unwrap()
    };
    // Nothing auto-verified: no code.
    assert!(sign_up("alice").code_delivery_details.is_none());
    let mut u = UpdateUserPoolRequest::new(&p.id);
    u.settings.auto_verified_attributes = Some(vec!["email".into()]);
    h.driver.update_user_pool(u).unwrap();
    let details = sign_up("bob").code_delivery_details.unwrap();
    assert_eq!(details.attribute_name, "email");
    assert_eq!(h.delivery.last().unwrap().username, "bob");
}

// ---------------------------------------------------------------------------------------------
// DeleteUserPool.

#[test]
fn delete_user_pool_removes_its_clients_and_users_and_its_codes_confirm_nothing() {
    // [pool-delete] [pool-directory]
    let h = host();
    let mut r = CreateUserPoolRequest::new("p");
    r.settings.auto_verified_attributes = Some(vec!["email".into()]);
    let p = h.driver.create_user_pool(r).unwrap().user_pool;
    let c = client(&h, &p.id, true);
    let secret = c.client_secret.clone().unwrap();
    h.driver
        .sign_up(
            SignUpRequest::new(&c.client_id, "alice", "Corr3ct-Horse!")
                .attribute("email", "alice@example.com")
                .with_secret_hash_from(&secret),
        )
        .unwrap();
    let code = h.delivery.last().unwrap().code;
    assert_eq!(h.store.records(&p.id).unwrap().len(), 1);
    h.driver
        .delete_user_pool(UserPoolRequest::new(&p.id))
        .unwrap();
    assert!(h.store.records(&p.id).unwrap().is_empty());
    assert!(h.store.index(&p.id).unwrap().is_empty());
    assert!(h.store.client(&c.client_id).unwrap().is_none());
    not_found(
        h.driver
            .describe_user_pool(UserPoolRequest::new(&p.id))
            .unwrap_err(),
        &format!("User pool {} does not exist.", p.id),
    );
    // The code confirms nothing: its client no longer resolves.
    not_found(
        h.driver
            .confirm_sign_up(
                ConfirmSignUpRequest::new(&c.client_id, "alice", code.as_str())
                    .with_secret_hash_from(&secret),
            )
            .unwrap_err(),
        &format!("User pool client {} does not exist.", c.client_id),
    );
    not_found(
        h.driver
            .admin_get_user(AdminUserRequest::new(&p.id, "alice"))
            .unwrap_err(),
        &format!("User pool {} does not exist.", p.id),
    );
}

/// A store that deletes a pool from the catalog just before the first commit it is given: a
/// DeleteUserPool landing while an operation is between its reads and its commit.
struct DeletesBeforeCommit {
    inner: Arc<MemoryStore>,
    pool_id: String,
    deleted: AtomicBool,
    commits: AtomicU32,
}

impl UserStore for DeletesBeforeCommit {
    fn find(
        &self,
        pool_id: &str,
        keys: &[IndexKey],
    ) -> Result<Option<Versioned<UserRecord>>, HostError> {
        self.inner.find(pool_id, keys)
    }
    fn commit(&self, pool_id: &str, commit: &Commit) -> Result<CommitOutcome, HostError> {
        if !self.deleted.swap(true, Ordering::SeqCst) {
            assert_eq!(
                self.inner.delete_pool(&self.pool_id).unwrap(),
                CatalogOutcome::Done
            );
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.inner.commit(pool_id, commit)
    }
    fn list(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Versioned<UserRecord>>, HostError> {
        self.inner.list(pool_id, after, limit)
    }
}

/// A driver over `h`'s store and catalog whose store deletes `pool_id` just before the first
/// commit it is given.
fn deleting_driver(
    h: &Host,
    pool_id: &str,
) -> (Arc<DeletesBeforeCommit>, Driver<Arc<DeletesBeforeCommit>>) {
    let store = Arc::new(DeletesBeforeCommit {
        inner: h.store.clone(),
        pool_id: pool_id.to_owned(),
        deleted: AtomicBool::new(false),
        commits: AtomicU32::new(0),
    });
    let directory = CatalogDirectory::new(StaticDirectory::new(), h.store.clone(), keys);
    let driver = Driver::new(store.clone(), Arc::new(directory))
        .with_clock(h.clock.clone())
        .with_delivery(h.delivery.clone())
        .with_password_hashing(PasswordHashing::insecure_fast_for_tests());
    (store, driver)
}

/// A pool that auto-verifies email, with a client (ENABLED or LEGACY) and a user `alice`
/// signed up (UNCONFIRMED); the code she was sent.
fn pool_with_alice(h: &Host, enabled: bool) -> (UserPool, AppClient, String) {
    let mut r = CreateUserPoolRequest::new("p");
    r.settings.auto_verified_attributes = Some(vec!["email".into()]);
    let p = h.driver.create_user_pool(r).unwrap().user_pool;
    let mut r = CreateUserPoolClientRequest::new(&p.id, "app");
    if enabled {
        r.settings.prevent_user_existence_errors = Some("ENABLED".into());
    }
    let c = h
        .driver
        .create_user_pool_client(r)
        .unwrap()
        .user_pool_client;
    h.driver
        .sign_up(
            SignUpRequest::new(&c.client_id, "alice", "Corr3ct-Horse!")
                .attribute("email", "alice@example.com"),
        )
        .unwrap();
    let code = h.delivery.last().unwrap().code.as_str().to_owned();
    (p, c, code)
}

/// Nothing of the deleted pool `p` remains: no pool, client, record or index entry.
fn nothing_of(h: &Host, p: &UserPool, c: &AppClient) {
    assert!(h.store.pool(&p.id).unwrap().is_none());
    assert!(h.store.client(&c.client_id).unwrap().is_none());
    assert!(h.store.records(&p.id).unwrap().is_empty());
    assert!(h.store.index(&p.id).unwrap().is_empty());
}

#[test]
fn a_sign_up_in_flight_when_its_pool_is_deleted_leaves_no_user() {
    // [pool-delete] [conflict-resolve-again] The SignUp resolved its client before the delete
    // and commits after it: the commit conflicts, the client no longer resolves, and the answer
    // is the one a SignUp starting now gets; no user of the deleted pool is left.
    let h = host();
    let p = pool(&h, "p");
    let c = client(&h, &p.id, false);
    let (store, driver) = deleting_driver(&h, &p.id);
    not_found(
        driver
            .sign_up(
                SignUpRequest::new(&c.client_id, "alice", "Corr3ct-Horse!")
                    .attribute("email", "alice@example.com"),
            )
            .unwrap_err(),
        &format!("User pool client {} does not exist.", c.client_id),
    );
    assert_eq!(
        store.commits.load(Ordering::SeqCst),
        1,
        "no commit after the conflict"
    );
    nothing_of(&h, &p, &c);
    assert!(h.delivery.messages().is_empty());
    // The next SignUp gets the same answer.
    not_found(
        driver
            .sign_up(SignUpRequest::new(&c.client_id, "bob", "Corr3ct-Horse!"))
            .unwrap_err(),
        &format!("User pool client {} does not exist.", c.client_id),
    );
}

#[test]
fn a_confirm_sign_up_in_flight_when_its_pool_is_deleted_answers_its_client_is_gone() {
    // [pool-delete] [conflict-resolve-again] The right code: the confirmation's commit
    // conflicts (alice went with the pool), and the client no longer resolves.
    let h = host();
    let (p, c, code) = pool_with_alice(&h, false);
    let (store, driver) = deleting_driver(&h, &p.id);
    not_found(
        driver
            .confirm_sign_up(ConfirmSignUpRequest::new(&c.client_id, "alice", &code))
            .unwrap_err(),
        &format!("User pool client {} does not exist.", c.client_id),
    );
    assert_eq!(store.commits.load(Ordering::SeqCst), 1);
    nothing_of(&h, &p, &c);
}

#[test]
fn hidden_and_present_failures_in_flight_when_the_pool_is_deleted_answer_alike_under_enabled() {
    // [pool-delete] [conflict-resolve-again] [hide-principle] Under ENABLED a wrong code for
    // alice and any code for a missing name (whose commit creates the pool's decoy) both
    // conflict with the deletion; both answer that the client is gone, as a request starting
    // now does.
    for name in ["alice", "nobody"] {
        let h = host();
        let (p, c, code) = pool_with_alice(&h, true);
        let wrong = if code == "111111" { "222222" } else { "111111" };
        let (store, driver) = deleting_driver(&h, &p.id);
        not_found(
            driver
                .confirm_sign_up(ConfirmSignUpRequest::new(&c.client_id, name, wrong))
                .unwrap_err(),
            &format!("User pool client {} does not exist.", c.client_id),
        );
        assert_eq!(store.commits.load(Ordering::SeqCst), 1, "{name}");
        nothing_of(&h, &p, &c);
    }
}

#[test]
fn a_resend_in_flight_when_its_pool_is_deleted_answers_its_client_is_gone() {
    // [pool-delete] [conflict-resolve-again]
    let h = host();
    let (p, c, _) = pool_with_alice(&h, false);
    let sent = h.delivery.messages().len();
    let (store, driver) = deleting_driver(&h, &p.id);
    not_found(
        driver
            .resend_confirmation_code(ResendConfirmationCodeRequest::new(&c.client_id, "alice"))
            .unwrap_err(),
        &format!("User pool client {} does not exist.", c.client_id),
    );
    assert_eq!(store.commits.load(Ordering::SeqCst), 1);
    assert_eq!(h.delivery.messages().len(), sent, "no code delivered");
    nothing_of(&h, &p, &c);
}

#[test]
fn an_admin_confirm_sign_up_in_flight_when_its_pool_is_deleted_answers_the_pool_is_gone() {
    // [pool-delete] [conflict-resolve-again] Admin operations resolve their pool again.
    let h = host();
    let (p, c, _) = pool_with_alice(&h, false);
    let (store, driver) = deleting_driver(&h, &p.id);
    not_found(
        driver
            .admin_confirm_sign_up(AdminConfirmSignUpRequest::new(&p.id, "alice"))
            .unwrap_err(),
        &format!("User pool {} does not exist.", p.id),
    );
    assert_eq!(store.commits.load(Ordering::SeqCst), 1);
    nothing_of(&h, &p, &c);
}

#[test]
fn admin_switches_and_deletions_in_flight_when_the_pool_is_deleted_answer_the_pool_is_gone() {
    // [pool-delete] [conflict-resolve-again]
    type Run = fn(&Driver<Arc<DeletesBeforeCommit>>, &str) -> Result<(), Error>;
    let runs: [Run; 3] = [
        |d, pool| {
            d.admin_disable_user(AdminUserRequest::new(pool, "alice"))
                .map(drop)
        },
        |d, pool| {
            // Disabled first (by the test), so that enabling commits.
            d.admin_enable_user(AdminUserRequest::new(pool, "alice"))
                .map(drop)
        },
        |d, pool| {
            d.admin_delete_user(AdminDeleteUserRequest::new(pool, "alice"))
                .map(drop)
        },
    ];
    for (i, run) in runs.into_iter().enumerate() {
        let h = host();
        let (p, c, _) = pool_with_alice(&h, false);
        if i == 1 {
            h.driver
                .admin_disable_user(AdminUserRequest::new(&p.id, "alice"))
                .unwrap();
        }
        let (store, driver) = deleting_driver(&h, &p.id);
        not_found(
            run(&driver, &p.id).unwrap_err(),
            &format!("User pool {} does not exist.", p.id),
        );
        assert_eq!(store.commits.load(Ordering::SeqCst), 1, "{i}");
        nothing_of(&h, &p, &c);
    }
}

// ---------------------------------------------------------------------------------------------
// Ids.

#[test]
fn ids_and_secrets_are_unique() {
    // [pool-ids]
    let h = host();
    let pools: Vec<String> = (0..40).map(|i| pool(&h, &format!("p{i}")).id).collect();
    assert_eq!(pools.iter().collect::<HashSet<_>>().len(), 40);
    let clients: Vec<AppClient> = (0..100).map(|_| client(&h, &pools[0], true)).collect();
    let ids: HashSet<_> = clients.iter().map(|c| c.client_id.clone()).collect();
    let secrets: HashSet<_> = clients.iter().map(|c| c.client_secret.clone()).collect();
    assert_eq!((ids.len(), secrets.len()), (100, 100));
}

/// A catalog that answers Conflict to the first `conflicts` inserts, counting them.
struct Crowded {
    inner: MemoryStore,
    conflicts: u32,
    inserts: AtomicU32,
}

impl Crowded {
    fn conflict(&self) -> bool {
        self.inserts.fetch_add(1, Ordering::SeqCst) < self.conflicts
    }
}

impl PoolCatalog for Crowded {
    fn insert_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        if self.conflict() {
            return Ok(CatalogOutcome::Conflict);
        }
        self.inner.insert_pool(pool)
    }
    fn replace_pool(&self, pool: &UserPool) -> Result<CatalogOutcome, HostError> {
        self.inner.replace_pool(pool)
    }
    fn delete_pool(&self, pool_id: &str) -> Result<CatalogOutcome, HostError> {
        self.inner.delete_pool(pool_id)
    }
    fn pool(&self, pool_id: &str) -> Result<Option<UserPool>, HostError> {
        self.inner.pool(pool_id)
    }
    fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, HostError> {
        self.inner.list_pools(after, limit)
    }
    fn insert_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        if self.conflict() {
            return Ok(CatalogOutcome::Conflict);
        }
        self.inner.insert_client(client)
    }
    fn replace_client(&self, client: &AppClient) -> Result<CatalogOutcome, HostError> {
        self.inner.replace_client(client)
    }
    fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<CatalogOutcome, HostError> {
        self.inner.delete_client(pool_id, client_id)
    }
    fn client(&self, client_id: &str) -> Result<Option<AppClient>, HostError> {
        self.inner.client(client_id)
    }
    fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, HostError> {
        self.inner.list_clients(pool_id, after, limit)
    }
}

#[test]
fn a_taken_id_is_drawn_again_a_bounded_number_of_times() {
    // [pool-ids]
    let crowded = Arc::new(Crowded {
        inner: MemoryStore::new(),
        conflicts: manage::MAX_INSERT_ATTEMPTS - 1,
        inserts: AtomicU32::new(0),
    });
    let driver = Driver::new(MemoryStore::new(), Arc::new(StaticDirectory::new()))
        .with_catalog(crowded.clone());
    let p = driver
        .create_user_pool(CreateUserPoolRequest::new("p"))
        .unwrap()
        .user_pool;
    assert_eq!(
        crowded.inserts.load(Ordering::SeqCst),
        manage::MAX_INSERT_ATTEMPTS
    );
    assert!(crowded.inner.pool(&p.id).unwrap().is_some());
    // Every attempt taken: InternalErrorException, nothing inserted.
    let full = Arc::new(Crowded {
        inner: MemoryStore::new(),
        conflicts: u32::MAX,
        inserts: AtomicU32::new(0),
    });
    let driver = Driver::new(MemoryStore::new(), Arc::new(StaticDirectory::new()))
        .with_catalog(full.clone());
    err(
        driver
            .create_user_pool(CreateUserPoolRequest::new("p"))
            .unwrap_err(),
        Exception::InternalError,
        "Internal error encountered.",
    );
    assert_eq!(
        full.inserts.load(Ordering::SeqCst),
        manage::MAX_INSERT_ATTEMPTS
    );
    assert!(full.inner.list_pools(None, 10).unwrap().is_empty());
}

#[test]
fn a_driver_without_a_catalog_answers_internal_error() {
    let driver = Driver::new(MemoryStore::new(), Arc::new(StaticDirectory::new()));
    let e = driver
        .create_user_pool(CreateUserPoolRequest::new("p"))
        .unwrap_err();
    assert_eq!(e.exception(), Exception::InternalError);
}

// ---------------------------------------------------------------------------------------------
// The wire.

fn target(op: &str) -> String {
    format!("{}{op}", wire::TARGET_PREFIX)
}

fn body(r: &WireResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

#[test]
fn management_execute_round_trips_through_the_wire() {
    // [pool-operations] [pool-describe]
    let h = host();
    let randomness = OsRandomness;
    let m = Management {
        catalog: &*h.store,
        users: &*h.store,
        clock: &*h.clock,
        randomness: &randomness,
        region: "ap-south-1",
        directory: &**h.driver.directory(),
    };
    let call = |op: &str, body: Value| {
        let request = wire::decode(&target(op), body.to_string().as_bytes()).unwrap();
        assert!(wire::is_management(request.operation()));
        m.execute(request)
    };
    let r = call(
        "CreateUserPool",
        json!({"PoolName": "wire", "AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
               "MfaConfiguration": "OFF", "Schema": [{"Name": "email", "Required": true}]}),
    );
    assert_eq!(r.status, 200);
    let created = body(&r);
    let pool_id = created["UserPool"]["Id"].as_str().unwrap().to_owned();
    assert!(pool_id.starts_with("ap-south-1_"));
    assert_eq!(created["UserPool"]["Name"], "wire");
    assert_eq!(created["UserPool"]["AliasAttributes"], json!(["email"]));
    assert_eq!(created["UserPool"]["CreationDate"], json!(1_795_000_000.0));
    assert_eq!(
        created["UserPool"]["UsernameConfiguration"],
        json!({"CaseSensitive": true})
    );
    // Unmodelled members are ignored, not kept.
    assert!(created["UserPool"].get("MfaConfiguration").is_none());
    let described = body(&call("DescribeUserPool", json!({"UserPoolId": pool_id})));
    assert_eq!(described, created);

    let r = call(
        "CreateUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientName": "app", "GenerateSecret": true,
               "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "CallbackURLs": ["https://x"]}),
    );
    let c = body(&r)["UserPoolClient"].clone();
    let client_id = c["ClientId"].as_str().unwrap().to_owned();
    assert_eq!(c["ClientSecret"].as_str().unwrap().len(), 52);
    assert_eq!(c["PreventUserExistenceErrors"], "LEGACY");
    assert_eq!(c["ExplicitAuthFlows"], json!(["ALLOW_USER_PASSWORD_AUTH"]));
    assert!(
        format!("{r:?}")
            .find(c["ClientSecret"].as_str().unwrap())
            .is_none()
    );
    let listed = body(&call("ListUserPoolClients", json!({"UserPoolId": pool_id})));
    assert_eq!(
        listed,
        json!({"UserPoolClients": [{"ClientId": client_id, "UserPoolId": pool_id, "ClientName": "app"}]})
    );
    let pools = body(&call("ListUserPools", json!({"MaxResults": 10})));
    assert_eq!(pools["UserPools"][0]["Id"], json!(pool_id));
    assert!(pools.get("NextToken").is_none());
    // ListUsers runs through the same entry point, over the directory and the store.
    h.driver
        .sign_up(
            SignUpRequest::new(&client_id, "wire-user", "Passw0rd!")
                .attribute("email", "wire@example.com")
                .with_secret_hash_from(c["ClientSecret"].as_str().unwrap()),
        )
        .unwrap();
    let users = body(&call(
        "ListUsers",
        json!({"UserPoolId": pool_id, "Filter": "email = \"wire@example.com\""}),
    ));
    assert_eq!(users["Users"].as_array().unwrap().len(), 1);
    assert_eq!(users["Users"][0]["Username"], "wire-user");
    assert_eq!(users["Users"][0]["UserStatus"], "UNCONFIRMED");
    let r = call("UpdateUserPool", json!({"UserPoolId": pool_id}));
    assert_eq!((r.status, body(&r)), (200, json!({})));
    let r = call(
        "DeleteUserPoolClient",
        json!({"UserPoolId": pool_id, "ClientId": client_id}),
    );
    assert_eq!((r.status, body(&r)), (200, json!({})));
    let r = call("DeleteUserPool", json!({"UserPoolId": pool_id}));
    assert_eq!((r.status, body(&r)), (200, json!({})));
    let r = call("DescribeUserPool", json!({"UserPoolId": pool_id}));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("ResourceNotFoundException:")
    );
    assert_eq!(
        body(&r)["message"],
        json!(format!("User pool {pool_id} does not exist."))
    );
    // A step-machine request is not a management one.
    let signup = wire::decode(&target("SignUp"), br#"{"ClientId":"c","Username":"u"}"#).unwrap();
    assert_eq!(m.execute(signup).status, 500);
}

#[test]
fn handle_routes_management_requests_to_the_drivers_catalog() {
    let h = host();
    let r = wire::handle(
        &h.driver,
        &target("CreateUserPool"),
        br#"{"PoolName":"via handle"}"#,
    );
    assert_eq!(r.status, 200);
    let id = body(&r)["UserPool"]["Id"].as_str().unwrap().to_owned();
    assert!(h.store.pool(&id).unwrap().is_some());
    // A wrongly typed member is a SerializationException naming it.
    let r = wire::handle(
        &h.driver,
        &target("ListUserPools"),
        br#"{"MaxResults":"ten"}"#,
    );
    assert_eq!(
        r.header("x-amzn-ErrorType"),
        Some("SerializationException:")
    );
    assert!(wire::requires_signature(OperationName::CreateUserPool));
}

#[test]
fn settings_with_dates_still_load_from_describe_output() {
    // [pool-dates] A number is a date; the AWS CLI's text dates read as no date.
    let cli = r#"{"UserPool": {"Id": "us-east-1_Cli", "Name": "cli",
        "CreationDate": "2024-05-01T10:00:00.123000+00:00",
        "LastModifiedDate": 1714557600.5, "MfaConfiguration": "OFF"}}"#;
    let p = UserPool::from_json(cli).unwrap();
    assert_eq!(p.name.as_deref(), Some("cli"));
    assert_eq!(p.creation_date, None);
    assert_eq!(
        p.last_modified_date,
        Some(Timestamp::from_millis(1_714_557_600_500))
    );
    // What a pool serializes to loads back equal.
    let h = host();
    let made = pool(&h, "round trip");
    let text = serde_json::to_string(&made).unwrap();
    assert_eq!(UserPool::from_json(&text).unwrap(), made);
    let c = client(&h, &made.id, true);
    let text = serde_json::to_string(&c).unwrap();
    assert_eq!(AppClient::from_json(&text).unwrap(), c);
    let cli = r#"{"UserPoolClient": {"ClientId": "abc", "UserPoolId": "us-east-1_Cli",
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"], "CreationDate": "2024-05-01T10:00:00+00:00"}}"#;
    let c = AppClient::from_json(cli).unwrap();
    assert_eq!(c.explicit_auth_flows, ["ALLOW_USER_SRP_AUTH"]);
    assert_eq!(c.creation_date, None);
}

#[test]
fn violations_are_listed_in_the_models_member_order() {
    // [pool-validation]
    let h = host();
    let mut r = CreateUserPoolRequest::new("a/b");
    r.username_configuration = Some(UsernameConfigurationInput::default());
    r.alias_attributes = Some(vec!["x".into()]);
    r.settings.email_verification_subject = Some(String::new());
    invalid(
        h.driver.create_user_pool(r).unwrap_err(),
        "5 validation errors detected: Value 'a/b' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+; Value '[x]' at 'aliasAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email, preferred_username]]; Value at 'emailVerificationSubject' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s]+; Value at 'emailVerificationSubject' failed to satisfy constraint: Member must have length greater than or equal to 1; Value null at 'usernameConfiguration.caseSensitive' failed to satisfy constraint: Member must not be null",
    );
    let p = pool(&h, "p");
    let mut u = UpdateUserPoolRequest::new(&p.id);
    u.pool_name = Some("q/r".into());
    u.settings.sms_verification_message = Some("{####}".into());
    u.settings.auto_verified_attributes = Some(vec!["nickname".into()]);
    invalid(
        h.driver.update_user_pool(u).unwrap_err(),
        "2 validation errors detected: Value '[nickname]' at 'autoVerifiedAttributes' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [phone_number, email]]; Value 'q/r' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+",
    );
}

//! Pool and app client management: CreateUserPool, DescribeUserPool, UpdateUserPool,
//! DeleteUserPool, ListUserPools, CreateUserPoolClient, DescribeUserPoolClient,
//! UpdateUserPoolClient, DeleteUserPoolClient and ListUserPoolClients ([pool-operations]).
//!
//! The settings are data ([`UserPool`], [`AppClient`]) kept by the host's
//! [`PoolCatalog`]; these operations validate a request, make ids and secrets from the host's
//! [`Randomness`], and read or write the catalog. They are not step machines: each is one or
//! two catalog calls, run by [`Driver`](crate::Driver) methods
//! ([`create_user_pool`](crate::Driver::create_user_pool), …) and, on the wire, by
//! `wire::Management::execute`, which share this implementation.
//!
//! The request types carry the members of AWS's requests that this crate models; every other
//! member of the AWS request (MFA, email and SMS configuration, schema, OAuth settings, token
//! validities, tags, …) is accepted and ignored ([pool-unmodelled]).

use crate::config::{
    AdminCreateUserConfig, AliasAttribute, AppClient, LambdaConfig, PasswordPolicy, Policies,
    PreventUserExistenceErrors, SignInPolicy, UserPool, UsernameConfiguration, VerifiableAttribute,
    VerificationMessageTemplate,
};
use crate::error::{Error, Exception};
use crate::host::{Clock, PoolCatalog, Randomness};
use crate::protocol::CatalogOutcome;
use crate::time::Timestamp;
use crate::validate::{self, Violations};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// How many times a create draws a new id after the catalog answered that the id is taken
/// ([pool-ids]).
pub const MAX_INSERT_ATTEMPTS: u32 = 8;
/// The most 32-byte blocks one id or secret draws before the randomness is deemed broken.
const MAX_DRAW_BLOCKS: u32 = 64;
/// Characters of a pool id after `<region>_`.
pub const POOL_ID_SUFFIX_LEN: usize = 9;
/// Characters of a client id.
pub const CLIENT_ID_LEN: usize = 26;
/// Characters of a generated client secret.
pub const CLIENT_SECRET_LEN: usize = 52;
/// The page size of ListUserPoolClients without `MaxResults` ([pool-list]).
pub const DEFAULT_CLIENTS_PAGE: usize = 60;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

const ALIAS_VALUES: &[&str] = &["phone_number", "email", "preferred_username"];
const VERIFIED_VALUES: &[&str] = &["phone_number", "email"];
const AUTH_FACTOR_VALUES: &[&str] = &["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"];
const AUTH_FLOW_VALUES: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];
const EXISTENCE_VALUES: &[&str] = &["LEGACY", "ENABLED"];
const CLIENT_TYPE_VALUES: &[&str] = &["REGULAR", "DCR"];

/// Messages of the management operations, spelled once.
pub mod messages {
    /// InvalidParameterException when both AliasAttributes and UsernameAttributes are given
    /// ([pool-attributes]).
    pub const ALIAS_AND_USERNAME_ATTRIBUTES: &str =
        "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.";
    /// InvalidParameterException for a NextToken this crate did not make ([pool-list]).
    pub const INVALID_NEXT_TOKEN: &str = "The pagination token is invalid.";
    /// InternalErrorException when every drawn id was taken ([pool-ids]).
    pub const IDS_EXHAUSTED: &str = "No free id was found: the host's randomness repeats.";
    /// InternalErrorException when the host's randomness gives only rejected bytes.
    pub const RANDOMNESS_STUCK: &str = "The host's randomness gives no usable bytes.";
    /// InternalErrorException when a driver has no catalog.
    pub const NO_CATALOG: &str = "The driver has no pool catalog (Driver::with_catalog).";
}

/// ResourceNotFoundException `User pool <id> does not exist.` ([pool-not-found]).
#[must_use]
pub fn pool_not_found(pool_id: &str) -> Error {
    Error::new(
        Exception::ResourceNotFound,
        format!("User pool {pool_id} does not exist."),
    )
}

/// ResourceNotFoundException `User pool client <id> does not exist.` ([client-not-found]).
#[must_use]
pub fn client_not_found(client_id: &str) -> Error {
    Error::new(
        Exception::ResourceNotFound,
        format!("User pool client {client_id} does not exist."),
    )
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// `PasswordPolicy` as a request gives it: an omitted flag is `false`, an omitted
/// `MinimumLength` is 8 ([pool-defaults]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicyInput {
    /// `MinimumLength` (6 to 99).
    #[serde(default)]
    pub minimum_length: Option<i64>,
    /// `RequireUppercase`
    #[serde(default)]
    pub require_uppercase: Option<bool>,
    /// `RequireLowercase`
    #[serde(default)]
    pub require_lowercase: Option<bool>,
    /// `RequireNumbers`
    #[serde(default)]
    pub require_numbers: Option<bool>,
    /// `RequireSymbols`
    #[serde(default)]
    pub require_symbols: Option<bool>,
}

/// `SignInPolicy` of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignInPolicyInput {
    /// `AllowedFirstAuthFactors`
    #[serde(default)]
    pub allowed_first_auth_factors: Option<Vec<String>>,
}

/// `Policies` of a request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoliciesInput {
    /// `PasswordPolicy`
    #[serde(default)]
    pub password_policy: Option<PasswordPolicyInput>,
    /// `SignInPolicy`
    #[serde(default)]
    pub sign_in_policy: Option<SignInPolicyInput>,
}

/// `UsernameConfiguration` of a request (`CaseSensitive` is required when it is given).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsernameConfigurationInput {
    /// `CaseSensitive`
    #[serde(default)]
    pub case_sensitive: Option<bool>,
}

/// The settings CreateUserPool and UpdateUserPool share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PoolSettings {
    /// `Policies`
    #[serde(default)]
    pub policies: Option<PoliciesInput>,
    /// `LambdaConfig`: ARNs of the PreSignUp, CustomMessage and PostConfirmation triggers.
    #[serde(default)]
    pub lambda_config: Option<LambdaConfig>,
    /// `AutoVerifiedAttributes`
    #[serde(default)]
    pub auto_verified_attributes: Option<Vec<String>>,
    /// `SmsVerificationMessage`
    #[serde(default)]
    pub sms_verification_message: Option<String>,
    /// `EmailVerificationMessage`
    #[serde(default)]
    pub email_verification_message: Option<String>,
    /// `EmailVerificationSubject`
    #[serde(default)]
    pub email_verification_subject: Option<String>,
    /// `VerificationMessageTemplate`
    #[serde(default)]
    pub verification_message_template: Option<VerificationMessageTemplate>,
    /// `AdminCreateUserConfig`
    #[serde(default)]
    pub admin_create_user_config: Option<AdminCreateUserConfig>,
}

/// CreateUserPool's request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CreateUserPoolRequest {
    /// `PoolName` (required).
    #[serde(default)]
    pub pool_name: Option<String>,
    /// `AliasAttributes` (fixed at creation).
    #[serde(default)]
    pub alias_attributes: Option<Vec<String>>,
    /// `UsernameAttributes` (fixed at creation).
    #[serde(default)]
    pub username_attributes: Option<Vec<String>>,
    /// `UsernameConfiguration` (fixed at creation).
    #[serde(default)]
    pub username_configuration: Option<UsernameConfigurationInput>,
    /// The settings UpdateUserPool can change too.
    #[serde(flatten)]
    pub settings: PoolSettings,
}

impl CreateUserPoolRequest {
    /// A request for a pool named `name`, with the API's defaults.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            pool_name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// UpdateUserPool's request: the settings it gives replace the pool's, and the settings it
/// omits return to their defaults ([pool-update]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateUserPoolRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `PoolName`: the pool keeps its name when omitted.
    #[serde(default)]
    pub pool_name: Option<String>,
    /// The new settings.
    #[serde(flatten)]
    pub settings: PoolSettings,
}

impl UpdateUserPoolRequest {
    /// A request that returns every setting of the pool to its default.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            ..Self::default()
        }
    }
}

/// DescribeUserPool's and DeleteUserPool's request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UserPoolRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
}

impl UserPoolRequest {
    /// A request naming the pool.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
        }
    }
}

/// ListUserPools' request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListUserPoolsRequest {
    /// `NextToken`: where the previous page ended.
    #[serde(default)]
    pub next_token: Option<String>,
    /// `MaxResults` (required, 1 to 60).
    #[serde(default)]
    pub max_results: Option<i64>,
}

impl ListUserPoolsRequest {
    /// The first page of up to `max_results` pools.
    #[must_use]
    pub fn new(max_results: i64) -> Self {
        Self {
            next_token: None,
            max_results: Some(max_results),
        }
    }
}

/// The client settings CreateUserPoolClient and UpdateUserPoolClient share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ClientSettings {
    /// `ExplicitAuthFlows`
    #[serde(default)]
    pub explicit_auth_flows: Option<Vec<String>>,
    /// `PreventUserExistenceErrors` (`LEGACY` when omitted).
    #[serde(default)]
    pub prevent_user_existence_errors: Option<String>,
}

/// CreateUserPoolClient's request. `Debug` redacts `ClientSecret`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CreateUserPoolClientRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `ClientName` (required).
    #[serde(default)]
    pub client_name: Option<String>,
    /// `GenerateSecret`: the client gets a secret made by the crate.
    #[serde(default)]
    pub generate_secret: Option<bool>,
    /// `ClientSecret`: a secret of the caller's choosing ([client-secret]).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The other settings.
    #[serde(flatten)]
    pub settings: ClientSettings,
}

impl fmt::Debug for CreateUserPoolClientRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateUserPoolClientRequest")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_name", &self.client_name)
            .field("generate_secret", &self.generate_secret)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("settings", &self.settings)
            .finish()
    }
}

impl CreateUserPoolClientRequest {
    /// A request for a client named `name` of the pool, without a secret.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            client_name: Some(name.into()),
            ..Self::default()
        }
    }
}

/// UpdateUserPoolClient's request: omitted settings return to their defaults; the name and
/// the secret are kept ([client-update]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UpdateUserPoolClientRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `ClientId` (required).
    #[serde(default)]
    pub client_id: Option<String>,
    /// `ClientName`: kept when omitted.
    #[serde(default)]
    pub client_name: Option<String>,
    /// The new settings.
    #[serde(flatten)]
    pub settings: ClientSettings,
}

impl UpdateUserPoolClientRequest {
    /// A request that returns the client's settings to their defaults.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            client_id: Some(client_id.into()),
            ..Self::default()
        }
    }
}

/// DescribeUserPoolClient's and DeleteUserPoolClient's request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UserPoolClientRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `ClientId` (required).
    #[serde(default)]
    pub client_id: Option<String>,
}

impl UserPoolClientRequest {
    /// A request naming the client of the pool.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            client_id: Some(client_id.into()),
        }
    }
}

/// ListUserPoolClients' request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ListUserPoolClientsRequest {
    /// `UserPoolId` (required).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `MaxResults` (1 to 60; [`DEFAULT_CLIENTS_PAGE`] when omitted).
    #[serde(default)]
    pub max_results: Option<i64>,
    /// `NextToken`: where the previous page ended.
    #[serde(default)]
    pub next_token: Option<String>,
    /// `ClientType`: `REGULAR` or `DCR`; every client of this crate is a regular one
    /// ([pool-list]).
    #[serde(default)]
    pub client_type: Option<String>,
}

impl ListUserPoolClientsRequest {
    /// The first page of the pool's clients.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            ..Self::default()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses.

/// `{"UserPool": …}`: CreateUserPool's and DescribeUserPool's response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserPoolResponse {
    /// The pool's settings.
    pub user_pool: UserPool,
}

/// `{"UserPoolClient": …}`: CreateUserPoolClient's, DescribeUserPoolClient's and
/// UpdateUserPoolClient's response. `Debug` redacts the secret (as [`AppClient`]'s does).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserPoolClientResponse {
    /// The client's settings, with its secret if it has one.
    pub user_pool_client: AppClient,
}

/// ListUserPools' response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListUserPoolsResponse {
    /// `UserPools`: this page, in ascending order of id.
    pub user_pools: Vec<UserPool>,
    /// `NextToken`: present when more pools follow.
    pub next_token: Option<String>,
}

/// ListUserPoolClients' response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListUserPoolClientsResponse {
    /// `UserPoolClients`: this page, in ascending order of client id.
    pub user_pool_clients: Vec<AppClient>,
    /// `NextToken`: present when more clients follow.
    pub next_token: Option<String>,
}

/// The response of operations that answer nothing (`{}`): UpdateUserPool, DeleteUserPool,
/// DeleteUserPoolClient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EmptyResponse {}

// The wire forms of the responses: `UserPoolType`, `UserPoolClientType`,
// `UserPoolDescriptionType` and `UserPoolClientDescription` with the members this crate models
// ([pool-describe]).

fn date<S: serde::Serializer>(d: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(t) => s.serialize_f64(t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// `UsernameConfiguration` on the wire.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UsernameConfigurationView {
    case_sensitive: bool,
}

/// `UserPoolType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PoolView<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    policies: &'a Policies,
    lambda_config: &'a LambdaConfig,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
    last_modified_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
    creation_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    auto_verified_attributes: &'a BTreeSet<VerifiableAttribute>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    alias_attributes: &'a BTreeSet<AliasAttribute>,
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    username_attributes: &'a BTreeSet<VerifiableAttribute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sms_verification_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verification_message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_verification_subject: Option<&'a str>,
    verification_message_template: &'a VerificationMessageTemplate,
    admin_create_user_config: &'a AdminCreateUserConfig,
    username_configuration: UsernameConfigurationView,
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<&'a str>,
}

impl<'a> PoolView<'a> {
    pub(crate) fn of(p: &'a UserPool) -> Self {
        Self {
            id: &p.id,
            name: p.name.as_deref(),
            policies: &p.policies,
            lambda_config: &p.lambda_config,
            last_modified_date: p.last_modified_date,
            creation_date: p.creation_date,
            auto_verified_attributes: &p.auto_verified_attributes,
            alias_attributes: &p.alias_attributes,
            username_attributes: &p.username_attributes,
            sms_verification_message: p.sms_verification_message.as_deref(),
            email_verification_message: p.email_verification_message.as_deref(),
            email_verification_subject: p.email_verification_subject.as_deref(),
            verification_message_template: &p.verification_message_template,
            admin_create_user_config: &p.admin_create_user_config,
            username_configuration: UsernameConfigurationView {
                case_sensitive: p.username_configuration.case_sensitive,
            },
            arn: p.arn.as_deref(),
        }
    }
}

/// `UserPoolClientType`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ClientView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_pool_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_name: Option<&'a str>,
    client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
    last_modified_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
    creation_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    explicit_auth_flows: &'a [String],
    prevent_user_existence_errors: PreventUserExistenceErrors,
}

impl<'a> ClientView<'a> {
    pub(crate) fn of(c: &'a AppClient) -> Self {
        Self {
            user_pool_id: c.user_pool_id.as_deref(),
            client_name: c.client_name.as_deref(),
            client_id: &c.client_id,
            client_secret: c.client_secret.as_deref(),
            last_modified_date: c.last_modified_date,
            creation_date: c.creation_date,
            explicit_auth_flows: &c.explicit_auth_flows,
            prevent_user_existence_errors: c.prevent_user_existence_errors,
        }
    }
}

impl Serialize for UserPoolResponse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct W<'a> {
            user_pool: PoolView<'a>,
        }
        W {
            user_pool: PoolView::of(&self.user_pool),
        }
        .serialize(s)
    }
}

impl Serialize for UserPoolClientResponse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct W<'a> {
            user_pool_client: ClientView<'a>,
        }
        W {
            user_pool_client: ClientView::of(&self.user_pool_client),
        }
        .serialize(s)
    }
}

impl Serialize for ListUserPoolsResponse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `UserPoolDescriptionType`.
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Item<'a> {
            id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            name: Option<&'a str>,
            lambda_config: &'a LambdaConfig,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
            last_modified_date: Option<Timestamp>,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date")]
            creation_date: Option<Timestamp>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct W<'a> {
            user_pools: Vec<Item<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_token: Option<&'a str>,
        }
        W {
            user_pools: self
                .user_pools
                .iter()
                .map(|p| Item {
                    id: &p.id,
                    name: p.name.as_deref(),
                    lambda_config: &p.lambda_config,
                    last_modified_date: p.last_modified_date,
                    creation_date: p.creation_date,
                })
                .collect(),
            next_token: self.next_token.as_deref(),
        }
        .serialize(s)
    }
}

impl Serialize for ListUserPoolClientsResponse {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `UserPoolClientDescription`: no secret.
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Item<'a> {
            client_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            user_pool_id: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            client_name: Option<&'a str>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct W<'a> {
            user_pool_clients: Vec<Item<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_token: Option<&'a str>,
        }
        W {
            user_pool_clients: self
                .user_pool_clients
                .iter()
                .map(|c| Item {
                    client_id: &c.client_id,
                    user_pool_id: c.user_pool_id.as_deref(),
                    client_name: c.client_name.as_deref(),
                })
                .collect(),
            next_token: self.next_token.as_deref(),
        }
        .serialize(s)
    }
}

// ---------------------------------------------------------------------------------------------
// Ids, secrets and tokens.

/// `len` characters drawn uniformly from `alphabet` (at most 256 characters) by rejection
/// sampling: a byte is used only below the largest multiple of the alphabet's size, so no
/// character is likelier than another ([pool-ids]).
fn draw(randomness: &dyn Randomness, alphabet: &[u8], len: usize) -> Result<String, Error> {
    let size = alphabet.len().clamp(1, 256);
    let limit = 256usize.saturating_sub(256usize.checked_rem(size).unwrap_or(0));
    let mut out = String::with_capacity(len);
    let mut block = [0u8; 32];
    // A source that keeps answering rejected bytes is broken; it is not waited on forever.
    let mut blocks = 0u32;
    while out.len() < len {
        blocks = blocks.saturating_add(1);
        if blocks > MAX_DRAW_BLOCKS {
            return Err(Error::internal(messages::RANDOMNESS_STUCK.into()));
        }
        randomness.fill(&mut block).map_err(Error::internal)?;
        for &b in &block {
            if out.len() == len {
                break;
            }
            let b = usize::from(b);
            if b < limit {
                if let Some(&c) = alphabet.get(b.checked_rem(size).unwrap_or(0)) {
                    out.push(char::from(c));
                }
            }
        }
    }
    Ok(out)
}

/// A new pool id: `<region>_` and 9 letters and digits.
///
/// # Errors
/// InternalErrorException when the host's randomness fails.
pub fn new_pool_id(randomness: &dyn Randomness, region: &str) -> Result<String, Error> {
    Ok(format!(
        "{region}_{}",
        draw(randomness, ALNUM, POOL_ID_SUFFIX_LEN)?
    ))
}

/// A new client id: 26 lowercase letters and digits.
///
/// # Errors
/// InternalErrorException when the host's randomness fails.
pub fn new_client_id(randomness: &dyn Randomness) -> Result<String, Error> {
    draw(randomness, LOWER_ALNUM, CLIENT_ID_LEN)
}

/// A new client secret: 52 lowercase letters and digits (about 268 bits).
///
/// # Errors
/// InternalErrorException when the host's randomness fails.
pub fn new_client_secret(randomness: &dyn Randomness) -> Result<String, Error> {
    draw(randomness, LOWER_ALNUM, CLIENT_SECRET_LEN)
}

/// The NextToken of a page that ended at `last` ([pool-list]).
fn token_after(last: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("after:{last}"))
}

/// The id a NextToken names, if this crate made it.
fn after_of(token: &str) -> Result<String, Error> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("after:").map(str::to_owned))
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::new(Exception::InvalidParameter, messages::INVALID_NEXT_TOKEN))
}

/// A page size from a validated `MaxResults` (1 to 60).
fn page_size(max_results: Option<i64>, default: usize) -> usize {
    max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Validation.

/// The settings the model lists before the attribute lists: Policies, LambdaConfig,
/// AutoVerifiedAttributes. Violations are reported in the model's member order.
fn check_policies(v: &mut Violations, s: &PoolSettings) {
    if let Some(p) = &s.policies {
        if let Some(pp) = &p.password_policy {
            v.integer(validate::R_MINIMUM_LENGTH, pp.minimum_length);
        }
        if let Some(sp) = &p.sign_in_policy {
            v.all_of(
                "policies.signInPolicy.allowedFirstAuthFactors",
                sp.allowed_first_auth_factors.as_deref(),
                AUTH_FACTOR_VALUES,
            );
        }
    }
    if let Some(l) = &s.lambda_config {
        for (path, arn) in [
            ("lambdaConfig.preSignUp", &l.pre_sign_up),
            ("lambdaConfig.customMessage", &l.custom_message),
            ("lambdaConfig.postConfirmation", &l.post_confirmation),
        ] {
            v.string_at(path, validate::C_ARN, arn.as_deref());
        }
    }
    v.all_of(
        "autoVerifiedAttributes",
        s.auto_verified_attributes.as_deref(),
        VERIFIED_VALUES,
    );
}

/// The message settings, which the model lists after the attribute lists.
fn check_messages(v: &mut Violations, s: &PoolSettings) {
    v.string_at(
        "smsVerificationMessage",
        validate::C_SMS_MESSAGE,
        s.sms_verification_message.as_deref(),
    );
    v.string_at(
        "emailVerificationMessage",
        validate::C_EMAIL_MESSAGE,
        s.email_verification_message.as_deref(),
    );
    v.string_at(
        "emailVerificationSubject",
        validate::C_EMAIL_SUBJECT,
        s.email_verification_subject.as_deref(),
    );
    if let Some(t) = &s.verification_message_template {
        v.string_at(
            "verificationMessageTemplate.smsMessage",
            validate::C_SMS_MESSAGE,
            t.sms_message.as_deref(),
        );
        v.string_at(
            "verificationMessageTemplate.emailMessage",
            validate::C_EMAIL_MESSAGE,
            t.email_message.as_deref(),
        );
        v.string_at(
            "verificationMessageTemplate.emailSubject",
            validate::C_EMAIL_SUBJECT,
            t.email_subject.as_deref(),
        );
    }
}

fn check_client_settings(v: &mut Violations, s: &ClientSettings) {
    v.all_of(
        "explicitAuthFlows",
        s.explicit_auth_flows.as_deref(),
        AUTH_FLOW_VALUES,
    );
    v.one_of(
        "preventUserExistenceErrors",
        s.prevent_user_existence_errors.as_deref(),
        EXISTENCE_VALUES,
    );
}

/// The attributes of a validated list, as the enum (values outside it were refused).
fn verifiable(list: Option<&[String]>) -> BTreeSet<VerifiableAttribute> {
    list.unwrap_or_default()
        .iter()
        .filter_map(|a| match a.as_str() {
            "email" => Some(VerifiableAttribute::Email),
            "phone_number" => Some(VerifiableAttribute::PhoneNumber),
            _ => None,
        })
        .collect()
}

fn aliases(list: Option<&[String]>) -> BTreeSet<AliasAttribute> {
    list.unwrap_or_default()
        .iter()
        .filter_map(|a| match a.as_str() {
            "email" => Some(AliasAttribute::Email),
            "phone_number" => Some(AliasAttribute::PhoneNumber),
            "preferred_username" => Some(AliasAttribute::PreferredUsername),
            _ => None,
        })
        .collect()
}

/// Applies validated settings to a pool: given members replace the pool's, omitted ones take
/// their defaults ([pool-defaults], [pool-update]).
fn apply_settings(pool: &mut UserPool, s: &PoolSettings) {
    pool.policies = match &s.policies {
        None => Policies::default(),
        Some(p) => Policies {
            password_policy: match &p.password_policy {
                None => PasswordPolicy::default(),
                Some(pp) => PasswordPolicy {
                    minimum_length: pp
                        .minimum_length
                        .and_then(|n| u32::try_from(n).ok())
                        .unwrap_or(PasswordPolicy::default().minimum_length),
                    require_uppercase: pp.require_uppercase.unwrap_or(false),
                    require_lowercase: pp.require_lowercase.unwrap_or(false),
                    require_numbers: pp.require_numbers.unwrap_or(false),
                    require_symbols: pp.require_symbols.unwrap_or(false),
                },
            },
            sign_in_policy: SignInPolicy {
                allowed_first_auth_factors: p
                    .sign_in_policy
                    .as_ref()
                    .and_then(|sp| sp.allowed_first_auth_factors.clone())
                    .unwrap_or_default(),
            },
        },
    };
    pool.lambda_config = s.lambda_config.clone().unwrap_or_default();
    pool.auto_verified_attributes = verifiable(s.auto_verified_attributes.as_deref());
    pool.sms_verification_message = s.sms_verification_message.clone();
    pool.email_verification_message = s.email_verification_message.clone();
    pool.email_verification_subject = s.email_verification_subject.clone();
    pool.verification_message_template =
        s.verification_message_template.clone().unwrap_or_default();
    pool.admin_create_user_config = s.admin_create_user_config.clone().unwrap_or_default();
}

fn apply_client_settings(client: &mut AppClient, s: &ClientSettings) {
    client.explicit_auth_flows = s.explicit_auth_flows.clone().unwrap_or_default();
    client.prevent_user_existence_errors = match s.prevent_user_existence_errors.as_deref() {
        Some("ENABLED") => PreventUserExistenceErrors::Enabled,
        _ => PreventUserExistenceErrors::Legacy,
    };
}

// ---------------------------------------------------------------------------------------------
// The operations.

/// What the management operations run against: one implementation for the
/// [`Driver`](crate::Driver) methods and `wire::Management`.
#[derive(Clone, Copy)]
pub(crate) struct Manager<'a> {
    pub(crate) catalog: &'a dyn PoolCatalog,
    pub(crate) clock: &'a dyn Clock,
    pub(crate) randomness: &'a dyn Randomness,
    pub(crate) region: &'a str,
}

impl Manager<'_> {
    fn pool(&self, pool_id: &str) -> Result<UserPool, Error> {
        self.catalog
            .pool(pool_id)
            .map_err(Error::internal)?
            .ok_or_else(|| pool_not_found(pool_id))
    }

    /// The client, if it belongs to the pool ([client-wrong-pool]).
    fn client(&self, pool_id: &str, client_id: &str) -> Result<AppClient, Error> {
        self.pool(pool_id)?;
        self.catalog
            .client(client_id)
            .map_err(Error::internal)?
            .filter(|c| c.user_pool_id.as_deref() == Some(pool_id))
            .ok_or_else(|| client_not_found(client_id))
    }

    pub(crate) fn create_user_pool(
        &self,
        r: CreateUserPoolRequest,
    ) -> Result<UserPoolResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_POOL_NAME, r.pool_name.as_deref());
        check_policies(&mut v, &r.settings);
        v.all_of(
            "aliasAttributes",
            r.alias_attributes.as_deref(),
            ALIAS_VALUES,
        );
        v.all_of(
            "usernameAttributes",
            r.username_attributes.as_deref(),
            VERIFIED_VALUES,
        );
        check_messages(&mut v, &r.settings);
        if let Some(u) = &r.username_configuration {
            if u.case_sensitive.is_none() {
                v.null("usernameConfiguration.caseSensitive");
            }
        }
        v.finish()?;
        if !r.alias_attributes.as_deref().unwrap_or_default().is_empty()
            && !r
                .username_attributes
                .as_deref()
                .unwrap_or_default()
                .is_empty()
        {
            return Err(Error::new(
                Exception::InvalidParameter,
                messages::ALIAS_AND_USERNAME_ATTRIBUTES,
            ));
        }
        let now = self.clock.now();
        let mut pool = UserPool::new(String::new());
        pool.name = r.pool_name;
        pool.alias_attributes = aliases(r.alias_attributes.as_deref());
        pool.username_attributes = verifiable(r.username_attributes.as_deref());
        pool.username_configuration = UsernameConfiguration {
            case_sensitive: r
                .username_configuration
                .and_then(|u| u.case_sensitive)
                .unwrap_or(true),
        };
        apply_settings(&mut pool, &r.settings);
        pool.creation_date = Some(now);
        pool.last_modified_date = Some(now);
        for _ in 0..MAX_INSERT_ATTEMPTS {
            pool.id = new_pool_id(self.randomness, self.region)?;
            let mut check = Violations::default();
            check.string(validate::C_USER_POOL_ID, Some(&pool.id));
            if check.finish().is_err() {
                return Err(Error::internal(
                    format!("the region {:?} makes no valid pool id", self.region).into(),
                ));
            }
            match self.catalog.insert_pool(&pool).map_err(Error::internal)? {
                CatalogOutcome::Done => return Ok(UserPoolResponse { user_pool: pool }),
                CatalogOutcome::Conflict | CatalogOutcome::NotFound => {}
            }
        }
        Err(Error::internal(messages::IDS_EXHAUSTED.into()))
    }

    pub(crate) fn describe_user_pool(&self, r: UserPoolRequest) -> Result<UserPoolResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.finish()?;
        let id = r.user_pool_id.unwrap_or_default();
        Ok(UserPoolResponse {
            user_pool: self.pool(&id)?,
        })
    }

    pub(crate) fn update_user_pool(
        &self,
        r: UpdateUserPoolRequest,
    ) -> Result<EmptyResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        check_policies(&mut v, &r.settings);
        check_messages(&mut v, &r.settings);
        // PoolName comes late in UpdateUserPool's model.
        if let Some(name) = r.pool_name.as_deref() {
            v.string(validate::C_POOL_NAME, Some(name));
        }
        v.finish()?;
        let id = r.user_pool_id.unwrap_or_default();
        let mut pool = self.pool(&id)?;
        if let Some(name) = r.pool_name {
            pool.name = Some(name);
        }
        apply_settings(&mut pool, &r.settings);
        pool.last_modified_date = Some(self.clock.now());
        match self.catalog.replace_pool(&pool).map_err(Error::internal)? {
            CatalogOutcome::Done => Ok(EmptyResponse {}),
            CatalogOutcome::NotFound | CatalogOutcome::Conflict => Err(pool_not_found(&id)),
        }
    }

    pub(crate) fn delete_user_pool(&self, r: UserPoolRequest) -> Result<EmptyResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.finish()?;
        let id = r.user_pool_id.unwrap_or_default();
        match self.catalog.delete_pool(&id).map_err(Error::internal)? {
            CatalogOutcome::Done => Ok(EmptyResponse {}),
            CatalogOutcome::NotFound | CatalogOutcome::Conflict => Err(pool_not_found(&id)),
        }
    }

    pub(crate) fn list_user_pools(
        &self,
        r: ListUserPoolsRequest,
    ) -> Result<ListUserPoolsResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_POOLS_NEXT_TOKEN, r.next_token.as_deref());
        v.integer(validate::R_POOLS_MAX_RESULTS, r.max_results);
        v.finish()?;
        let after = r.next_token.as_deref().map(after_of).transpose()?;
        let size = page_size(r.max_results, 60);
        let mut pools = self
            .catalog
            .list_pools(after.as_deref(), size.saturating_add(1))
            .map_err(Error::internal)?;
        let next_token = if pools.len() > size {
            pools.truncate(size);
            pools.last().map(|p| token_after(&p.id))
        } else {
            None
        };
        Ok(ListUserPoolsResponse {
            user_pools: pools,
            next_token,
        })
    }

    pub(crate) fn create_user_pool_client(
        &self,
        r: CreateUserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.string(validate::C_CLIENT_NAME, r.client_name.as_deref());
        v.string(validate::C_CLIENT_SECRET, r.client_secret.as_deref());
        check_client_settings(&mut v, &r.settings);
        v.finish()?;
        let pool_id = r.user_pool_id.unwrap_or_default();
        self.pool(&pool_id)?;
        let now = self.clock.now();
        let mut client = AppClient::new(String::new());
        client.user_pool_id = Some(pool_id.clone());
        client.client_name = r.client_name;
        let secret = match (r.client_secret, r.generate_secret) {
            (Some(given), _) => Some(given),
            (None, Some(true)) => Some(new_client_secret(self.randomness)?),
            (None, _) => None,
        };
        if let Some(secret) = secret {
            client = client.with_secret(secret);
        }
        apply_client_settings(&mut client, &r.settings);
        client.creation_date = Some(now);
        client.last_modified_date = Some(now);
        for _ in 0..MAX_INSERT_ATTEMPTS {
            client.client_id = new_client_id(self.randomness)?;
            match self
                .catalog
                .insert_client(&client)
                .map_err(Error::internal)?
            {
                CatalogOutcome::Done => {
                    return Ok(UserPoolClientResponse {
                        user_pool_client: client,
                    });
                }
                CatalogOutcome::NotFound => return Err(pool_not_found(&pool_id)),
                CatalogOutcome::Conflict => {}
            }
        }
        Err(Error::internal(messages::IDS_EXHAUSTED.into()))
    }

    pub(crate) fn describe_user_pool_client(
        &self,
        r: UserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
        v.finish()?;
        let client = self.client(
            r.user_pool_id.as_deref().unwrap_or_default(),
            r.client_id.as_deref().unwrap_or_default(),
        )?;
        Ok(UserPoolClientResponse {
            user_pool_client: client,
        })
    }

    pub(crate) fn update_user_pool_client(
        &self,
        r: UpdateUserPoolClientRequest,
    ) -> Result<UserPoolClientResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
        if let Some(name) = r.client_name.as_deref() {
            v.string(validate::C_CLIENT_NAME, Some(name));
        }
        check_client_settings(&mut v, &r.settings);
        v.finish()?;
        let pool_id = r.user_pool_id.unwrap_or_default();
        let client_id = r.client_id.unwrap_or_default();
        let mut client = self.client(&pool_id, &client_id)?;
        if let Some(name) = r.client_name {
            client.client_name = Some(name);
        }
        apply_client_settings(&mut client, &r.settings);
        client.last_modified_date = Some(self.clock.now());
        match self
            .catalog
            .replace_client(&client)
            .map_err(Error::internal)?
        {
            CatalogOutcome::Done => Ok(UserPoolClientResponse {
                user_pool_client: client,
            }),
            CatalogOutcome::NotFound | CatalogOutcome::Conflict => {
                self.pool(&pool_id)?;
                Err(client_not_found(&client_id))
            }
        }
    }

    pub(crate) fn delete_user_pool_client(
        &self,
        r: UserPoolClientRequest,
    ) -> Result<EmptyResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
        v.finish()?;
        let pool_id = r.user_pool_id.unwrap_or_default();
        let client_id = r.client_id.unwrap_or_default();
        self.pool(&pool_id)?;
        match self
            .catalog
            .delete_client(&pool_id, &client_id)
            .map_err(Error::internal)?
        {
            CatalogOutcome::Done => Ok(EmptyResponse {}),
            CatalogOutcome::NotFound | CatalogOutcome::Conflict => {
                self.pool(&pool_id)?;
                Err(client_not_found(&client_id))
            }
        }
    }

    pub(crate) fn list_user_pool_clients(
        &self,
        r: ListUserPoolClientsRequest,
    ) -> Result<ListUserPoolClientsResponse, Error> {
        let mut v = Violations::default();
        v.string(validate::C_USER_POOL_ID, r.user_pool_id.as_deref());
        v.integer(validate::R_CLIENTS_MAX_RESULTS, r.max_results);
        v.string(validate::C_CLIENTS_NEXT_TOKEN, r.next_token.as_deref());
        v.one_of("clientType", r.client_type.as_deref(), CLIENT_TYPE_VALUES);
        v.finish()?;
        let pool_id = r.user_pool_id.unwrap_or_default();
        self.pool(&pool_id)?;
        let after = r.next_token.as_deref().map(after_of).transpose()?;
        if r.client_type.as_deref() == Some("DCR") {
            return Ok(ListUserPoolClientsResponse {
                user_pool_clients: Vec::new(),
                next_token: None,
            });
        }
        let size = page_size(r.max_results, DEFAULT_CLIENTS_PAGE);
        let mut clients = self
            .catalog
            .list_clients(&pool_id, after.as_deref(), size.saturating_add(1))
            .map_err(Error::internal)?;
        let next_token = if clients.len() > size {
            clients.truncate(size);
            clients.last().map(|c| token_after(&c.client_id))
        } else {
            None
        };
        Ok(ListUserPoolClientsResponse {
            user_pool_clients: clients,
            next_token,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::reference::SeededRandomness;

    /// Randomness that fills every block with one byte.
    struct Constant(u8);
    impl Randomness for Constant {
        fn fill(&self, dest: &mut [u8; 32]) -> Result<(), crate::error::HostError> {
            dest.fill(self.0);
            Ok(())
        }
    }

    /// Randomness that hands out the bytes of a script, then zeros.
    struct Script(std::sync::Mutex<Vec<u8>>);
    impl Randomness for Script {
        fn fill(&self, dest: &mut [u8; 32]) -> Result<(), crate::error::HostError> {
            let mut s = self.0.lock().unwrap();
            for b in dest.iter_mut() {
                *b = if s.is_empty() { 0 } else { s.remove(0) };
            }
            Ok(())
        }
    }

    #[test]
    fn ids_have_aws_shapes() {
        // [pool-ids]
        let r = SeededRandomness::new([7; 32]);
        let pool = new_pool_id(&r, "eu-west-2").unwrap();
        let (region, rest) = pool.split_once('_').unwrap();
        assert_eq!(region, "eu-west-2");
        assert_eq!(rest.len(), 9);
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        let client = new_client_id(&r).unwrap();
        assert_eq!(client.len(), 26);
        assert!(
            client
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        let secret = new_client_secret(&r).unwrap();
        assert_eq!(secret.len(), 52);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn bytes_above_the_last_whole_multiple_are_rejected() {
        // [pool-ids] 62 * 4 = 248: bytes 248..=255 would make 'A'..'H' likelier; they are skipped.
        let mut script = vec![255u8, 248, 0, 61, 62, 247];
        script.extend([1u8; 5]);
        let r = Script(std::sync::Mutex::new(script));
        assert_eq!(draw(&r, ALNUM, 4).unwrap(), "A9A9");
        // 36 * 7 = 252.
        let r = Script(std::sync::Mutex::new(vec![252, 253, 254, 255, 251, 35]));
        assert_eq!(draw(&r, LOWER_ALNUM, 2).unwrap(), "99");
        // A source of rejected bytes only is an error, not an endless loop.
        let e = draw(&Constant(255), ALNUM, 3).unwrap_err();
        assert_eq!(e.exception(), Exception::InternalError);
        // 64 characters divide 256: nothing is rejected.
        let sixty_four: Vec<u8> = (0..64u8).collect();
        assert_eq!(
            draw(&Constant(255), &sixty_four, 3).unwrap(),
            "\u{3f}\u{3f}\u{3f}"
        );
    }

    #[test]
    fn next_tokens_round_trip_and_foreign_ones_are_refused() {
        // [pool-list]
        assert_eq!(
            after_of(&token_after("us-east-1_abc")).unwrap(),
            "us-east-1_abc"
        );
        for bad in ["x", "not base64!", "YWZ0ZXI6", "Zm9v"] {
            let e = after_of(bad).unwrap_err();
            assert_eq!(e.exception(), Exception::InvalidParameter);
            assert_eq!(e.message(), messages::INVALID_NEXT_TOKEN);
        }
    }

    #[test]
    fn a_given_secret_is_redacted_in_debug() {
        // [client-secret]
        let mut r = CreateUserPoolClientRequest::new("us-east-1_A", "app");
        r.client_secret = Some("givensecretvalue1234567890abc".into());
        let d = format!("{r:?}");
        assert!(!d.contains("givensecretvalue"), "{d}");
        assert!(d.contains("<redacted>"));
    }
}

//! User pool and app client settings.
//!
//! [`UserPool`] and [`AppClient`] deserialize from what `aws cognito-idp describe-user-pool` and
//! `describe-user-pool-client` print (the bare object or the `{"UserPool": …}` /
//! `{"UserPoolClient": …}` wrapper), so a real pool's settings can be pasted. Members this crate
//! does not model are ignored. [`SignUpPolicy`] is the project's own extension ([limits-policy]):
//! attempt limits, code validity and request rates, with Cognito's values as the default.

use crate::code::SecretHashKey;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeSet;
use std::time::Duration;

use crate::time::Timestamp;

/// A date as AWS's JSON protocol sends it: seconds since the epoch, a JSON number.
fn ser_date<S: serde::Serializer>(d: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(t) => s.serialize_f64(t.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// A date: seconds since the epoch (a JSON number, as the API sends it). Any other value (the
/// AWS CLI prints dates as text) reads as no date ([pool-dates]).
fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(v.as_f64().and_then(|secs| {
        let millis = (secs * 1000.0).round();
        // In range and not negative: the cast below cannot wrap.
        (millis.is_finite() && (0.0..=1e17).contains(&millis)).then(|| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Timestamp::from_millis(millis as u64)
        })
    }))
}

/// An attribute that can act as an alias of the username (`AliasAttributes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AliasAttribute {
    /// `email`
    #[serde(rename = "email")]
    Email,
    /// `phone_number`
    #[serde(rename = "phone_number")]
    PhoneNumber,
    /// `preferred_username`
    #[serde(rename = "preferred_username")]
    PreferredUsername,
}

impl AliasAttribute {
    /// The attribute name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            AliasAttribute::Email => "email",
            AliasAttribute::PhoneNumber => "phone_number",
            AliasAttribute::PreferredUsername => "preferred_username",
        }
    }
}

/// An attribute that can receive a code and be verified: `email` or `phone_number`.
///
/// Used for `UsernameAttributes` and `AutoVerifiedAttributes`, whose enums in the service model
/// are exactly these two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum VerifiableAttribute {
    /// `email`, delivered by EMAIL.
    #[serde(rename = "email")]
    Email,
    /// `phone_number`, delivered by SMS.
    #[serde(rename = "phone_number")]
    PhoneNumber,
}

impl VerifiableAttribute {
    /// The attribute name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            VerifiableAttribute::Email => "email",
            VerifiableAttribute::PhoneNumber => "phone_number",
        }
    }

    /// The name of the matching `*_verified` attribute.
    #[must_use]
    pub const fn verified_name(self) -> &'static str {
        match self {
            VerifiableAttribute::Email => "email_verified",
            VerifiableAttribute::PhoneNumber => "phone_number_verified",
        }
    }

    /// The alias attribute of the same name.
    #[must_use]
    pub const fn as_alias(self) -> AliasAttribute {
        match self {
            VerifiableAttribute::Email => AliasAttribute::Email,
            VerifiableAttribute::PhoneNumber => AliasAttribute::PhoneNumber,
        }
    }

    /// The medium a code for this attribute travels by.
    #[must_use]
    pub const fn medium(self) -> DeliveryMedium {
        match self {
            VerifiableAttribute::Email => DeliveryMedium::Email,
            VerifiableAttribute::PhoneNumber => DeliveryMedium::Sms,
        }
    }
}

/// How a code is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DeliveryMedium {
    /// `SMS`
    #[serde(rename = "SMS")]
    Sms,
    /// `EMAIL`
    #[serde(rename = "EMAIL")]
    Email,
}

impl DeliveryMedium {
    /// The wire value, `SMS` or `EMAIL`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryMedium::Sms => "SMS",
            DeliveryMedium::Email => "EMAIL",
        }
    }
}

/// The app client's `PreventUserExistenceErrors` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PreventUserExistenceErrors {
    /// Errors say when a user does not exist (the API default).
    #[default]
    #[serde(rename = "LEGACY")]
    Legacy,
    /// Errors never reveal whether a user exists.
    #[serde(rename = "ENABLED")]
    Enabled,
}

/// An operation of this crate, as named in `X-Amz-Target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum OperationName {
    /// `SignUp`
    SignUp,
    /// `ConfirmSignUp`
    ConfirmSignUp,
    /// `ResendConfirmationCode`
    ResendConfirmationCode,
    /// `AdminConfirmSignUp`
    AdminConfirmSignUp,
    /// `AdminGetUser`
    AdminGetUser,
    /// `AdminDisableUser`
    AdminDisableUser,
    /// `AdminEnableUser`
    AdminEnableUser,
    /// `AdminDeleteUser`
    AdminDeleteUser,
    /// `ListUsers`
    ListUsers,
    // Pool and client management ([pool-operations]).
    /// `CreateUserPool`
    CreateUserPool,
    /// `DescribeUserPool`
    DescribeUserPool,
    /// `UpdateUserPool`
    UpdateUserPool,
    /// `DeleteUserPool`
    DeleteUserPool,
    /// `ListUserPools`
    ListUserPools,
    /// `CreateUserPoolClient`
    CreateUserPoolClient,
    /// `DescribeUserPoolClient`
    DescribeUserPoolClient,
    /// `UpdateUserPoolClient`
    UpdateUserPoolClient,
    /// `DeleteUserPoolClient`
    DeleteUserPoolClient,
    /// `ListUserPoolClients`
    ListUserPoolClients,
}

impl OperationName {
    /// Every operation.
    pub const ALL: &'static [OperationName] = &[
        OperationName::SignUp,
        OperationName::ConfirmSignUp,
        OperationName::ResendConfirmationCode,
        OperationName::AdminConfirmSignUp,
        OperationName::AdminGetUser,
        OperationName::AdminDisableUser,
        OperationName::AdminEnableUser,
        OperationName::AdminDeleteUser,
        OperationName::ListUsers,
        // Pool and client management.
        OperationName::CreateUserPool,
        OperationName::DescribeUserPool,
        OperationName::UpdateUserPool,
        OperationName::DeleteUserPool,
        OperationName::ListUserPools,
        OperationName::CreateUserPoolClient,
        OperationName::DescribeUserPoolClient,
        OperationName::UpdateUserPoolClient,
        OperationName::DeleteUserPoolClient,
        OperationName::ListUserPoolClients,
    ];

    /// The operation name, e.g. `"ConfirmSignUp"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            OperationName::SignUp => "SignUp",
            OperationName::ConfirmSignUp => "ConfirmSignUp",
            OperationName::ResendConfirmationCode => "ResendConfirmationCode",
            OperationName::AdminConfirmSignUp => "AdminConfirmSignUp",
            OperationName::AdminGetUser => "AdminGetUser",
            OperationName::AdminDisableUser => "AdminDisableUser",
            OperationName::AdminEnableUser => "AdminEnableUser",
            OperationName::AdminDeleteUser => "AdminDeleteUser",
            OperationName::ListUsers => "ListUsers",
            // Pool and client management.
            OperationName::CreateUserPool => "CreateUserPool",
            OperationName::DescribeUserPool => "DescribeUserPool",
            OperationName::UpdateUserPool => "UpdateUserPool",
            OperationName::DeleteUserPool => "DeleteUserPool",
            OperationName::ListUserPools => "ListUserPools",
            OperationName::CreateUserPoolClient => "CreateUserPoolClient",
            OperationName::DescribeUserPoolClient => "DescribeUserPoolClient",
            OperationName::UpdateUserPoolClient => "UpdateUserPoolClient",
            OperationName::DeleteUserPoolClient => "DeleteUserPoolClient",
            OperationName::ListUserPoolClients => "ListUserPoolClients",
        }
    }

    /// Looks an operation up by name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        OperationName::ALL
            .iter()
            .copied()
            .find(|op| op.name() == name)
    }
}

/// `Policies.PasswordPolicy`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// `MinimumLength` (Cognito's default 8).
    pub minimum_length: u32,
    /// `RequireUppercase`
    pub require_uppercase: bool,
    /// `RequireLowercase`
    pub require_lowercase: bool,
    /// `RequireNumbers`
    pub require_numbers: bool,
    /// `RequireSymbols`
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    /// Cognito's default policy: at least 8 characters, with upper and lower case letters, numbers
    /// and symbols.
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

/// `Policies.SignInPolicy`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct SignInPolicy {
    /// `AllowedFirstAuthFactors`, e.g. `PASSWORD`, `EMAIL_OTP`, `SMS_OTP`, `WEB_AUTHN`. A pool whose
    /// list holds `EMAIL_OTP` or `SMS_OTP` accepts SignUp without a password.
    pub allowed_first_auth_factors: Vec<String>,
}

/// `Policies`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct Policies {
    /// `PasswordPolicy`
    pub password_policy: PasswordPolicy,
    /// `SignInPolicy`
    pub sign_in_policy: SignInPolicy,
}

/// `AdminCreateUserConfig`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct AdminCreateUserConfig {
    /// `AllowAdminCreateUserOnly`: SignUp answers NotAuthorizedException.
    pub allow_admin_create_user_only: bool,
}

/// `UsernameConfiguration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UsernameConfiguration {
    /// `CaseSensitive`: when false, usernames, `preferred_username` and `email` aliases are matched
    /// case-insensitively (full Unicode lower case, [username-case]).
    pub case_sensitive: bool,
}

impl Default for UsernameConfiguration {
    /// The API default: case sensitive.
    fn default() -> Self {
        Self {
            case_sensitive: true,
        }
    }
}

/// `LambdaConfig`: function names or ARNs of the triggers this crate invokes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct LambdaConfig {
    /// `PreSignUp`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_sign_up: Option<String>,
    /// `PostConfirmation`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_confirmation: Option<String>,
    /// `CustomMessage`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
}

/// `VerificationMessageTemplate`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[non_exhaustive]
pub struct VerificationMessageTemplate {
    /// `SmsMessage`, must hold `{####}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_message: Option<String>,
    /// `EmailMessage`, must hold `{####}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message: Option<String>,
    /// `EmailSubject`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_subject: Option<String>,
}

/// The attempt-limit and rate presets of [limits-policy].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PolicyPreset {
    /// Cognito's documented quotas.
    #[default]
    #[serde(rename = "cognito")]
    Cognito,
    /// Cognito's quotas plus a per-code cap and a minimum interval between codes.
    #[serde(rename = "hardened")]
    Hardened,
}

/// The project's sign-up policy ([limits-policy], [rate-limits]): every knob on its own, Cognito's
/// values by default.
///
/// In JSON (member `SignUpPolicy` of a pool) every member is optional: `Preset` chooses the
/// starting point, the other members override it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct SignUpPolicy {
    /// How long a code stays valid (24 h).
    #[serde(serialize_with = "ser_secs", rename = "CodeValiditySeconds")]
    pub code_validity: Duration,
    /// The rolling window of the per-user limits (1 h).
    #[serde(serialize_with = "ser_secs", rename = "AttemptWindowSeconds")]
    pub attempt_window: Duration,
    /// Failed ConfirmSignUp code checks allowed per user per window (15).
    pub failed_confirmations_per_window: u32,
    /// ResendConfirmationCode calls allowed per user per window (5).
    pub resends_per_window: u32,
    /// Failed checks after which the current code is dead (`None` under `cognito`, 5 under
    /// `hardened`).
    pub failed_checks_per_code: Option<u32>,
    /// Minimum time between two codes for the same user (zero under `cognito`, 60 s under
    /// `hardened`).
    #[serde(serialize_with = "ser_secs", rename = "MinSecondsBetweenCodes")]
    pub min_interval_between_codes: Duration,
    /// Refill rate of the per-pool bucket shared by SignUp, ConfirmSignUp and AdminConfirmSignUp.
    pub user_creation_rate: u32,
    /// Burst of that bucket.
    pub user_creation_burst: u32,
    /// Refill rate of the per-pool ResendConfirmationCode bucket.
    pub resend_rate: u32,
    /// Burst of that bucket.
    pub resend_burst: u32,
    /// How many commits an operation makes, re-reading and deciding again after each store
    /// conflict, before it answers InternalErrorException. After a conflict the operation
    /// resolves its client or pool again first, and this budget is read from the pool as it is
    /// then (`docs/behaviour.md` [conflict-resolve-again]).
    pub max_commit_attempts: u32,
}

fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

impl SignUpPolicy {
    /// Cognito's quotas: 15 failed confirmations and 5 resends per user per rolling hour, codes
    /// valid 24 h, 50 requests/s per pool and bucket.
    #[must_use]
    pub const fn cognito() -> Self {
        Self {
            code_validity: Duration::from_secs(24 * 3600),
            attempt_window: Duration::from_secs(3600),
            failed_confirmations_per_window: 15,
            resends_per_window: 5,
            failed_checks_per_code: None,
            min_interval_between_codes: Duration::ZERO,
            user_creation_rate: 50,
            user_creation_burst: 50,
            resend_rate: 50,
            resend_burst: 50,
            max_commit_attempts: 8,
        }
    }

    /// `cognito` plus: a code dies after 5 failed checks, and two codes for one user are at least
    /// 60 s apart.
    #[must_use]
    pub const fn hardened() -> Self {
        let mut p = Self::cognito();
        p.failed_checks_per_code = Some(5);
        p.min_interval_between_codes = Duration::from_secs(60);
        p
    }

    /// The policy of a preset.
    #[must_use]
    pub const fn preset(preset: PolicyPreset) -> Self {
        match preset {
            PolicyPreset::Cognito => Self::cognito(),
            PolicyPreset::Hardened => Self::hardened(),
        }
    }
}

impl Default for SignUpPolicy {
    fn default() -> Self {
        Self::cognito()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignUpPolicyJson {
    #[serde(default)]
    preset: PolicyPreset,
    code_validity_seconds: Option<u64>,
    attempt_window_seconds: Option<u64>,
    #[serde(alias = "FailedConfirmationsPerWindow")]
    failed_confirmations_per_hour: Option<u32>,
    #[serde(alias = "ResendsPerWindow")]
    resends_per_hour: Option<u32>,
    failed_checks_per_code: Option<u32>,
    min_seconds_between_codes: Option<u64>,
    requests_per_second: Option<u32>,
    max_commit_attempts: Option<u32>,
}

impl<'de> Deserialize<'de> for SignUpPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = SignUpPolicyJson::deserialize(d)?;
        let mut p = SignUpPolicy::preset(j.preset);
        if let Some(v) = j.code_validity_seconds {
            p.code_validity = Duration::from_secs(v);
        }
        if let Some(v) = j.attempt_window_seconds {
            p.attempt_window = Duration::from_secs(v);
        }
        if let Some(v) = j.failed_confirmations_per_hour {
            p.failed_confirmations_per_window = v;
        }
        if let Some(v) = j.resends_per_hour {
            p.resends_per_window = v;
        }
        if let Some(v) = j.failed_checks_per_code {
            p.failed_checks_per_code = Some(v);
        }
        if let Some(v) = j.min_seconds_between_codes {
            p.min_interval_between_codes = Duration::from_secs(v);
        }
        if let Some(v) = j.requests_per_second {
            if !(1..=100_000).contains(&v) {
                return Err(serde::de::Error::custom(
                    "RequestsPerSecond must be between 1 and 100000",
                ));
            }
            p.user_creation_rate = v;
            p.user_creation_burst = v;
            p.resend_rate = v;
            p.resend_burst = v;
        }
        if let Some(v) = j.max_commit_attempts {
            p.max_commit_attempts = v.max(1);
        }
        Ok(p)
    }
}

/// A user pool's settings, as `describe-user-pool` prints them (members this crate does not
/// model are ignored), plus the project's [`SignUpPolicy`] and `DisabledOperations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UserPool {
    /// `Id`, e.g. `us-east-1_Example`; the part before `_` is the region.
    pub id: String,
    /// `Name` (`PoolName` of CreateUserPool); absent in configuration files that omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Arn`: kept when the settings carry one ([pool-arn]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `CreationDate` ([pool-dates]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_date",
        deserialize_with = "de_date"
    )]
    pub creation_date: Option<Timestamp>,
    /// `LastModifiedDate` ([pool-dates]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_date",
        deserialize_with = "de_date"
    )]
    pub last_modified_date: Option<Timestamp>,
    /// `AliasAttributes`
    #[serde(default)]
    pub alias_attributes: BTreeSet<AliasAttribute>,
    /// `UsernameAttributes`
    #[serde(default)]
    pub username_attributes: BTreeSet<VerifiableAttribute>,
    /// `AutoVerifiedAttributes`
    #[serde(default)]
    pub auto_verified_attributes: BTreeSet<VerifiableAttribute>,
    /// `UsernameConfiguration` (absent: case sensitive, the API default).
    #[serde(default)]
    pub username_configuration: UsernameConfiguration,
    /// `Policies`
    #[serde(default)]
    pub policies: Policies,
    /// `AdminCreateUserConfig`
    #[serde(default)]
    pub admin_create_user_config: AdminCreateUserConfig,
    /// `LambdaConfig`
    #[serde(default)]
    pub lambda_config: LambdaConfig,
    /// `VerificationMessageTemplate`
    #[serde(default)]
    pub verification_message_template: VerificationMessageTemplate,
    /// `EmailVerificationMessage` (older form of the template).
    #[serde(default)]
    pub email_verification_message: Option<String>,
    /// `EmailVerificationSubject` (older form of the template).
    #[serde(default)]
    pub email_verification_subject: Option<String>,
    /// `SmsVerificationMessage` (older form of the template).
    #[serde(default)]
    pub sms_verification_message: Option<String>,
    /// `SignUpPolicy`: the project's extension (attempt limits, rates).
    #[serde(default)]
    pub sign_up_policy: SignUpPolicy,
    /// `DisabledOperations`: the project's extension ([operation-not-enabled]); operations named
    /// here answer OperationNotEnabledException.
    #[serde(default)]
    pub disabled_operations: BTreeSet<OperationName>,
}

/// The default verification message of Cognito, for both email and SMS.
pub const DEFAULT_VERIFICATION_MESSAGE: &str = "Your verification code is {####}. ";
/// The default verification email subject of Cognito.
pub const DEFAULT_VERIFICATION_SUBJECT: &str = "Your verification code";

#[derive(Deserialize)]
#[serde(untagged)]
enum Wrapped<T> {
    #[serde(rename_all = "PascalCase")]
    Pool {
        user_pool: T,
    },
    #[serde(rename_all = "PascalCase")]
    Client {
        user_pool_client: T,
    },
    Bare(T),
}

impl<T> Wrapped<T> {
    fn into_inner(self) -> T {
        match self {
            Wrapped::Pool { user_pool: t }
            | Wrapped::Client {
                user_pool_client: t,
            }
            | Wrapped::Bare(t) => t,
        }
    }
}

impl UserPool {
    /// A pool with the given id and Cognito's defaults for everything else: no aliases, no
    /// username attributes, nothing auto-verified, case-sensitive usernames.
    #[must_use]
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: None,
            arn: None,
            creation_date: None,
            last_modified_date: None,
            alias_attributes: BTreeSet::new(),
            username_attributes: BTreeSet::new(),
            auto_verified_attributes: BTreeSet::new(),
            username_configuration: UsernameConfiguration::default(),
            policies: Policies::default(),
            admin_create_user_config: AdminCreateUserConfig::default(),
            lambda_config: LambdaConfig::default(),
            verification_message_template: VerificationMessageTemplate::default(),
            email_verification_message: None,
            email_verification_subject: None,
            sms_verification_message: None,
            sign_up_policy: SignUpPolicy::default(),
            disabled_operations: BTreeSet::new(),
        }
    }

    /// Parses the output of `aws cognito-idp describe-user-pool` (with or without the
    /// `UserPool` wrapper).
    ///
    /// # Errors
    /// The JSON error when the text is not a pool description.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<Wrapped<Self>>(json).map(Wrapped::into_inner)
    }

    /// The region: the part of the id before `_`.
    #[must_use]
    pub fn region(&self) -> &str {
        self.id.split_once('_').map_or("us-east-1", |(r, _)| r)
    }

    /// Whether usernames and email/preferred_username aliases are case-insensitive.
    #[must_use]
    pub fn case_insensitive(&self) -> bool {
        !self.username_configuration.case_sensitive
    }

    /// Whether SignUp may omit the password (passwordless first factors are allowed).
    #[must_use]
    pub fn allows_passwordless(&self) -> bool {
        self.policies
            .sign_in_policy
            .allowed_first_auth_factors
            .iter()
            .any(|f| f == "EMAIL_OTP" || f == "SMS_OTP")
    }

    /// The message template for a medium: `VerificationMessageTemplate`, else the older members,
    /// else Cognito's default.
    #[must_use]
    pub fn message_template(&self, medium: DeliveryMedium) -> &str {
        let t = &self.verification_message_template;
        match medium {
            DeliveryMedium::Email => t
                .email_message
                .as_deref()
                .or(self.email_verification_message.as_deref()),
            DeliveryMedium::Sms => t
                .sms_message
                .as_deref()
                .or(self.sms_verification_message.as_deref()),
        }
        .unwrap_or(DEFAULT_VERIFICATION_MESSAGE)
    }

    /// The email subject: `VerificationMessageTemplate.EmailSubject`, else
    /// `EmailVerificationSubject`, else Cognito's default.
    #[must_use]
    pub fn email_subject(&self) -> &str {
        self.verification_message_template
            .email_subject
            .as_deref()
            .or(self.email_verification_subject.as_deref())
            .unwrap_or(DEFAULT_VERIFICATION_SUBJECT)
    }
}

/// An app client's settings, as `describe-user-pool-client` prints them.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct AppClient {
    /// `ClientId`
    pub client_id: String,
    /// `UserPoolId` (may be omitted when the client is nested in its pool's configuration).
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `ClientName`
    #[serde(default)]
    pub client_name: Option<String>,
    /// `ClientSecret`: when present, every public operation needs a SecretHash.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `PreventUserExistenceErrors`
    #[serde(default)]
    pub prevent_user_existence_errors: PreventUserExistenceErrors,
    /// `ExplicitAuthFlows`: kept and described; this crate signs no one in, so it does not act
    /// on them ([client-settings]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explicit_auth_flows: Vec<String>,
    /// `CreationDate` ([pool-dates]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_date",
        deserialize_with = "de_date"
    )]
    pub creation_date: Option<Timestamp>,
    /// `LastModifiedDate` ([pool-dates]).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_date",
        deserialize_with = "de_date"
    )]
    pub last_modified_date: Option<Timestamp>,
    /// The HMAC key schedule of `client_secret`, set up on first use instead of per request.
    #[serde(skip)]
    secret_key: SecretHashKey,
}

impl PartialEq for AppClient {
    fn eq(&self, other: &Self) -> bool {
        // The key cache is derived from `client_secret`: not part of the value.
        self.client_id == other.client_id
            && self.user_pool_id == other.user_pool_id
            && self.client_name == other.client_name
            && self.client_secret == other.client_secret
            && self.prevent_user_existence_errors == other.prevent_user_existence_errors
            && self.explicit_auth_flows == other.explicit_auth_flows
            && self.creation_date == other.creation_date
            && self.last_modified_date == other.last_modified_date
    }
}

impl Eq for AppClient {}

impl std::fmt::Debug for AppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppClient")
            .field("client_id", &self.client_id)
            .field("user_pool_id", &self.user_pool_id)
            .field("client_name", &self.client_name)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "prevent_user_existence_errors",
                &self.prevent_user_existence_errors,
            )
            .field("explicit_auth_flows", &self.explicit_auth_flows)
            .field("creation_date", &self.creation_date)
            .field("last_modified_date", &self.last_modified_date)
            .finish()
    }
}

impl AppClient {
    /// A client without a secret, under LEGACY existence errors (the API defaults).
    #[must_use]
    pub fn new(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            user_pool_id: None,
            client_name: None,
            client_secret: None,
            prevent_user_existence_errors: PreventUserExistenceErrors::Legacy,
            explicit_auth_flows: Vec::new(),
            creation_date: None,
            last_modified_date: None,
            secret_key: SecretHashKey::default(),
        }
    }

    /// Sets `ClientSecret`: every public operation for this client then needs a `SecretHash`.
    ///
    /// ```
    /// # use cognito_signup::AppClient;
    /// let client = AppClient::new("exampleclient").with_secret("clientsecretvalue123");
    /// # assert!(client.client_secret.is_some());
    /// ```
    #[must_use]
    pub fn with_secret(mut self, client_secret: impl Into<String>) -> Self {
        self.client_secret = Some(client_secret.into());
        self.secret_key = SecretHashKey::default();
        self
    }

    /// Sets `PreventUserExistenceErrors`.
    #[must_use]
    pub fn with_prevent_user_existence_errors(
        mut self,
        setting: PreventUserExistenceErrors,
    ) -> Self {
        self.prevent_user_existence_errors = setting;
        self
    }

    /// Verifies a `SecretHash` sent for this client under `client_id` (see
    /// [`verify_secret_hash`](crate::code::verify_secret_hash)); `false` when the client has no
    /// secret. The secret's HMAC key schedule is set up once and reused.
    pub(crate) fn verify_secret_hash(
        &self,
        username: &str,
        client_id: &str,
        submitted: &str,
    ) -> bool {
        self.client_secret.as_deref().is_some_and(|secret| {
            self.secret_key
                .verify(secret, username, client_id, submitted)
        })
    }

    /// Parses the output of `aws cognito-idp describe-user-pool-client` (with or without the
    /// `UserPoolClient` wrapper).
    ///
    /// # Errors
    /// The JSON error when the text is not a client description.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<Wrapped<Self>>(json).map(Wrapped::into_inner)
    }
}

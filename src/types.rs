//! Requests and responses, with AWS's member names, so a body taken off the wire deserializes
//! straight into them.
//!
//! Members the service model marks required are still `Option`s here: a missing one is answered
//! with Cognito's own validation message (`Value null at 'username' …`), not a decoding error.
//! Unknown members are ignored, as AWS JSON services do.

use crate::config::DeliveryMedium;
use crate::user::Attribute;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// `ClientMetadata`: custom key-value pairs passed to triggers.
pub type ClientMetadata = BTreeMap<String, String>;

/// `AnalyticsMetadata`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AnalyticsMetadata {
    /// `AnalyticsEndpointId`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_endpoint_id: Option<String>,
}

/// `UserContextData`. `Debug` redacts both members.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserContextData {
    /// `IpAddress`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// `EncodedData`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded_data: Option<String>,
}

impl fmt::Debug for UserContextData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserContextData").finish_non_exhaustive()
    }
}

/// `AttributeType` as sent in requests: `Value` may be absent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    /// `Name`
    #[serde(default)]
    pub name: Option<String>,
    /// `Value`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl AttributeType {
    /// An attribute with a value.
    #[must_use]
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            value: Some(value.into()),
        }
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeType")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl From<Attribute> for AttributeType {
    fn from(a: Attribute) -> Self {
        Self {
            name: Some(a.name),
            value: Some(a.value),
        }
    }
}

macro_rules! redacted_debug {
    ($ty:ident { $($shown:ident),* } redacted { $($hidden:ident),* }) => {
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut d = f.debug_struct(stringify!($ty));
                $( d.field(stringify!($shown), &self.$shown); )*
                $( d.field(stringify!($hidden), &self.$hidden.as_ref().map(|_| "<redacted>")); )*
                d.finish()
            }
        }
    };
}

/// `SignUpRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpRequest {
    /// `ClientId` (required)
    #[serde(default)]
    pub client_id: Option<String>,
    /// `SecretHash`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    /// `Username` (required)
    #[serde(default)]
    pub username: Option<String>,
    /// `Password`; absent or blank only in passwordless pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `UserAttributes`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_attributes: Option<Vec<AttributeType>>,
    /// `ValidationData`, passed to PreSignUp and not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_data: Option<Vec<AttributeType>>,
    /// `AnalyticsMetadata` (accepted, no effect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_metadata: Option<AnalyticsMetadata>,
    /// `UserContextData` (seen by the request guard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context_data: Option<UserContextData>,
    /// `ClientMetadata` (passed to triggers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

redacted_debug!(SignUpRequest { client_id, user_attributes, analytics_metadata, user_context_data }
    redacted { secret_hash, username, password, validation_data, client_metadata });

impl SignUpRequest {
    /// A request with the required members and a password.
    #[must_use]
    pub fn new(
        client_id: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            client_id: Some(client_id.into()),
            username: Some(username.into()),
            password: Some(password.into()),
            ..Self::default()
        }
    }

    /// Adds a user attribute.
    #[must_use]
    pub fn attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.user_attributes
            .get_or_insert_with(Vec::new)
            .push(AttributeType::new(name, value));
        self
    }
}

/// `CodeDeliveryDetailsType`. `Destination` is masked ([delivery-mask]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeDeliveryDetails {
    /// `Destination`, masked, e.g. `v***@o***.com` or `+********0276`.
    pub destination: String,
    /// `DeliveryMedium`
    pub delivery_medium: DeliveryMedium,
    /// `AttributeName`: `email` or `phone_number`.
    pub attribute_name: String,
}

/// `SignUpResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpResponse {
    /// `UserConfirmed`
    pub user_confirmed: bool,
    /// `CodeDeliveryDetails`, when a code was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_delivery_details: Option<CodeDeliveryDetails>,
    /// `UserSub`
    pub user_sub: String,
}

/// `ConfirmSignUpRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmSignUpRequest {
    /// `ClientId` (required)
    #[serde(default)]
    pub client_id: Option<String>,
    /// `SecretHash`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    /// `Username` (required): the username, a verified alias, or the `sub`.
    #[serde(default)]
    pub username: Option<String>,
    /// `ConfirmationCode` (required)
    #[serde(default)]
    pub confirmation_code: Option<String>,
    /// `ForceAliasCreation`: move a verified alias held by another user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_alias_creation: Option<bool>,
    /// `AnalyticsMetadata` (accepted, no effect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_metadata: Option<AnalyticsMetadata>,
    /// `UserContextData` (seen by the request guard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context_data: Option<UserContextData>,
    /// `ClientMetadata` (passed to PostConfirmation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
    /// `Session`: validated for shape (20 to 2048 characters) and otherwise ignored
    /// ([session-ignored]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

redacted_debug!(ConfirmSignUpRequest { client_id, force_alias_creation, analytics_metadata, user_context_data }
    redacted { secret_hash, username, confirmation_code, client_metadata, session });

impl ConfirmSignUpRequest {
    /// A request with the required members.
    #[must_use]
    pub fn new(
        client_id: impl Into<String>,
        username: impl Into<String>,
        confirmation_code: impl Into<String>,
    ) -> Self {
        Self {
            client_id: Some(client_id.into()),
            username: Some(username.into()),
            confirmation_code: Some(confirmation_code.into()),
            ..Self::default()
        }
    }
}

/// `ConfirmSignUpResponse`: empty (`{}`); no `Session` is issued ([session-ignored]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmSignUpResponse {}

/// `ResendConfirmationCodeRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResendConfirmationCodeRequest {
    /// `ClientId` (required)
    #[serde(default)]
    pub client_id: Option<String>,
    /// `SecretHash`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    /// `UserContextData`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_context_data: Option<UserContextData>,
    /// `Username` (required)
    #[serde(default)]
    pub username: Option<String>,
    /// `AnalyticsMetadata`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analytics_metadata: Option<AnalyticsMetadata>,
    /// `ClientMetadata` (passed to CustomMessage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

redacted_debug!(ResendConfirmationCodeRequest { client_id, user_context_data, analytics_metadata }
    redacted { secret_hash, username, client_metadata });

impl ResendConfirmationCodeRequest {
    /// A request with the required members.
    #[must_use]
    pub fn new(client_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            client_id: Some(client_id.into()),
            username: Some(username.into()),
            ..Self::default()
        }
    }
}

/// `ResendConfirmationCodeResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResendConfirmationCodeResponse {
    /// `CodeDeliveryDetails`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_delivery_details: Option<CodeDeliveryDetails>,
}

/// `AdminConfirmSignUpRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminConfirmSignUpRequest {
    /// `UserPoolId` (required)
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `Username` (required)
    #[serde(default)]
    pub username: Option<String>,
    /// `ClientMetadata` (passed to PostConfirmation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

redacted_debug!(AdminConfirmSignUpRequest { user_pool_id } redacted { username, client_metadata });

impl AdminConfirmSignUpRequest {
    /// A request with the required members.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            username: Some(username.into()),
            client_metadata: None,
        }
    }
}

/// `AdminConfirmSignUpResponse`: empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminConfirmSignUpResponse {}

/// `AdminGetUserRequest`, also the shape of `AdminDisableUserRequest` and
/// `AdminEnableUserRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminUserRequest {
    /// `UserPoolId` (required)
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `Username` (required)
    #[serde(default)]
    pub username: Option<String>,
}

redacted_debug!(AdminUserRequest { user_pool_id } redacted { username });

impl AdminUserRequest {
    /// A request with the required members.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            username: Some(username.into()),
        }
    }
}

/// `AdminGetUserRequest`.
pub type AdminGetUserRequest = AdminUserRequest;
/// `AdminDisableUserRequest`.
pub type AdminDisableUserRequest = AdminUserRequest;
/// `AdminEnableUserRequest`.
pub type AdminEnableUserRequest = AdminUserRequest;

/// `AdminGetUserResponse`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminGetUserResponse {
    /// `Username`: the immutable username (the `sub` in username-attribute pools).
    pub username: String,
    /// `UserAttributes`
    pub user_attributes: Vec<AttributeType>,
    /// `UserCreateDate`, seconds since the epoch.
    pub user_create_date: f64,
    /// `UserLastModifiedDate`, seconds since the epoch.
    pub user_last_modified_date: f64,
    /// `Enabled`
    pub enabled: bool,
    /// `UserStatus`
    pub user_status: String,
}

impl fmt::Debug for AdminGetUserResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminGetUserResponse")
            .field("enabled", &self.enabled)
            .field("user_status", &self.user_status)
            .finish_non_exhaustive()
    }
}

impl AdminGetUserResponse {
    /// An attribute's value by name.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.user_attributes
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .and_then(|a| a.value.as_deref())
    }
}

/// `AdminDisableUserResponse` and `AdminEnableUserResponse`: empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUserUpdateResponse {}

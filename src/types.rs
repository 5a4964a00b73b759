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

impl AnalyticsMetadata {
    /// Metadata naming an Amazon Pinpoint endpoint.
    #[must_use]
    pub fn new(analytics_endpoint_id: impl Into<String>) -> Self {
        Self {
            analytics_endpoint_id: Some(analytics_endpoint_id.into()),
        }
    }
}

impl UserContextData {
    /// Context data with the `EncodedData` a client SDK collected.
    #[must_use]
    pub fn new(encoded_data: impl Into<String>) -> Self {
        Self {
            ip_address: None,
            encoded_data: Some(encoded_data.into()),
        }
    }

    /// Sets `IpAddress`.
    #[must_use]
    pub fn ip_address(mut self, ip_address: impl Into<String>) -> Self {
        self.ip_address = Some(ip_address.into());
        self
    }
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

/// The setters of the optional members that SignUp, ConfirmSignUp and ResendConfirmationCode
/// share: `SecretHash` (given, or computed from the client secret), `ClientMetadata`,
/// `AnalyticsMetadata` and `UserContextData`.
macro_rules! public_request_setters {
    ($ty:ident, $example:literal) => {
        impl $ty {
            /// Sets `SecretHash` to a value the caller computed.
            #[must_use]
            pub fn secret_hash(mut self, secret_hash: impl Into<String>) -> Self {
                self.secret_hash = Some(secret_hash.into());
                self
            }

            /// Sets `SecretHash` to the value a client with this secret sends:
            /// `Base64(HMAC-SHA256(key = client secret, message = Username ‖ ClientId))`,
            /// over the `Username` and `ClientId` already set. The secret is not kept.
            ///
            /// ```
            #[doc = concat!("use cognito_signup::", stringify!($ty), ";")]
            #[doc = concat!("let request = ", $example, ".with_secret_hash_from(\"clientsecretvalue123\");")]
            /// assert_eq!(
            ///     request.secret_hash.as_deref(),
            ///     Some("ThfMt39d1mmwJubvzMaxOWRdpULnUx31Kewv3FHt9/o=")
            /// );
            /// ```
            #[must_use]
            pub fn with_secret_hash_from(mut self, client_secret: &str) -> Self {
                self.secret_hash = Some(crate::code::secret_hash(
                    client_secret,
                    self.username.as_deref().unwrap_or_default(),
                    self.client_id.as_deref().unwrap_or_default(),
                ));
                self
            }

            /// Adds a `ClientMetadata` pair (passed to the triggers); a key given twice keeps
            /// the last value.
            #[must_use]
            pub fn client_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
                self.client_metadata
                    .get_or_insert_with(ClientMetadata::new)
                    .insert(key.into(), value.into());
                self
            }

            /// Sets `AnalyticsMetadata` (accepted, no effect).
            #[must_use]
            pub fn analytics_metadata(mut self, analytics_metadata: AnalyticsMetadata) -> Self {
                self.analytics_metadata = Some(analytics_metadata);
                self
            }

            /// Sets `UserContextData` (seen by the request guard).
            #[must_use]
            pub fn user_context_data(mut self, user_context_data: UserContextData) -> Self {
                self.user_context_data = Some(user_context_data);
                self
            }
        }
    };
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

    /// A request without a password, for a pool that allows passwordless sign-up.
    #[must_use]
    pub fn without_password(client_id: impl Into<String>, username: impl Into<String>) -> Self {
        Self {
            client_id: Some(client_id.into()),
            username: Some(username.into()),
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

    /// Adds a `ValidationData` attribute (passed to PreSignUp, not kept).
    ///
    /// ```
    /// # use cognito_signup::SignUpRequest;
    /// let request = SignUpRequest::new("client", "alice", "Corr3ct-Horse").validation_data("invite", "x7");
    /// # assert_eq!(request.validation_data.map(|v| v.len()), Some(1));
    /// ```
    #[must_use]
    pub fn validation_data(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.validation_data
            .get_or_insert_with(Vec::new)
            .push(AttributeType::new(name, value));
        self
    }
}

public_request_setters!(
    SignUpRequest,
    "SignUpRequest::new(\"exampleclient\", \"alice\", \"Corr3ct-Horse\")"
);

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

    /// Sets `ForceAliasCreation`: with `true`, a verified alias another user holds moves to this
    /// user instead of failing with AliasExistsException.
    ///
    /// ```
    /// # use cognito_signup::ConfirmSignUpRequest;
    /// let request = ConfirmSignUpRequest::new("client", "alice", "042917").force_alias_creation(true);
    /// # assert_eq!(request.force_alias_creation, Some(true));
    /// ```
    #[must_use]
    pub fn force_alias_creation(mut self, force: bool) -> Self {
        self.force_alias_creation = Some(force);
        self
    }

    /// Sets `Session` (checked for shape, otherwise ignored).
    #[must_use]
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }
}

public_request_setters!(
    ConfirmSignUpRequest,
    "ConfirmSignUpRequest::new(\"exampleclient\", \"alice\", \"042917\")"
);

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

public_request_setters!(
    ResendConfirmationCodeRequest,
    "ResendConfirmationCodeRequest::new(\"exampleclient\", \"alice\")"
);

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

    /// Adds a `ClientMetadata` pair (passed to PostConfirmation); a key given twice keeps the
    /// last value.
    #[must_use]
    pub fn client_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.client_metadata
            .get_or_insert_with(ClientMetadata::new)
            .insert(key.into(), value.into());
        self
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

/// `AdminDeleteUserRequest`.
pub type AdminDeleteUserRequest = AdminUserRequest;

/// AdminDeleteUser's answer: the service model gives the operation no output; the wire body is
/// `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminDeleteUserResponse {}

/// `ListUsersRequest`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersRequest {
    /// `UserPoolId` (required)
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// `AttributesToGet`: the attributes each user is answered with; absent, all of them
    /// ([list-users-attributes]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
    /// `Limit`: at most this many users (0 to 60; 60 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// `PaginationToken`: where the previous page ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
    /// `Filter`, e.g. `email ^= "alice"` ([list-users-filter]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
}

impl fmt::Debug for ListUsersRequest {
    /// The filter holds addresses and names: not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListUsersRequest")
            .field("user_pool_id", &self.user_pool_id)
            .field("attributes_to_get", &self.attributes_to_get)
            .field("limit", &self.limit)
            .field(
                "pagination_token",
                &self.pagination_token.as_ref().map(|_| "<redacted>"),
            )
            .field("filter", &self.filter.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ListUsersRequest {
    /// A request for every user of a pool.
    #[must_use]
    pub fn new(user_pool_id: impl Into<String>) -> Self {
        Self {
            user_pool_id: Some(user_pool_id.into()),
            ..Self::default()
        }
    }

    /// Sets `Filter`.
    #[must_use]
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// Sets `Limit`.
    #[must_use]
    pub fn limit(mut self, limit: i64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `PaginationToken`.
    #[must_use]
    pub fn pagination_token(mut self, token: impl Into<String>) -> Self {
        self.pagination_token = Some(token.into());
        self
    }

    /// Sets `AttributesToGet`.
    #[must_use]
    pub fn attributes_to_get<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes_to_get = Some(names.into_iter().map(Into::into).collect());
        self
    }
}

/// `UserType`, one user of a ListUsers answer: the members AdminGetUser answers, with
/// `Attributes` for `UserAttributes`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserType {
    /// `Username`
    pub username: String,
    /// `Attributes`
    pub attributes: Vec<AttributeType>,
    /// `UserCreateDate`, seconds since the epoch.
    pub user_create_date: f64,
    /// `UserLastModifiedDate`, seconds since the epoch.
    pub user_last_modified_date: f64,
    /// `Enabled`
    pub enabled: bool,
    /// `UserStatus`
    pub user_status: String,
}

impl fmt::Debug for UserType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserType")
            .field("enabled", &self.enabled)
            .field("user_status", &self.user_status)
            .finish_non_exhaustive()
    }
}

impl UserType {
    /// An attribute's value by name.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .and_then(|a| a.value.as_deref())
    }
}

/// `ListUsersResponse`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersResponse {
    /// `Users`, in ascending order of `sub`.
    pub users: Vec<UserType>,
    /// `PaginationToken`: present when more users match after the last one answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

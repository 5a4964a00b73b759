//! A user's registration state, as the store keeps it.

use crate::code::CodeTag;
use crate::config::VerifiableAttribute;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::shared::SharedStr;

/// `UserStatusType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum UserStatus {
    /// Signed up, not yet confirmed.
    #[serde(rename = "UNCONFIRMED")]
    Unconfirmed,
    /// Confirmed.
    #[serde(rename = "CONFIRMED")]
    Confirmed,
    /// Imported, must reset the password.
    #[serde(rename = "RESET_REQUIRED")]
    ResetRequired,
    /// Created by an administrator, must change the temporary password.
    #[serde(rename = "FORCE_CHANGE_PASSWORD")]
    ForceChangePassword,
    /// Federated user.
    #[serde(rename = "EXTERNAL_PROVIDER")]
    ExternalProvider,
}

impl UserStatus {
    /// The wire value, e.g. `UNCONFIRMED`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A password, stored only as a PHC string (argon2id).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string, e.g. read back from a database.
    #[must_use]
    pub fn from_phc(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string.
    #[must_use]
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// The one live confirmation code of a user: its tag, never the code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCode {
    /// HMAC-SHA256 tag over pool id, username and code ([code-storage]).
    pub tag: CodeTag,
    /// When the code was issued.
    pub issued_at: Timestamp,
    /// The attribute the code was delivered to; confirming verifies it.
    pub attribute: VerifiableAttribute,
    /// Failed checks against this code (the hardened per-code cap).
    pub failed_checks: u32,
}

impl fmt::Debug for PendingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingCode")
            .field("tag", &"<redacted>")
            .field("issued_at", &self.issued_at)
            .field("attribute", &self.attribute)
            .field("failed_checks", &self.failed_checks)
            .finish()
    }
}

/// A user attribute: name and value, both strings as Cognito keeps them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// The attribute name, e.g. `email` or `custom:plan`.
    pub name: String,
    /// The value.
    pub value: String,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Attribute values are personal data (addresses, names): never printed.
        f.debug_struct("Attribute")
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Everything the crate keeps about one user.
///
/// The verified flags and the email and phone number are kept apart from the other attributes
/// because the core reasons about them; [`UserRecord::attributes`] assembles the full list as
/// AdminGetUser reports it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The immutable username: as entered, or the `sub` in username-attribute pools.
    pub username: SharedStr,
    /// The `sub` (a UUID, lower-case hyphenated); the store's primary key.
    pub sub: SharedStr,
    /// The status.
    pub status: UserStatus,
    /// `Enabled`; AdminDisableUser clears it.
    pub enabled: bool,
    /// `email`
    pub email: Option<SharedStr>,
    /// `email_verified`
    pub email_verified: bool,
    /// `phone_number`
    pub phone_number: Option<String>,
    /// `phone_number_verified`
    pub phone_number_verified: bool,
    /// Every other attribute, in the order given at sign-up.
    pub other_attributes: Vec<Attribute>,
    /// The password's PHC hash; `None` for a passwordless user.
    pub password: Option<PasswordHash>,
    /// `UserCreateDate`
    pub created: Timestamp,
    /// `UserLastModifiedDate`
    pub last_modified: Timestamp,
    /// The live code, if any.
    pub code: Option<PendingCode>,
    /// Times of failed code checks still inside the attempt window ([limits-confirm]).
    pub failed_confirmations: Vec<Timestamp>,
    /// Times of ResendConfirmationCode calls still inside the attempt window ([limits-resend]).
    pub resends: Vec<Timestamp>,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("sub", &self.sub)
            .field("status", &self.status)
            .field("enabled", &self.enabled)
            .field("email", &self.email.as_ref().map(|_| "<redacted>"))
            .field("email_verified", &self.email_verified)
            .field(
                "phone_number",
                &self.phone_number.as_ref().map(|_| "<redacted>"),
            )
            .field("phone_number_verified", &self.phone_number_verified)
            .field("other_attributes", &self.other_attributes)
            .field("password", &self.password)
            .field("created", &self.created)
            .field("last_modified", &self.last_modified)
            .field("code", &self.code)
            .field("failed_confirmations", &self.failed_confirmations.len())
            .field("resends", &self.resends.len())
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    /// The value of a verifiable attribute.
    #[must_use]
    pub fn verifiable(&self, attribute: VerifiableAttribute) -> Option<&str> {
        match attribute {
            VerifiableAttribute::Email => self.email.as_deref(),
            VerifiableAttribute::PhoneNumber => self.phone_number.as_deref(),
        }
    }

    /// Whether a verifiable attribute is verified.
    #[must_use]
    pub fn is_verified(&self, attribute: VerifiableAttribute) -> bool {
        match attribute {
            VerifiableAttribute::Email => self.email_verified,
            VerifiableAttribute::PhoneNumber => self.phone_number_verified,
        }
    }

    /// Sets the verified flag of a verifiable attribute.
    pub fn set_verified(&mut self, attribute: VerifiableAttribute, verified: bool) {
        match attribute {
            VerifiableAttribute::Email => self.email_verified = verified,
            VerifiableAttribute::PhoneNumber => self.phone_number_verified = verified,
        }
    }

    /// An attribute by name, as AdminGetUser would report it.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<String> {
        self.attributes()
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.value)
    }

    /// The attributes as AdminGetUser reports them: `sub`, then the other attributes, then
    /// `email_verified`/`phone_number_verified` and the values they qualify. Verified flags appear
    /// once the attribute exists.
    #[must_use]
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut out = Vec::with_capacity(self.other_attributes.len().saturating_add(5));
        out.push(Attribute {
            name: "sub".into(),
            value: self.sub.to_string(),
        });
        out.extend(self.other_attributes.iter().cloned());
        if let Some(email) = &self.email {
            out.push(Attribute {
                name: "email_verified".into(),
                value: self.email_verified.to_string(),
            });
            out.push(Attribute {
                name: "email".into(),
                value: email.to_string(),
            });
        }
        if let Some(phone) = &self.phone_number {
            out.push(Attribute {
                name: "phone_number_verified".into(),
                value: self.phone_number_verified.to_string(),
            });
            out.push(Attribute {
                name: "phone_number".into(),
                value: phone.clone(),
            });
        }
        out
    }
}

//! Lambda trigger events ([trigger-event]) and the decoding of what a trigger returns.
//!
//! Events serialize with the member names and order of real captures:
//! `version, region, userPoolId, userName, callerContext, triggerSource, request, response`.
//! Attribute values are strings (`"true"`), as Cognito sends them.

use crate::error::{Error, Exception, messages};
use crate::protocol::{InvokeFailure, LambdaReply, Trigger};
use crate::types::ClientMetadata;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// `callerContext.awsSdkVersion` when the SDK is unknown ([trigger-caller-context]).
pub const AWS_SDK_UNKNOWN: &str = "aws-sdk-unknown-unknown";

/// Attributes as an ordered JSON object of strings. `Debug` prints names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttributeMap(pub Vec<(String, String)>);

impl fmt::Debug for AttributeMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl AttributeMap {
    /// The value of an attribute.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Serialize for AttributeMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for AttributeMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttributeMap;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<AttributeMap, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(AttributeMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `callerContext`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerContext {
    /// `awsSdkVersion`
    pub aws_sdk_version: String,
    /// `clientId`; absent for admin operations ([trigger-caller-context]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// The envelope common to every trigger event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerEvent<Req, Resp> {
    /// `version`: always `"1"`.
    pub version: String,
    /// `region`
    pub region: String,
    /// `userPoolId`
    pub user_pool_id: String,
    /// `userName`: the immutable username (the `sub` in username-attribute pools).
    pub user_name: String,
    /// `callerContext`
    pub caller_context: CallerContext,
    /// `triggerSource`
    pub trigger_source: String,
    /// `request`
    pub request: Req,
    /// `response`
    pub response: Resp,
}

/// `request` of a PreSignUp event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreSignUpRequest {
    /// `userAttributes`: the attributes of the request (no `sub` yet).
    pub user_attributes: AttributeMap,
    /// `validationData`: `null` when the request had none ([trigger-caller-context]).
    pub validation_data: Option<AttributeMap>,
    /// `clientMetadata`: present only when the request had it ([trigger-caller-context]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

/// `response` of a PreSignUp event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreSignUpResponse {
    /// `autoConfirmUser`
    pub auto_confirm_user: bool,
    /// `autoVerifyEmail`
    pub auto_verify_email: bool,
    /// `autoVerifyPhone`
    pub auto_verify_phone: bool,
}

/// `request` of a PostConfirmation event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostConfirmationRequest {
    /// `userAttributes`: `sub`, the `cognito:*` members, then the user's attributes.
    pub user_attributes: AttributeMap,
    /// `clientMetadata`: present only when the request had it ([trigger-caller-context]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

/// `response` of a PostConfirmation event: nothing is expected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostConfirmationResponse {}

/// `request` of a CustomMessage event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomMessageRequest {
    /// `userAttributes`
    pub user_attributes: AttributeMap,
    /// `codeParameter`: the literal placeholder `{####}`; the code is substituted afterwards.
    pub code_parameter: String,
    /// `linkParameter`: the literal placeholder `{##Click Here##}`.
    pub link_parameter: String,
    /// `usernameParameter`: `null` (only AdminCreateUser sets it).
    pub username_parameter: Option<String>,
    /// `clientMetadata`: present only when the request had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
}

/// `response` of a CustomMessage event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomMessageResponse {
    /// `smsMessage`
    pub sms_message: Option<String>,
    /// `emailMessage`
    pub email_message: Option<String>,
    /// `emailSubject`
    pub email_subject: Option<String>,
}

/// A PreSignUp event.
pub type PreSignUpEvent = TriggerEvent<PreSignUpRequest, PreSignUpResponse>;
/// A PostConfirmation event.
pub type PostConfirmationEvent = TriggerEvent<PostConfirmationRequest, PostConfirmationResponse>;
/// A CustomMessage event.
pub type CustomMessageEvent = TriggerEvent<CustomMessageRequest, CustomMessageResponse>;

/// The placeholder for the code in messages.
pub const CODE_PLACEHOLDER: &str = "{####}";
/// The placeholder for a link in messages.
pub const LINK_PLACEHOLDER: &str = "{##Click Here##}";
/// Longest email message a CustomMessage function may return.
pub const MAX_EMAIL_MESSAGE: usize = 20_000;
/// Longest SMS message a CustomMessage function may return, code included.
pub const MAX_SMS_MESSAGE: usize = 140;

/// Maps a reply that is not a returned body to the trigger's Cognito exception
/// ([trigger-invocation]); a returned body is passed through.
///
/// # Errors
/// UserLambdaValidationException for a function error, UnexpectedLambdaException for an
/// invocation failure.
pub fn returned_body(trigger: Trigger, reply: LambdaReply) -> Result<Vec<u8>, Error> {
    match reply {
        LambdaReply::Returned(body) => Ok(body),
        LambdaReply::FunctionError { error_message, .. } => Err(Error::new(
            Exception::UserLambdaValidation,
            format!("{} failed with error {}.", trigger.name(), error_message),
        )),
        LambdaReply::InvokeFailed(failure) => {
            let cause = match failure {
                InvokeFailure::Timeout => {
                    "Socket timeout while invoking Lambda function".to_owned()
                }
                InvokeFailure::AccessDenied => "AccessDeniedException".to_owned(),
                InvokeFailure::Other(code) => code,
            };
            Err(Error::new(
                Exception::UnexpectedLambda,
                format!(
                    "{} invocation failed due to error {}.",
                    trigger.name(),
                    cause
                ),
            ))
        }
    }
}

fn unrecognizable() -> Error {
    Error::new(
        Exception::InvalidLambdaResponse,
        messages::UNRECOGNIZABLE_LAMBDA_OUTPUT,
    )
}

/// The `response` member of a returned event: must be a JSON object whose `response` is an
/// object or `null`/absent.
fn response_member(body: &[u8]) -> Result<serde_json::Value, Error> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| unrecognizable())?;
    let serde_json::Value::Object(mut event) = value else {
        return Err(unrecognizable());
    };
    match event.remove("response") {
        None | Some(serde_json::Value::Null) => Ok(serde_json::Value::Object(Default::default())),
        Some(r @ serde_json::Value::Object(_)) => Ok(r),
        Some(_) => Err(unrecognizable()),
    }
}

/// Decodes what a PreSignUp function returned. Flags that are absent or `null` are `false`.
///
/// # Errors
/// InvalidLambdaResponseException "Unrecognizable lambda output" when the body is not an event
/// whose flags are booleans.
pub fn decode_pre_sign_up(body: &[u8]) -> Result<PreSignUpResponse, Error> {
    let response = response_member(body)?;
    let flag = |name: &str| -> Result<bool, Error> {
        match response.get(name) {
            None | Some(serde_json::Value::Null) => Ok(false),
            Some(serde_json::Value::Bool(b)) => Ok(*b),
            Some(_) => Err(unrecognizable()),
        }
    };
    Ok(PreSignUpResponse {
        auto_confirm_user: flag("autoConfirmUser")?,
        auto_verify_email: flag("autoVerifyEmail")?,
        auto_verify_phone: flag("autoVerifyPhone")?,
    })
}

/// Decodes what a PostConfirmation function returned: any event object is accepted.
///
/// # Errors
/// InvalidLambdaResponseException when the body is not a JSON object.
pub fn decode_post_confirmation(body: &[u8]) -> Result<(), Error> {
    response_member(body).map(|_| ())
}

/// Decodes what a CustomMessage function returned. Members that are absent or `null` are `None`.
///
/// # Errors
/// InvalidLambdaResponseException when the body is not an event whose messages are strings.
pub fn decode_custom_message(body: &[u8]) -> Result<CustomMessageResponse, Error> {
    let response = response_member(body)?;
    let text = |name: &str| -> Result<Option<String>, Error> {
        match response.get(name) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(unrecognizable()),
        }
    };
    Ok(CustomMessageResponse {
        sms_message: text("smsMessage")?,
        email_message: text("emailMessage")?,
        email_subject: text("emailSubject")?,
    })
}

/// Serializes an event. Serialization of these types cannot fail; should it, the event is `{}`.
pub(crate) fn to_json<T: Serialize>(event: &T) -> String {
    serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_sign_up_flags() {
        let r = decode_pre_sign_up(
            br#"{"version":"1","response":{"autoConfirmUser":true,"autoVerifyEmail":null}}"#,
        )
        .unwrap();
        assert!(r.auto_confirm_user && !r.auto_verify_email && !r.auto_verify_phone);
        assert_eq!(
            decode_pre_sign_up(br#"{}"#).unwrap(),
            PreSignUpResponse::default()
        );
        for bad in [
            &b"not json"[..],
            b"[]",
            b"42",
            br#"{"response":[]}"#,
            br#"{"response":{"autoConfirmUser":"true"}}"#,
        ] {
            let e = decode_pre_sign_up(bad).unwrap_err();
            assert_eq!(e.name(), "InvalidLambdaResponseException");
            assert_eq!(e.message(), "Unrecognizable lambda output");
        }
    }

    #[test]
    fn lambda_error_messages() {
        let e = returned_body(
            Trigger::PostConfirmation,
            LambdaReply::FunctionError {
                error_message: "boom".into(),
                error_type: None,
            },
        )
        .unwrap_err();
        assert_eq!(e.name(), "UserLambdaValidationException");
        assert_eq!(e.message(), "PostConfirmation failed with error boom.");
        let e = returned_body(
            Trigger::PreSignUp,
            LambdaReply::InvokeFailed(InvokeFailure::Timeout),
        )
        .unwrap_err();
        assert_eq!(e.name(), "UnexpectedLambdaException");
        assert_eq!(
            e.message(),
            "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function."
        );
        let e = returned_body(
            Trigger::CustomMessage,
            LambdaReply::InvokeFailed(InvokeFailure::AccessDenied),
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "CustomMessage invocation failed due to error AccessDeniedException."
        );
    }
}

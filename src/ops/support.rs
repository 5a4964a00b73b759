//! Decisions shared by several operations: case folding, lookup keys, attempt windows, trigger
//! events and message composition.

use crate::code::Code;
use crate::config::{AliasAttribute, DeliveryMedium, UserPool, VerifiableAttribute};
use crate::error::{Error, Exception, messages};
use crate::mask::{mask_email, mask_phone};
use crate::protocol::{IndexKey, IndexWrite, KeyList};
use crate::protocol::{LambdaInvocation, Trigger};
use crate::time::Timestamp;
use crate::triggers::{
    AWS_SDK_UNKNOWN, AttributeMap, CODE_PLACEHOLDER, CallerContext, CustomMessageRequest,
    CustomMessageResponse, LINK_PLACEHOLDER, MAX_EMAIL_MESSAGE, MAX_SMS_MESSAGE,
    PostConfirmationRequest, PostConfirmationResponse, TriggerEvent, to_json,
};
use crate::types::{ClientMetadata, CodeDeliveryDetails};
use crate::user::UserRecord;
use std::borrow::Cow;
use std::time::Duration;

use crate::protocol::machine::Answer;

/// Folds a username (or a `preferred_username`/`email` value) per the pool's case rule
/// ([username-case]).
pub(crate) fn fold<'a>(pool: &UserPool, value: &'a str) -> Cow<'a, str> {
    if pool.case_insensitive() && value.chars().any(char::is_uppercase) {
        Cow::Owned(value.to_lowercase())
    } else {
        Cow::Borrowed(value)
    }
}

/// Folds an alias value: phone numbers are compared verbatim, the others per the case rule.
pub(crate) fn fold_alias<'a>(
    pool: &UserPool,
    attr: AliasAttribute,
    value: &'a str,
) -> Cow<'a, str> {
    match attr {
        AliasAttribute::PhoneNumber => Cow::Borrowed(value),
        _ => fold(pool, value),
    }
}

/// The index key of an alias value.
pub(crate) fn alias_key(pool: &UserPool, attr: AliasAttribute, value: &str) -> IndexKey {
    IndexKey::alias(attr, &fold_alias(pool, attr, value))
}

/// The keys under which `Username` of a request may find a user, in order: the username, the
/// active aliases (alias pools) or sign-in attributes (username-attribute pools), the `sub`
/// ([username-lookup]).
pub(crate) fn lookup_keys(pool: &UserPool, name: &str) -> KeyList {
    let mut keys = KeyList::new();
    keys.push(IndexKey::username(&fold(pool, name)));
    for attr in &pool.alias_attributes {
        keys.push(alias_key(pool, *attr, name));
    }
    for attr in &pool.username_attributes {
        keys.push(alias_key(pool, attr.as_alias(), name));
    }
    keys.push(IndexKey::sub(name));
    keys
}

/// Index entries a new user claims: username, `sub`, the sign-in attribute of
/// username-attribute pools, and the aliases already verified.
pub(crate) fn claims_of_new_user(pool: &UserPool, user: &UserRecord) -> Vec<IndexWrite> {
    let claim = |key: IndexKey| IndexWrite {
        key,
        expected: None,
        new: Some(user.sub.to_string()),
    };
    let mut out = vec![
        claim(IndexKey::username(&fold(pool, &user.username))),
        claim(IndexKey::sub(&user.sub)),
    ];
    for attr in &pool.username_attributes {
        if let Some(v) = user.verifiable(*attr) {
            out.push(claim(alias_key(pool, attr.as_alias(), v)));
        }
    }
    out
}

/// Records one more event in a window list, keeping at most `keep` entries (none when `keep` is
/// 0: a hidden user's failure under a limit of 0 must not leave a count above it). The list
/// keeps the entries inside the window `(now - window, …)`; entries later than `now` (the
/// host's clock stepped back) still count: a clock change never gives an attacker guesses back.
pub(crate) fn record_in_window(
    times: &[Timestamp],
    now: Timestamp,
    window: Duration,
    keep: u32,
) -> Vec<Timestamp> {
    // One allocation, sized for the kept entries and the new one.
    let from = now.saturating_sub(window);
    let mut v = Vec::with_capacity(times.len().saturating_add(1));
    v.extend(times.iter().copied().filter(|t| *t > from));
    v.push(now);
    let keep = usize::try_from(keep).unwrap_or(usize::MAX);
    if v.len() > keep {
        let drop = v.len().saturating_sub(keep);
        v.drain(..drop);
    }
    v
}

/// Counts entries inside the window.
pub(crate) fn count_in_window(times: &[Timestamp], now: Timestamp, window: Duration) -> u32 {
    let from = now.saturating_sub(window);
    let n = times.iter().filter(|t| **t > from).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The InternalErrorException for an answer that does not fit the need.
pub(crate) fn unexpected(answer: Answer) -> Error {
    match answer {
        Answer::HostFailed(e) => Error::internal(e),
        other => Error::internal(
            format!("the host answered {other:?} to a need that does not take it").into(),
        ),
    }
}

/// The error for resuming an operation that has finished.
pub(crate) fn finished() -> Error {
    Error::internal("the operation was resumed after it finished".into())
}

/// After a conflict, once the client or pool resolved again ([conflict-resolve-again]): whether
/// another commit may follow the `commits` made so far, under the budget of the pool as it is
/// now ([atomic-commit]); InternalErrorException when the budget is spent.
pub(crate) fn may_commit_again(commits: u32, pool: &UserPool) -> Result<(), Error> {
    if commits >= pool.sign_up_policy.max_commit_attempts {
        return Err(Error::internal(
            "the store reported a conflict on every attempt".into(),
        ));
    }
    Ok(())
}

/// InternalErrorException for a SignUp whose drawn `sub` another user already holds: its seed
/// repeats an earlier one, so retrying would only draw the same `sub` again.
pub(crate) fn sub_taken() -> Error {
    Error::new(Exception::InternalError, messages::SUB_TAKEN)
}

/// NotAuthorizedException for a status that cannot be confirmed.
pub(crate) fn cannot_confirm(status: crate::user::UserStatus) -> Error {
    Error::new(
        Exception::NotAuthorized,
        format!("User cannot be confirmed. Current status is {status}"),
    )
}

/// CodeMismatchException.
pub(crate) fn code_mismatch() -> Error {
    Error::new(Exception::CodeMismatch, messages::CODE_MISMATCH)
}

/// CodeDeliveryFailureException, keeping the host's failure as the source.
pub(crate) fn delivery_failed(source: crate::error::HostError) -> Error {
    Error::new(
        Exception::CodeDeliveryFailure,
        "Unable to deliver the confirmation code.",
    )
    .with_source(source)
}

/// The attribute a code goes to: phone wins when both are auto-verified and present
/// ([verified-attribute]).
pub(crate) fn code_target(pool: &UserPool, user: &UserRecord) -> Option<VerifiableAttribute> {
    [VerifiableAttribute::PhoneNumber, VerifiableAttribute::Email]
        .into_iter()
        .find(|a| pool.auto_verified_attributes.contains(a) && user.verifiable(*a).is_some())
}

/// Masked delivery details ([delivery-mask]).
pub(crate) fn delivery_details(
    attr: VerifiableAttribute,
    destination: &str,
) -> CodeDeliveryDetails {
    CodeDeliveryDetails {
        destination: match attr {
            VerifiableAttribute::Email => mask_email(destination),
            VerifiableAttribute::PhoneNumber => mask_phone(destination),
        },
        delivery_medium: attr.medium(),
        attribute_name: attr.name().to_owned(),
    }
}

/// The `userAttributes` of trigger events: `sub`, the `cognito:*` alias members, the status,
/// then the user's attributes ([trigger-event]).
pub(crate) fn event_attributes(pool: &UserPool, user: &UserRecord) -> AttributeMap {
    let mut m = Vec::with_capacity(user.other_attributes.len().saturating_add(6));
    m.push(("sub".to_owned(), user.sub.to_string()));
    let alias_member = |attr: VerifiableAttribute| -> Option<(String, String)> {
        let listed = pool.alias_attributes.contains(&attr.as_alias())
            || pool.username_attributes.contains(&attr);
        let value = user.verifiable(attr)?;
        (listed && user.is_verified(attr))
            .then(|| (format!("cognito:{}_alias", attr.name()), value.to_owned()))
    };
    if let Some(e) = alias_member(VerifiableAttribute::Email) {
        m.push(e);
    }
    if let Some(p) = alias_member(VerifiableAttribute::PhoneNumber) {
        m.push(p);
    }
    m.push((
        "cognito:user_status".to_owned(),
        user.status.as_str().to_owned(),
    ));
    for a in user.attributes().into_iter().skip(1) {
        m.push((a.name, a.value));
    }
    AttributeMap(m)
}

/// A trigger event about `user` ([trigger-event]'s common members).
pub(crate) fn event<Req, Resp>(
    pool: &UserPool,
    user_name: &str,
    client_id: Option<&str>,
    trigger_source: &str,
    request: Req,
    response: Resp,
) -> TriggerEvent<Req, Resp> {
    TriggerEvent {
        version: "1".to_owned(),
        region: pool.region().to_owned(),
        user_pool_id: pool.id.clone(),
        user_name: user_name.to_owned(),
        caller_context: CallerContext {
            aws_sdk_version: AWS_SDK_UNKNOWN.to_owned(),
            client_id: client_id.map(str::to_owned),
        },
        trigger_source: trigger_source.to_owned(),
        request,
        response,
    }
}

/// The PostConfirmation_ConfirmSignUp invocation for a user, if the pool has the trigger.
pub(crate) fn post_confirmation(
    pool: &UserPool,
    user: &UserRecord,
    client_id: Option<&str>,
    client_metadata: Option<&ClientMetadata>,
) -> Option<LambdaInvocation> {
    let function = pool.lambda_config.post_confirmation.clone()?;
    let event = event(
        pool,
        &user.username,
        client_id,
        "PostConfirmation_ConfirmSignUp",
        PostConfirmationRequest {
            user_attributes: event_attributes(pool, user),
            client_metadata: client_metadata.cloned(),
        },
        PostConfirmationResponse {},
    );
    Some(LambdaInvocation {
        trigger: Trigger::PostConfirmation,
        trigger_source: "PostConfirmation_ConfirmSignUp",
        function,
        payload: to_json(&event),
    })
}

/// The CustomMessage invocation for a code, if the pool has the trigger.
pub(crate) fn custom_message(
    pool: &UserPool,
    user: &UserRecord,
    trigger_source: &'static str,
    client_id: &str,
    client_metadata: Option<&ClientMetadata>,
) -> Option<LambdaInvocation> {
    let function = pool.lambda_config.custom_message.clone()?;
    let event = event(
        pool,
        &user.username,
        Some(client_id),
        trigger_source,
        CustomMessageRequest {
            user_attributes: event_attributes(pool, user),
            code_parameter: CODE_PLACEHOLDER.to_owned(),
            link_parameter: LINK_PLACEHOLDER.to_owned(),
            username_parameter: None,
            client_metadata: client_metadata.cloned(),
        },
        CustomMessageResponse::default(),
    );
    Some(LambdaInvocation {
        trigger: Trigger::CustomMessage,
        trigger_source,
        function,
        payload: to_json(&event),
    })
}

/// The text and subject of a code message: the CustomMessage function's where it gave one, else
/// the pool's template; `{####}` replaced by the code everywhere.
///
/// # Errors
/// InvalidLambdaResponseException when the function's message lacks `{####}` or is longer than
/// Cognito allows (20,000 characters for email, 140 for SMS including the code).
pub(crate) fn compose(
    pool: &UserPool,
    medium: DeliveryMedium,
    custom: Option<&CustomMessageResponse>,
    code: &Code,
) -> Result<(String, Option<String>), Error> {
    let invalid = || {
        Error::new(
            Exception::InvalidLambdaResponse,
            messages::UNRECOGNIZABLE_LAMBDA_OUTPUT,
        )
    };
    let from_fn = custom.and_then(|c| match medium {
        DeliveryMedium::Email => c.email_message.as_deref(),
        DeliveryMedium::Sms => c.sms_message.as_deref(),
    });
    if let Some(m) = from_fn {
        if !m.contains(CODE_PLACEHOLDER) {
            return Err(invalid());
        }
    }
    let template = from_fn.unwrap_or_else(|| pool.message_template(medium));
    let body = template.replace(CODE_PLACEHOLDER, code.as_str());
    let limit = match medium {
        DeliveryMedium::Email => MAX_EMAIL_MESSAGE,
        DeliveryMedium::Sms => MAX_SMS_MESSAGE,
    };
    if from_fn.is_some() && body.chars().count() > limit {
        return Err(invalid());
    }
    let subject = match medium {
        DeliveryMedium::Email => Some(
            custom
                .and_then(|c| c.email_subject.clone())
                .unwrap_or_else(|| pool.email_subject().to_owned()),
        ),
        DeliveryMedium::Sms => None,
    };
    Ok((body, subject))
}

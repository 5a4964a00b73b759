//! SignUp.
//!
//! Order ([sign-up-order]): shape; client; enabled; guard; throttle; SecretHash;
//! AllowAdminCreateUserOnly; attribute schema; username format; uniqueness; password; PreSignUp;
//! aliases moved by auto-verification; CustomMessage_SignUp; one atomic commit; delivery;
//! PostConfirmation when auto-confirmed; response.
//!
//! The user is committed before the code is delivered: a delivery failure answers
//! CodeDeliveryFailureException and leaves an UNCONFIRMED user who can ask for a new code.

use super::gate::{PublicGate, behind_gate, gate_again, gate_start, gate_step};
use super::support::{
    alias_key, claims_of_new_user, code_target, compose, custom_message, delivery_details,
    delivery_failed, event, finished, fold, may_commit_again, post_confirmation, sub_taken,
    unexpected,
};
use crate::code::Code;
use crate::config::{OperationName as Op, UserPool, VerifiableAttribute};
use crate::error::{Error, Exception, messages};
use crate::password::check_policy;
use crate::protocol::Operation;
use crate::protocol::machine::{Answer, Ask, Machine, Raw};
use crate::protocol::{Bucket, ClientContext, Message, Trigger};
use crate::protocol::{
    Commit, CommitOutcome, IndexKey, IndexWrite, KeyList, RecordWrite, Versioned,
};
use crate::seed::{Entropy, Seed};
use crate::time::Timestamp;
use crate::triggers::{
    AttributeMap, CustomMessageResponse, PreSignUpRequest, PreSignUpResponse,
    decode_custom_message, decode_post_confirmation, decode_pre_sign_up, returned_body, to_json,
};
use crate::types::{CodeDeliveryDetails, SignUpRequest, SignUpResponse};
use crate::user::{Attribute, PasswordHash, PendingCode, SharedStr, UserRecord, UserStatus};
use crate::validate::{self, Violations, looks_like_email, looks_like_phone};
use std::sync::Arc;

/// Standard attributes of a user pool schema.
pub(crate) const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// What the operation has decided so far; kept across conflict retries so that triggers are
/// invoked and the password hashed once.
struct Draft {
    user: UserRecord,
    code: Option<(Code, VerifiableAttribute)>,
    message: Option<(String, Option<String>)>,
    password_done: bool,
    pre_sign_up_done: bool,
    custom_message_done: bool,
}

enum State {
    Gate(PublicGate),
    FindExisting(ClientContext),
    Hash(ClientContext),
    PreSignUp(ClientContext),
    FindHolder {
        cx: ClientContext,
        attrs: Vec<VerifiableAttribute>,
        holders: Vec<(VerifiableAttribute, Option<Versioned<UserRecord>>)>,
    },
    CustomMessage {
        cx: ClientContext,
        holders: Vec<(VerifiableAttribute, Option<Versioned<UserRecord>>)>,
    },
    /// Waiting for the commit's outcome. On a conflict the context is dropped and the client
    /// resolved again ([conflict-resolve-again]).
    Commit(ClientContext),
    Deliver(SignUpResponse),
    PostConfirmation(SignUpResponse),
    Done,
}

/// The SignUp operation.
///
/// **One step is CPU-heavy**: the answer to its [`Need::Hash`](crate::ops::Need::Hash), which
/// hashes the password with argon2id (tens of milliseconds of one core with the default
/// parameters) through the host's [`PasswordHasher`](crate::PasswordHasher). Every other step
/// takes microseconds. The need comes once, after the username was found free and the password
/// policy checked; the host runs it where blocking is fine (see
/// [`HashPassword`](crate::ops::HashPassword)). A saturated hasher ends SignUp with
/// TooManyRequestsException "Rate exceeded" before anything is committed.
pub struct SignUp {
    req: SignUpRequest,
    now: Timestamp,
    entropy: Entropy,
    draft: Option<Draft>,
    commits: u32,
    state: State,
}

impl std::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("req", &self.req)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

type Out = SignUpResponse;

fn validate_shape(r: &SignUpRequest) -> Result<(), Error> {
    let mut v = Violations::default();
    v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
    v.string(validate::C_SECRET_HASH, r.secret_hash.as_deref());
    v.string(validate::C_USERNAME, r.username.as_deref());
    // A blank password means "no password" (passwordless sign-up).
    let password = r.password.as_deref().filter(|p| !p.is_empty());
    v.string(validate::C_PASSWORD, password);
    validate::attributes(&mut v, "userAttributes", r.user_attributes.as_deref());
    validate::attributes(&mut v, "validationData", r.validation_data.as_deref());
    validate::context(
        &mut v,
        r.analytics_metadata.as_ref(),
        r.user_context_data.as_ref(),
    );
    validate::client_metadata(&mut v, r.client_metadata.as_ref());
    v.finish()
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(Exception::InvalidParameter, message)
}

/// The request's attributes as (name, value) pairs, after the schema rules.
fn checked_attributes(r: &SignUpRequest) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for a in r.user_attributes.as_deref().unwrap_or_default() {
        let name = a.name.clone().unwrap_or_default();
        let value = a.value.clone().unwrap_or_default();
        if name == "sub"
            || name.starts_with("cognito:")
            || name == "email_verified"
            || name == "phone_number_verified"
        {
            return Err(invalid(format!(
                "Attributes did not conform to the schema: {name}: Attribute cannot be written at sign-up"
            )));
        }
        if !STANDARD_ATTRIBUTES.contains(&name.as_str()) && !name.starts_with("custom:") {
            return Err(invalid(format!(
                "Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
            )));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(invalid(format!(
                "Attributes did not conform to the schema: duplicate attribute {name}"
            )));
        }
        if name == "email" && !looks_like_email(&value) {
            return Err(invalid("Invalid email address format."));
        }
        if name == "phone_number" && !looks_like_phone(&value) {
            return Err(invalid("Invalid phone number format."));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// The username rules of [username-format]. Returns the attribute that is the sign-in name in a
/// username-attribute pool.
fn check_username(
    pool: &UserPool,
    username: &str,
    attrs: &[(String, String)],
) -> Result<Option<VerifiableAttribute>, Error> {
    let given = |name: &str| {
        attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if !pool.username_attributes.is_empty() {
        let email_ok = pool
            .username_attributes
            .contains(&VerifiableAttribute::Email)
            && looks_like_email(username);
        let phone_ok = pool
            .username_attributes
            .contains(&VerifiableAttribute::PhoneNumber)
            && looks_like_phone(username);
        let attr = if email_ok {
            VerifiableAttribute::Email
        } else if phone_ok {
            VerifiableAttribute::PhoneNumber
        } else if pool.username_attributes.len() > 1 {
            return Err(invalid(
                "Username should be either an email or a phone number.",
            ));
        } else if pool
            .username_attributes
            .contains(&VerifiableAttribute::Email)
        {
            return Err(invalid("Username should be an email."));
        } else {
            return Err(invalid("Username should be a phone number."));
        };
        if given(attr.name()).is_some_and(|v| v != username) {
            return Err(invalid(match attr {
                VerifiableAttribute::Email => {
                    "User email should be empty or same as username, since username attribute is email"
                }
                VerifiableAttribute::PhoneNumber => {
                    "User phone number should be empty or same as username, since username attribute is phone number"
                }
            }));
        }
        return Ok(Some(attr));
    }
    let aliases = &pool.alias_attributes;
    if aliases.contains(&crate::config::AliasAttribute::Email) && looks_like_email(username) {
        return Err(invalid(
            "Username cannot be of email format, since user pool is configured for email alias.",
        ));
    }
    if aliases.contains(&crate::config::AliasAttribute::PhoneNumber) && looks_like_phone(username) {
        return Err(invalid(
            "Username cannot be of phone number format, since user pool is configured for phone number alias.",
        ));
    }
    if aliases.contains(&crate::config::AliasAttribute::PreferredUsername)
        && given("preferred_username").is_some()
    {
        return Err(invalid(
            "Preferred username cannot be provided for unconfirmed account, since user pool is configured for preferred username alias.",
        ));
    }
    Ok(None)
}

impl SignUp {
    /// A SignUp at time `now`; the `sub`, the password salt and the code derive from `seed`.
    #[must_use]
    pub fn new(request: SignUpRequest, now: Timestamp, seed: Seed) -> Self {
        Self {
            req: request,
            now,
            entropy: Entropy::new(seed),
            draft: None,
            commits: 0,
            state: State::Done,
        }
    }

    fn username(&self) -> &str {
        self.req.username.as_deref().unwrap_or_default()
    }

    fn fail(&mut self, e: Error) -> Raw<Out> {
        self.state = State::Done;
        Raw::Done(Err(e))
    }

    fn on_client(&mut self, cx: ClientContext) -> Raw<Out> {
        let pool = &cx.pool.pool;
        if pool.admin_create_user_config.allow_admin_create_user_only {
            return self.fail(Error::new(
                Exception::NotAuthorized,
                messages::SIGN_UP_NOT_PERMITTED,
            ));
        }
        let attrs = match checked_attributes(&self.req) {
            Ok(a) => a,
            Err(e) => return self.fail(e),
        };
        let sign_in = match check_username(pool, self.username(), &attrs) {
            Ok(s) => s,
            Err(e) => return self.fail(e),
        };
        // Draw the sub first, so that it is the same whatever happens later.
        let sub: SharedStr = self.entropy.uuid().into();
        let mut user = UserRecord {
            username: if sign_in.is_some() {
                sub.clone()
            } else {
                self.username().into()
            },
            sub,
            status: UserStatus::Unconfirmed,
            enabled: true,
            email: None,
            email_verified: false,
            phone_number: None,
            phone_number_verified: false,
            other_attributes: Vec::new(),
            password: None,
            created: self.now,
            last_modified: self.now,
            code: None,
            failed_confirmations: Vec::new(),
            resends: Vec::new(),
        };
        for (name, value) in attrs {
            match name.as_str() {
                "email" => user.email = Some(value.into()),
                "phone_number" => user.phone_number = Some(value),
                _ => user.other_attributes.push(Attribute { name, value }),
            }
        }
        match sign_in {
            Some(VerifiableAttribute::Email) => user.email = Some(self.username().into()),
            Some(VerifiableAttribute::PhoneNumber) => {
                user.phone_number = Some(self.username().to_owned());
            }
            None => {}
        }
        self.draft = Some(Draft {
            user,
            code: None,
            message: None,
            password_done: false,
            pre_sign_up_done: false,
            custom_message_done: false,
        });
        self.find_existing(cx)
    }

    fn existing_keys(&self, pool: &UserPool) -> Vec<IndexKey> {
        let Some(d) = &self.draft else {
            return Vec::new();
        };
        let mut keys: Vec<IndexKey> = if pool.username_attributes.is_empty() {
            vec![IndexKey::username(&fold(pool, &d.user.username))]
        } else {
            pool.username_attributes
                .iter()
                .filter_map(|a| {
                    d.user
                        .verifiable(*a)
                        .map(|v| alias_key(pool, a.as_alias(), v))
                })
                .collect()
        };
        // After a conflict, also ask whether the drawn sub is taken: a commit that can never
        // succeed is then told apart from a race (a store's conflict does not say which
        // precondition failed).
        if self.commits > 0 {
            keys.push(IndexKey::sub(&d.user.sub));
        }
        keys
    }

    fn find_existing(&mut self, cx: ClientContext) -> Raw<Out> {
        let need = Ask::Find {
            pool_id: Arc::clone(cx.pool.id()),
            keys: self.existing_keys(&cx.pool.pool).into(),
        };
        self.state = State::FindExisting(cx);
        Raw::Need(need)
    }

    fn on_existing(&mut self, cx: ClientContext, found: Option<Versioned<UserRecord>>) -> Raw<Out> {
        let pool = &cx.pool.pool;
        if let Some(existing) = found {
            let Some(d) = &self.draft else {
                return self.fail(finished());
            };
            if existing.value.sub == d.user.sub {
                return self.fail(sub_taken());
            }
            let message = if pool.username_attributes.is_empty() {
                messages::USER_ALREADY_EXISTS.to_owned()
            } else {
                let clash = pool.username_attributes.iter().find(|a| {
                    match (d.user.verifiable(**a), existing.value.verifiable(**a)) {
                        (Some(mine), Some(theirs)) => fold(pool, mine) == fold(pool, theirs),
                        _ => false,
                    }
                });
                let name = clash.map_or("email", |a| a.name());
                format!("An account with the given {name} already exists.")
            };
            return self.fail(Error::new(Exception::UsernameExists, message));
        }
        if self.draft.as_ref().is_some_and(|d| !d.password_done) {
            return match self.password_to_hash(pool) {
                Err(e) => self.fail(e),
                Ok(None) => self.hashed(cx, Ok(None)),
                Ok(Some(ask)) => {
                    self.state = State::Hash(cx);
                    Raw::Need(ask)
                }
            };
        }
        self.after_password(cx)
    }

    /// Once the password is hashed (or there is none): PreSignUp, unless it already ran.
    fn after_password(&mut self, cx: ClientContext) -> Raw<Out> {
        match self.draft.as_ref().map(|d| d.pre_sign_up_done) {
            Some(false) => self.pre_sign_up(cx),
            _ => self.after_pre_sign_up(cx),
        }
    }

    /// Checks the password policy and draws the salt: the request to hash the password, or
    /// `None` for a passwordless sign-up. The hash itself is the host's [`Ask::Hash`], the one
    /// CPU-heavy step, asked once: a conflict retry keeps the hash.
    fn password_to_hash(&mut self, pool: &UserPool) -> Result<Option<Ask>, Error> {
        let password = self.req.password.as_deref().filter(|p| !p.is_empty());
        match password {
            None if pool.allows_passwordless() => Ok(None),
            None => Err(invalid(
                "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null",
            )),
            Some(p) => {
                check_policy(&pool.policies.password_policy, p)?;
                let salt = self.entropy.bytes::<16>();
                Ok(Some(Ask::Hash {
                    password: p.to_owned(),
                    salt,
                }))
            }
        }
    }

    /// The host hashed the password (or refused to: a saturated hasher).
    fn hashed(&mut self, cx: ClientContext, hash: Result<Option<PasswordHash>, Error>) -> Raw<Out> {
        let hash = match hash {
            Ok(h) => h,
            Err(e) => return self.fail(e),
        };
        if let Some(d) = self.draft.as_mut() {
            d.user.password = hash;
            d.password_done = true;
        }
        self.after_password(cx)
    }

    fn pre_sign_up(&mut self, cx: ClientContext) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let Some(function) = pool.lambda_config.pre_sign_up.clone() else {
            if let Some(d) = self.draft.as_mut() {
                d.pre_sign_up_done = true;
            }
            return self.after_pre_sign_up(cx);
        };
        let Some(d) = &self.draft else {
            return self.fail(finished());
        };
        let mut attrs: Vec<(String, String)> = d
            .user
            .other_attributes
            .iter()
            .map(|a| (a.name.clone(), a.value.clone()))
            .collect();
        if let Some(e) = &d.user.email {
            attrs.push(("email".into(), e.to_string()));
        }
        if let Some(p) = &d.user.phone_number {
            attrs.push(("phone_number".into(), p.clone()));
        }
        let validation_data = self.req.validation_data.as_ref().map(|v| {
            AttributeMap(
                v.iter()
                    .map(|a| {
                        (
                            a.name.clone().unwrap_or_default(),
                            a.value.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
            )
        });
        let event = event(
            pool,
            &d.user.username,
            Some(&cx.client.client_id),
            "PreSignUp_SignUp",
            PreSignUpRequest {
                user_attributes: AttributeMap(attrs),
                validation_data,
                client_metadata: self.req.client_metadata.clone(),
            },
            PreSignUpResponse::default(),
        );
        let inv = crate::protocol::LambdaInvocation {
            trigger: Trigger::PreSignUp,
            trigger_source: "PreSignUp_SignUp",
            function,
            payload: to_json(&event),
        };
        self.state = State::PreSignUp(cx);
        Raw::Need(Ask::Invoke(inv))
    }

    fn on_pre_sign_up(
        &mut self,
        cx: ClientContext,
        reply: crate::protocol::LambdaReply,
    ) -> Raw<Out> {
        let flags = match returned_body(Trigger::PreSignUp, reply)
            .and_then(|body| decode_pre_sign_up(&body))
        {
            Ok(f) => f,
            Err(e) => return self.fail(e),
        };
        let Some(d) = self.draft.as_mut() else {
            return self.fail(finished());
        };
        d.pre_sign_up_done = true;
        let unusable = || {
            Error::new(
                Exception::InvalidLambdaResponse,
                messages::UNRECOGNIZABLE_LAMBDA_OUTPUT,
            )
        };
        for (flag, attr) in [
            (flags.auto_verify_email, VerifiableAttribute::Email),
            (flags.auto_verify_phone, VerifiableAttribute::PhoneNumber),
        ] {
            if flag {
                if d.user.verifiable(attr).is_none() {
                    return self.fail(unusable());
                }
                d.user.set_verified(attr, true);
            }
        }
        if flags.auto_confirm_user {
            d.user.status = UserStatus::Confirmed;
        }
        self.after_pre_sign_up(cx)
    }

    /// Draws the code (once), then looks up the holders of aliases this user verifies.
    fn after_pre_sign_up(&mut self, cx: ClientContext) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let Some(d) = self.draft.as_mut() else {
            return self.fail(finished());
        };
        if d.user.status == UserStatus::Unconfirmed && d.code.is_none() {
            if let Some(attr) = code_target(pool, &d.user) {
                let code = self.entropy.code();
                d.user.code = Some(PendingCode {
                    tag: cx.pool.code_keys.tag(&pool.id, &d.user.username, &code),
                    issued_at: self.now,
                    attribute: attr,
                    failed_checks: 0,
                });
                d.code = Some((code, attr));
            }
        }
        let attrs: Vec<VerifiableAttribute> =
            [VerifiableAttribute::Email, VerifiableAttribute::PhoneNumber]
                .into_iter()
                .filter(|a| {
                    d.user.is_verified(*a)
                        && d.user.verifiable(*a).is_some()
                        && pool.alias_attributes.contains(&a.as_alias())
                })
                .collect();
        self.next_holder(cx, attrs, Vec::new())
    }

    fn next_holder(
        &mut self,
        cx: ClientContext,
        attrs: Vec<VerifiableAttribute>,
        holders: Vec<(VerifiableAttribute, Option<Versioned<UserRecord>>)>,
    ) -> Raw<Out> {
        let Some(attr) = attrs.first().copied() else {
            return self.custom_message(cx, holders);
        };
        let Some(value) = self
            .draft
            .as_ref()
            .and_then(|d| d.user.verifiable(attr).map(str::to_owned))
        else {
            return self.fail(finished());
        };
        let pool = &cx.pool.pool;
        let need = Ask::Find {
            pool_id: Arc::clone(cx.pool.id()),
            keys: KeyList::one(alias_key(pool, attr.as_alias(), &value)),
        };
        self.state = State::FindHolder { cx, attrs, holders };
        Raw::Need(need)
    }

    fn custom_message(
        &mut self,
        cx: ClientContext,
        holders: Vec<(VerifiableAttribute, Option<Versioned<UserRecord>>)>,
    ) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let Some(d) = self.draft.as_mut() else {
            return self.fail(finished());
        };
        if d.code.is_none() || d.custom_message_done {
            return self.commit(cx, holders);
        }
        match custom_message(
            pool,
            &d.user,
            "CustomMessage_SignUp",
            &cx.client.client_id,
            self.req.client_metadata.as_ref(),
        ) {
            Some(inv) => {
                self.state = State::CustomMessage { cx, holders };
                Raw::Need(Ask::Invoke(inv))
            }
            None => match self.compose(&cx, None) {
                Ok(()) => self.commit(cx, holders),
                Err(e) => self.fail(e),
            },
        }
    }

    fn compose(
        &mut self,
        cx: &ClientContext,
        custom: Option<&CustomMessageResponse>,
    ) -> Result<(), Error> {
        let Some(d) = self.draft.as_mut() else {
            return Err(finished());
        };
        if let Some((code, attr)) = &d.code {
            d.message = Some(compose(&cx.pool.pool, attr.medium(), custom, code)?);
        }
        d.custom_message_done = true;
        Ok(())
    }

    fn commit(
        &mut self,
        cx: ClientContext,
        holders: Vec<(VerifiableAttribute, Option<Versioned<UserRecord>>)>,
    ) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let Some(d) = &self.draft else {
            return self.fail(finished());
        };
        let user = &d.user;
        let mut commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: None,
                record: user.clone(),
            }],
            index: claims_of_new_user(pool, user),
        };
        // Aliases verified by PreSignUp move from their previous holders ([sign-up-pre-sign-up]).
        let mut previous: Vec<Versioned<UserRecord>> = Vec::new();
        for (attr, holder) in holders {
            let Some(value) = user.verifiable(attr) else {
                continue;
            };
            let key = alias_key(pool, attr.as_alias(), value);
            match holder {
                None => commit.index.push(IndexWrite {
                    key,
                    expected: None,
                    new: Some(user.sub.to_string()),
                }),
                Some(h) => {
                    commit.index.push(IndexWrite {
                        key,
                        expected: Some(h.value.sub.to_string()),
                        new: Some(user.sub.to_string()),
                    });
                    match previous.iter_mut().find(|p| p.value.sub == h.value.sub) {
                        Some(p) => p.value.set_verified(attr, false),
                        None => {
                            let mut h = h;
                            h.value.set_verified(attr, false);
                            h.value.last_modified = self.now;
                            previous.push(h);
                        }
                    }
                }
            }
        }
        for p in previous {
            commit.records.push(RecordWrite {
                expected_version: Some(p.version),
                record: p.value,
            });
        }
        self.commits = self.commits.saturating_add(1);
        let need = Ask::Commit {
            pool_id: Arc::clone(cx.pool.id()),
            commit,
        };
        self.state = State::Commit(cx);
        Raw::Need(need)
    }

    /// The client resolved again after a conflict ([conflict-resolve-again]): read again with
    /// the pool as it is now, while the budget lasts. The draft (hash, triggers' answers, code)
    /// is kept.
    fn again(&mut self, cx: ClientContext) -> Raw<Out> {
        if let Err(e) = may_commit_again(self.commits, &cx.pool.pool) {
            return self.fail(e);
        }
        self.find_existing(cx)
    }

    fn on_committed(&mut self, cx: ClientContext) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let Some(d) = self.draft.take() else {
            return self.fail(finished());
        };
        let confirmed = d.user.status == UserStatus::Confirmed;
        let mut response = SignUpResponse {
            user_confirmed: confirmed,
            code_delivery_details: None,
            user_sub: d.user.sub.to_string(),
        };
        if let (Some((code, attr)), Some((body, subject))) = (d.code, d.message) {
            let destination = d.user.verifiable(attr).unwrap_or_default().to_owned();
            let details: CodeDeliveryDetails = delivery_details(attr, &destination);
            response.code_delivery_details = Some(details);
            let message = Message {
                pool_id: pool.id.clone(),
                username: d.user.username.to_string(),
                trigger_source: "CustomMessage_SignUp",
                medium: attr.medium(),
                attribute: attr,
                destination,
                code,
                body,
                subject,
            };
            self.state = State::Deliver(response);
            return Raw::Need(Ask::Deliver(message));
        }
        if confirmed {
            if let Some(inv) = post_confirmation(
                pool,
                &d.user,
                Some(&cx.client.client_id),
                self.req.client_metadata.as_ref(),
            ) {
                self.state = State::PostConfirmation(response);
                return Raw::Need(Ask::Invoke(inv));
            }
        }
        self.state = State::Done;
        Raw::Done(Ok(response))
    }
}

behind_gate!(SignUp, Op::SignUp, Bucket::UserCreation, on_client, again);

impl Operation for SignUp {
    type Output = SignUpResponse;
}

impl Machine for SignUp {
    fn client_id(&self) -> &str {
        self.req.client_id.as_deref().unwrap_or_default()
    }

    fn begin(&mut self) -> Raw<Out> {
        if let Err(e) = validate_shape(&self.req) {
            return self.fail(e);
        }
        gate_start(self)
    }

    fn advance(&mut self, answer: Answer) -> Raw<Out> {
        match (std::mem::replace(&mut self.state, State::Done), answer) {
            (State::Gate(gate), answer) => gate_step(self, gate, answer),
            (State::FindExisting(cx), Answer::Found(found)) => self.on_existing(cx, found),
            (State::Hash(cx), Answer::Hashed(hash)) => self.hashed(cx, hash.map(Some)),
            (State::PreSignUp(cx), Answer::Lambda(reply)) => self.on_pre_sign_up(cx, reply),
            (
                State::FindHolder {
                    cx,
                    mut attrs,
                    mut holders,
                },
                Answer::Found(holder),
            ) => {
                let attr = attrs.remove(0);
                holders.push((attr, holder));
                self.next_holder(cx, attrs, holders)
            }
            (State::CustomMessage { cx, holders }, Answer::Lambda(reply)) => {
                let custom = returned_body(Trigger::CustomMessage, reply)
                    .and_then(|body| decode_custom_message(&body));
                match custom.and_then(|c| self.compose(&cx, Some(&c))) {
                    Ok(()) => self.commit(cx, holders),
                    Err(e) => self.fail(e),
                }
            }
            (State::Commit(cx), Answer::Committed(CommitOutcome::Committed)) => {
                self.on_committed(cx)
            }
            (State::Commit(_), Answer::Committed(CommitOutcome::Conflict)) => gate_again(self),
            (State::Deliver(response), Answer::Delivered(result)) => {
                self.state = State::Done;
                Raw::Done(match result {
                    Ok(()) => Ok(response),
                    Err(e) => Err(delivery_failed(e)),
                })
            }
            (State::PostConfirmation(response), Answer::Lambda(reply)) => {
                self.state = State::Done;
                Raw::Done(
                    returned_body(Trigger::PostConfirmation, reply)
                        .and_then(|b| decode_post_confirmation(&b))
                        .map(|()| response),
                )
            }
            (State::Done, _) => Raw::Done(Err(finished())),
            (_, answer) => self.fail(unexpected(answer)),
        }
    }
}

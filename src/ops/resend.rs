//! ResendConfirmationCode.
//!
//! Order ([resend-order]): shape; client; enabled; guard; throttle (own bucket,
//! [rate-limits]); SecretHash; user lookup (unknown or disabled user: UserNotFound / NotAuthorized
//! under LEGACY, under ENABLED a simulated delivery, limited as a present user's resends are by the
//! pool's table of hidden resends); per-user limits ([limits-resend]); status ([resend-confirmed]);
//! delivery target; new code, killing the previous one; CustomMessage_ResendCode; commit; delivery.
//!
//! No budget is reset by a new code: the failed-confirmation window and the per-code counter of
//! the old code are kept or replaced, never cleared in the user's favour ([limits-policy]).

use super::gate::{PublicGate, behind_gate, gate_again, gate_start, gate_step};
use super::support::{
    code_target, compose, count_in_window, custom_message, delivery_details, delivery_failed,
    finished, fold, lookup_keys, may_commit_again, record_in_window, unexpected,
};
use crate::code::Code;
use crate::config::{
    OperationName as Op, PreventUserExistenceErrors, UserPool, VerifiableAttribute,
};
use crate::error::{Error, Exception, messages};
use crate::protocol::Operation;
use crate::protocol::machine::{Answer, Ask, Machine, Raw};
use crate::protocol::{
    Bucket, ClientContext, HiddenResendRequest, Message, PoolContext, SKETCH_ROWS, Trigger,
};
use crate::protocol::{Commit, CommitOutcome, RecordWrite, Versioned};
use crate::seed::{Entropy, Seed};
use crate::time::Timestamp;
use crate::triggers::{decode_custom_message, returned_body};
use crate::types::{
    CodeDeliveryDetails, ResendConfirmationCodeRequest, ResendConfirmationCodeResponse,
};
use crate::user::{PendingCode, UserRecord, UserStatus};
use crate::validate::{self, Violations, looks_like_email, looks_like_phone};
use std::sync::Arc;

enum State {
    Gate(PublicGate),
    FindUser(ClientContext),
    /// A hidden name's resend, waiting for the table's verdict; the answer if it allows it.
    Hidden(CodeDeliveryDetails),
    CustomMessage {
        cx: ClientContext,
        user: Versioned<UserRecord>,
        attr: VerifiableAttribute,
    },
    Commit {
        cx: ClientContext,
        user: UserRecord,
        attr: VerifiableAttribute,
    },
    Deliver(ResendConfirmationCodeResponse),
    Done,
}

/// The ResendConfirmationCode operation.
pub struct ResendConfirmationCode {
    req: ResendConfirmationCodeRequest,
    now: Timestamp,
    code: Code,
    message: Option<(String, Option<String>)>,
    commits: u32,
    state: State,
}

impl std::fmt::Debug for ResendConfirmationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendConfirmationCode")
            .field("req", &self.req)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

type Out = ResendConfirmationCodeResponse;

fn validate_shape(r: &ResendConfirmationCodeRequest) -> Result<(), Error> {
    let mut v = Violations::default();
    v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
    v.string(validate::C_SECRET_HASH, r.secret_hash.as_deref());
    v.string(validate::C_USERNAME, r.username.as_deref());
    validate::context(
        &mut v,
        r.analytics_metadata.as_ref(),
        r.user_context_data.as_ref(),
    );
    validate::client_metadata(&mut v, r.client_metadata.as_ref());
    v.finish()
}

/// The delivery details answered for a name that must look present under ENABLED (no user
/// holds it, or a disabled one does): what a present user of that name could have got.
///
/// The medium is the one a real user of that name would get (SMS if the name is a phone number
/// and the pool auto-verifies phones, else EMAIL if it auto-verifies email). The destination is
/// the name itself, masked as a user's address is, where the name is the delivery address (an
/// email or phone number that signs users in: a username attribute or an alias of the pool);
/// otherwise a fake address keyed with the pool's code keys and the name: stable for the name,
/// different between names, and not to be told from a real one without the keys.
fn simulated_details(cx: &PoolContext, name: &str) -> Option<CodeDeliveryDetails> {
    let pool = &cx.pool;
    let avas = &pool.auto_verified_attributes;
    let phone = avas.contains(&VerifiableAttribute::PhoneNumber);
    let email = avas.contains(&VerifiableAttribute::Email);
    let attr = match (phone, email) {
        (true, true) if looks_like_phone(name) => VerifiableAttribute::PhoneNumber,
        (_, true) => VerifiableAttribute::Email,
        (true, false) => VerifiableAttribute::PhoneNumber,
        (false, false) => return None,
    };
    let shaped = match attr {
        VerifiableAttribute::Email => looks_like_email(name),
        VerifiableAttribute::PhoneNumber => looks_like_phone(name),
    };
    let signs_in = pool.username_attributes.contains(&attr)
        || pool.alias_attributes.contains(&attr.as_alias());
    if shaped && signs_in {
        return Some(delivery_details(attr, name));
    }
    let h = cx.code_keys.name_digest(FAKE_DESTINATION, &pool.id, name);
    let pick = |b: u8, from: &[u8]| {
        let n = u8::try_from(from.len()).unwrap_or(1).max(1);
        from.get(usize::from(b.checked_rem(n).unwrap_or(0)))
            .copied()
            .map_or('a', char::from)
    };
    let fake = match attr {
        VerifiableAttribute::Email => {
            let tld = FAKE_TLDS
                .get(usize::from(h[2]).checked_rem(FAKE_TLDS.len()).unwrap_or(0))
                .copied()
                .unwrap_or("com");
            let mut a = String::with_capacity(8);
            a.push(pick(h[0], LETTERS));
            a.push('@');
            a.push(pick(h[1], LETTERS));
            a.push('.');
            a.push_str(tld);
            a
        }
        VerifiableAttribute::PhoneNumber => {
            let mut n = String::with_capacity(12);
            n.push_str("+1");
            for b in h.get(3..13).unwrap_or_default() {
                n.push(pick(*b, b"0123456789"));
            }
            n
        }
    };
    Some(delivery_details(attr, &fake))
}

/// What [`simulated_details`] keys its fake destinations with.
const FAKE_DESTINATION: &str = "fake destination";
/// What the resend-limit cells of a hidden name are keyed with.
const HIDDEN_RESEND: &str = "hidden resend";
const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
/// Top-level domains of fake addresses, the common ones more often.
const FAKE_TLDS: &[&str] = &[
    "com", "com", "com", "com", "com", "com", "com", "com", "com", "com", "com", "com", "net",
    "org", "net", "edu",
];

/// The cells of the pool's table of hidden resends (see [`HiddenResendRequest`]) that `name`
/// counts in.
fn hidden_keys(cx: &PoolContext, name: &str) -> [u64; SKETCH_ROWS] {
    let h = cx.code_keys.name_digest(HIDDEN_RESEND, &cx.pool.id, name);
    std::array::from_fn(|row| {
        let at = row.saturating_mul(8);
        let mut b = [0u8; 8];
        if let Some(part) = h.get(at..at.saturating_add(8)) {
            b.copy_from_slice(part);
        }
        u64::from_be_bytes(b)
    })
}

fn no_target(pool: &UserPool) -> Error {
    if pool.auto_verified_attributes.is_empty() {
        Error::new(
            Exception::InvalidParameter,
            "Auto verification not turned on.",
        )
    } else {
        Error::new(
            Exception::InvalidParameter,
            "The user has no attribute that the user pool verifies automatically.",
        )
    }
}

impl ResendConfirmationCode {
    /// A ResendConfirmationCode at time `now`; the new code derives from `seed`.
    #[must_use]
    pub fn new(request: ResendConfirmationCodeRequest, now: Timestamp, seed: Seed) -> Self {
        Self {
            req: request,
            now,
            code: Entropy::new(seed).code(),
            message: None,
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

    fn find_user(&mut self, cx: ClientContext) -> Raw<Out> {
        let need = Ask::Find {
            pool_id: Arc::clone(cx.pool.id()),
            keys: lookup_keys(&cx.pool.pool, self.username()),
        };
        self.state = State::FindUser(cx);
        Raw::Need(need)
    }

    /// A name that must look present (missing, or a disabled user's): the answer a present user
    /// of that name could get, within limits counted in the pool's table of hidden resends.
    /// Nothing is committed or delivered.
    fn simulated(&mut self, cx: &ClientContext) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let name = fold(pool, self.username());
        let Some(details) = simulated_details(&cx.pool, &name) else {
            // As for a present user: without AutoVerifiedAttributes no resend ever succeeds, so
            // none is counted and no limit is met.
            return self.fail(no_target(pool));
        };
        let policy = &pool.sign_up_policy;
        let need = Ask::HiddenResend(HiddenResendRequest {
            pool_id: pool.id.clone(),
            keys: hidden_keys(&cx.pool, &name),
            now: self.now,
            window: policy.attempt_window,
            limit: policy.resends_per_window,
            min_interval: policy.min_interval_between_codes,
        });
        self.state = State::Hidden(details);
        Raw::Need(need)
    }

    fn on_user(&mut self, cx: ClientContext, found: Option<Versioned<UserRecord>>) -> Raw<Out> {
        let enabled =
            cx.client.prevent_user_existence_errors == PreventUserExistenceErrors::Enabled;
        let Some(found) = found else {
            if enabled {
                return self.simulated(&cx);
            }
            return self.fail(Error::new(
                Exception::UserNotFound,
                messages::USERNAME_CLIENT_NOT_FOUND,
            ));
        };
        let user = &found.value;
        if !user.enabled {
            if enabled {
                return self.simulated(&cx);
            }
            return self.fail(Error::new(
                Exception::NotAuthorized,
                messages::USER_DISABLED,
            ));
        }
        let pool = &cx.pool.pool;
        let policy = &pool.sign_up_policy;
        let limited = Error::new(Exception::LimitExceeded, messages::ATTEMPT_LIMIT);
        if count_in_window(&user.resends, self.now, policy.attempt_window)
            >= policy.resends_per_window
        {
            return self.fail(limited);
        }
        let last_code = user
            .code
            .as_ref()
            .map(|c| c.issued_at)
            .into_iter()
            .chain(user.resends.last().copied())
            .max();
        if let Some(last) = last_code {
            if !policy.min_interval_between_codes.is_zero()
                && self.now.since(last) < policy.min_interval_between_codes
            {
                return self.fail(limited);
            }
        }
        if user.status != UserStatus::Unconfirmed {
            return self.fail(Error::new(
                Exception::InvalidParameter,
                messages::ALREADY_CONFIRMED,
            ));
        }
        let Some(attr) = code_target(pool, user) else {
            return self.fail(no_target(pool));
        };
        if self.message.is_none() {
            if let Some(inv) = custom_message(
                pool,
                user,
                "CustomMessage_ResendCode",
                &cx.client.client_id,
                self.req.client_metadata.as_ref(),
            ) {
                self.state = State::CustomMessage {
                    cx,
                    user: found,
                    attr,
                };
                return Raw::Need(Ask::Invoke(inv));
            }
            match compose(pool, attr.medium(), None, &self.code) {
                Ok(m) => self.message = Some(m),
                Err(e) => return self.fail(e),
            }
        }
        self.commit(cx, found, attr)
    }

    fn commit(
        &mut self,
        cx: ClientContext,
        found: Versioned<UserRecord>,
        attr: VerifiableAttribute,
    ) -> Raw<Out> {
        let pool = &cx.pool.pool;
        let policy = &pool.sign_up_policy;
        let mut rec = found.value;
        rec.code = Some(PendingCode {
            tag: cx.pool.code_keys.tag(&pool.id, &rec.username, &self.code),
            issued_at: self.now,
            attribute: attr,
            failed_checks: 0,
        });
        rec.resends = record_in_window(
            &rec.resends,
            self.now,
            policy.attempt_window,
            policy.resends_per_window,
        );
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(found.version),
                record: rec.clone(),
            }],
            index: Vec::new(),
        };
        self.commits = self.commits.saturating_add(1);
        let need = Ask::Commit {
            pool_id: Arc::clone(cx.pool.id()),
            commit,
        };
        self.state = State::Commit {
            cx,
            user: rec,
            attr,
        };
        Raw::Need(need)
    }

    fn on_committed(
        &mut self,
        cx: &ClientContext,
        user: &UserRecord,
        attr: VerifiableAttribute,
    ) -> Raw<Out> {
        let Some((body, subject)) = self.message.take() else {
            return self.fail(finished());
        };
        let destination = user.verifiable(attr).unwrap_or_default().to_owned();
        let response = ResendConfirmationCodeResponse {
            code_delivery_details: Some(delivery_details(attr, &destination)),
        };
        let message = Message {
            pool_id: cx.pool.pool.id.clone(),
            username: user.username.to_string(),
            trigger_source: "CustomMessage_ResendCode",
            medium: attr.medium(),
            attribute: attr,
            destination,
            code: self.code.clone(),
            body,
            subject,
        };
        self.state = State::Deliver(response);
        Raw::Need(Ask::Deliver(message))
    }
}

impl ResendConfirmationCode {
    /// The client resolved again after a conflict ([conflict-resolve-again]): read again with
    /// the pool as it is now, while the budget lasts.
    fn again(&mut self, cx: ClientContext) -> Raw<Out> {
        if let Err(e) = may_commit_again(self.commits, &cx.pool.pool) {
            return self.fail(e);
        }
        self.find_user(cx)
    }
}

behind_gate!(
    ResendConfirmationCode,
    Op::ResendConfirmationCode,
    Bucket::ResendConfirmationCode,
    find_user,
    again
);

impl Operation for ResendConfirmationCode {
    type Output = ResendConfirmationCodeResponse;
}

impl Machine for ResendConfirmationCode {
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
            (State::FindUser(cx), Answer::Found(found)) => self.on_user(cx, found),
            (State::Hidden(details), Answer::HiddenResend(allowed)) => {
                if allowed {
                    self.state = State::Done;
                    Raw::Done(Ok(ResendConfirmationCodeResponse {
                        code_delivery_details: Some(details),
                    }))
                } else {
                    self.fail(Error::new(
                        Exception::LimitExceeded,
                        messages::ATTEMPT_LIMIT,
                    ))
                }
            }
            (State::CustomMessage { cx, user, attr }, Answer::Lambda(reply)) => {
                let composed = returned_body(Trigger::CustomMessage, reply)
                    .and_then(|body| decode_custom_message(&body))
                    .and_then(|c| compose(&cx.pool.pool, attr.medium(), Some(&c), &self.code));
                match composed {
                    Ok(m) => {
                        self.message = Some(m);
                        self.commit(cx, user, attr)
                    }
                    Err(e) => self.fail(e),
                }
            }
            (State::Commit { cx, user, attr }, Answer::Committed(CommitOutcome::Committed)) => {
                self.on_committed(&cx, &user, attr)
            }
            (State::Commit { .. }, Answer::Committed(CommitOutcome::Conflict)) => gate_again(self),
            (State::Deliver(response), Answer::Delivered(result)) => {
                self.state = State::Done;
                Raw::Done(match result {
                    Ok(()) => Ok(response),
                    Err(e) => Err(delivery_failed(e)),
                })
            }
            (State::Done, _) => Raw::Done(Err(finished())),
            (_, answer) => self.fail(unexpected(answer)),
        }
    }
}

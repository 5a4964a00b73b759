//! ConfirmSignUp.
//!
//! Order of checks ([confirm-order]): shape; client; enabled; guard; throttle; SecretHash; user
//! lookup (username, active alias or sign-in attribute, `sub`); disabled user ([disabled-user]);
//! attempt limits ([limits-confirm]); status; code ([code-newest-only]); alias conflict
//! ([alias-conflict]); one atomic commit ([atomic-commit]); PostConfirmation
//! ([trigger-post-confirmation]); response.

use super::gate::{PublicGate, behind_gate, gate_again, gate_start, gate_step};
use super::support::{
    alias_key, cannot_confirm, code_mismatch, count_in_window, finished, lookup_keys,
    may_commit_again, post_confirmation, record_in_window, unexpected,
};
use crate::code::CodeVerified;
use crate::config::{OperationName as Op, PreventUserExistenceErrors, VerifiableAttribute};
use crate::decoy::{DECOY_SUB, DECOY_TAG, decoy_record, verify_decoy};
use crate::error::{Error, Exception, messages};
use crate::protocol::Operation;
use crate::protocol::machine::{Answer, Ask, Machine, Raw};
use crate::protocol::{Bucket, ClientContext};
use crate::protocol::{
    Commit, CommitOutcome, IndexKey, IndexWrite, KeyList, RecordWrite, Versioned,
};
use crate::time::Timestamp;
use crate::triggers::{decode_post_confirmation, returned_body};
use crate::types::{ConfirmSignUpRequest, ConfirmSignUpResponse};
use crate::user::{UserRecord, UserStatus};
use crate::validate::{self, Violations};
use std::sync::Arc;

enum State {
    Gate(PublicGate),
    FindUser(ClientContext),
    FindHolder {
        cx: ClientContext,
        /// Boxed: the state is moved at every step, and this variant is rare.
        user: Box<Versioned<UserRecord>>,
        attribute: VerifiableAttribute,
        proof: CodeVerified,
    },
    /// A counted failure. A `hidden` one (a user who cannot be told apart from a missing one,
    /// or the decoy) answers CodeMismatchException even on a conflict, once the client resolved
    /// again ([conflict-resolve-again]): there is nothing to decide again.
    CommitFailure {
        hidden: bool,
    },
    CommitConfirm {
        cx: ClientContext,
        /// The confirmed record, kept only when a PostConfirmation trigger will need it (boxed:
        /// the state is moved at every step).
        user: Option<Box<UserRecord>>,
    },
    PostConfirmation,
    Done,
}

/// The ConfirmSignUp operation.
pub struct ConfirmSignUp {
    req: ConfirmSignUpRequest,
    now: Timestamp,
    commits: u32,
    /// The conflicting commit was a hidden failure: once the client resolved again, the answer
    /// is CodeMismatchException, not a retry ([hide-same-work]).
    hidden_conflict: bool,
    state: State,
}

impl std::fmt::Debug for ConfirmSignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfirmSignUp")
            .field("req", &self.req)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

type Out = ConfirmSignUpResponse;

/// UserNotFoundException as the public operations word it.
fn user_not_found() -> Error {
    Error::new(Exception::UserNotFound, messages::USERNAME_CLIENT_NOT_FOUND)
}

fn validate(r: &ConfirmSignUpRequest) -> Result<(), Error> {
    let mut v = Violations::default();
    v.string(validate::C_CLIENT_ID, r.client_id.as_deref());
    v.string(validate::C_SECRET_HASH, r.secret_hash.as_deref());
    v.string(validate::C_USERNAME, r.username.as_deref());
    v.string(
        validate::C_CONFIRMATION_CODE,
        r.confirmation_code.as_deref(),
    );
    validate::context(
        &mut v,
        r.analytics_metadata.as_ref(),
        r.user_context_data.as_ref(),
    );
    validate::client_metadata(&mut v, r.client_metadata.as_ref());
    v.string(validate::C_SESSION, r.session.as_deref());
    v.finish()
}

impl ConfirmSignUp {
    /// A ConfirmSignUp at time `now`.
    #[must_use]
    pub fn new(request: ConfirmSignUpRequest, now: Timestamp) -> Self {
        Self {
            req: request,
            now,
            commits: 0,
            hidden_conflict: false,
            state: State::Done,
        }
    }

    fn username(&self) -> &str {
        self.req.username.as_deref().unwrap_or_default()
    }

    fn code(&self) -> &str {
        self.req.confirmation_code.as_deref().unwrap_or_default()
    }

    fn fail(&mut self, e: Error) -> Raw<Out> {
        self.state = State::Done;
        Raw::Done(Err(e))
    }

    fn find_user(&mut self, cx: ClientContext) -> Raw<Out> {
        let mut keys = lookup_keys(&cx.pool.pool, self.username());
        if cx.client.prevent_user_existence_errors == PreventUserExistenceErrors::Enabled {
            // [hide-same-work]: when no user matches, the store answers the decoy (see
            // `DECOY_SUB`).
            keys.push(IndexKey::decoy());
        }
        let need = Ask::Find {
            pool_id: Arc::clone(cx.pool.id()),
            keys,
        };
        self.state = State::FindUser(cx);
        Raw::Need(need)
    }

    /// The client resolved again after a conflict ([conflict-resolve-again]): a hidden
    /// failure answers CodeMismatchException; any other commit reads again with the pool as it
    /// is now, until the policy's budget is spent.
    fn again(&mut self, cx: ClientContext) -> Raw<Out> {
        if self.hidden_conflict {
            return self.fail(code_mismatch());
        }
        if let Err(e) = may_commit_again(self.commits, &cx.pool.pool) {
            return self.fail(e);
        }
        self.find_user(cx)
    }

    /// A commit answered `Conflict`: the client is resolved again first.
    fn conflict(&mut self, hidden: bool) -> Raw<Out> {
        self.hidden_conflict = hidden;
        gate_again(self)
    }

    fn commit(&mut self, cx: &ClientContext, commit: Commit) -> Raw<Out> {
        self.commits = self.commits.saturating_add(1);
        Raw::Need(Ask::Commit {
            pool_id: Arc::clone(cx.pool.id()),
            commit,
        })
    }

    /// The first ENABLED request for a missing user in a pool, before the pool has a decoy: the
    /// same cryptographic work as a real check, then a commit that creates the decoy (see
    /// `DECOY_SUB`), then CodeMismatchException.
    fn create_decoy(&mut self, cx: ClientContext) -> Raw<Out> {
        let (pool, keys) = (&cx.pool.pool, &cx.pool.code_keys);
        verify_decoy(keys, &pool.id, self.username(), self.code());
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: None,
                record: decoy_record(self.now),
            }],
            index: vec![IndexWrite {
                key: IndexKey::decoy(),
                expected: None,
                new: Some(DECOY_SUB.to_owned()),
            }],
        };
        let step = self.commit(&cx, commit);
        self.state = State::CommitFailure { hidden: true };
        step
    }

    /// A counted failure: the only change a rejected code makes. The record read is not needed
    /// any more: it becomes the new value (no copy).
    fn commit_failure(
        &mut self,
        cx: ClientContext,
        found: Versioned<UserRecord>,
        hidden: bool,
    ) -> Raw<Out> {
        let policy = &cx.pool.pool.sign_up_policy;
        let version = found.version;
        let mut rec = found.value;
        rec.failed_confirmations = record_in_window(
            &rec.failed_confirmations,
            self.now,
            policy.attempt_window,
            policy.failed_confirmations_per_window,
        );
        if let Some(c) = rec.code.as_mut() {
            // A present user's count is below the cap here; a hidden one's stops at it.
            let next = c.failed_checks.saturating_add(1);
            c.failed_checks = policy
                .failed_checks_per_code
                .map_or(next, |cap| next.min(cap));
        }
        let commit = Commit {
            removals: Vec::new(),
            records: vec![RecordWrite {
                expected_version: Some(version),
                record: rec,
            }],
            index: Vec::new(),
        };
        let step = self.commit(&cx, commit);
        self.state = State::CommitFailure { hidden };
        step
    }

    fn on_user(&mut self, cx: ClientContext, found: Option<Versioned<UserRecord>>) -> Raw<Out> {
        let enabled =
            cx.client.prevent_user_existence_errors == PreventUserExistenceErrors::Enabled;
        let Some(found) = found else {
            if enabled {
                return self.create_decoy(cx);
            }
            return self.fail(user_not_found());
        };
        let user = &found.value;
        // A user the answer must not tell apart from a missing one ([hide-same-work],
        // [hide-confirm-disabled], [hide-confirm-missing]): the decoy that stands for a missing
        // user (only ENABLED lookups reach it), or a disabled user under ENABLED. Such a user
        // takes the very path of a present user's wrong code, with every other answer held back,
        // so that the work, and with it the time, is the same.
        // The conditions below are combined without short cuts for the same reason.
        let decoy = user.is_decoy();
        let disabled = !user.enabled;
        if !enabled && (decoy || disabled) {
            return self.fail(if decoy {
                user_not_found()
            } else {
                Error::new(Exception::NotAuthorized, messages::USER_DISABLED)
            });
        }
        let hidden = decoy | disabled;
        let pool = &cx.pool.pool;
        let policy = &pool.sign_up_policy;
        let failures = count_in_window(&user.failed_confirmations, self.now, policy.attempt_window);
        if (failures >= policy.failed_confirmations_per_window) & !hidden {
            return self.fail(Error::new(
                Exception::LimitExceeded,
                messages::ATTEMPT_LIMIT,
            ));
        }
        if let (Some(cap), Some(code)) = (policy.failed_checks_per_code, &user.code) {
            if (code.failed_checks >= cap) & !hidden {
                return self.fail(Error::new(
                    Exception::TooManyFailedAttempts,
                    messages::TOO_MANY_FAILED_ATTEMPTS,
                ));
            }
        }
        if (user.status != UserStatus::Unconfirmed) & !hidden {
            return self.fail(cannot_confirm(user.status));
        }
        // Under LEGACY a code past its validity (or no code) is ExpiredCode whatever was sent
        // ([code-newest-only]). Under ENABLED the code is checked even then: ExpiredCode only for
        // the right code, a counted CodeMismatch for any other, as a missing name gets; a hidden
        // user's code is checked too (or, with no code, a tag bound to no code is).
        let expired = user
            .code
            .as_ref()
            .is_none_or(|p| self.now.since(p.issued_at) >= policy.code_validity);
        if expired & !enabled {
            return self.fail(Error::new(Exception::ExpiredCode, messages::EXPIRED_CODE));
        }
        let (tag, attribute) = match &user.code {
            Some(p) => (&p.tag, p.attribute),
            None => (&DECOY_TAG, VerifiableAttribute::Email),
        };
        // The decoy's check is over the name asked for: a present user's is over their stored
        // username, which is that name for a lookup by username.
        let name = [user.username.as_str(), self.username()][usize::from(decoy)];
        let verified = cx.pool.code_keys.verify(&pool.id, name, self.code(), tag);
        // A hidden user never confirms, whatever the code; an expired code never does.
        let proof = match verified {
            Some(proof) if !hidden & !expired => proof,
            Some(_) if !hidden => {
                return self.fail(Error::new(Exception::ExpiredCode, messages::EXPIRED_CODE));
            }
            _ => return self.commit_failure(cx, found, hidden),
        };
        let alias = attribute.as_alias();
        match user.verifiable(attribute) {
            Some(value) if pool.alias_attributes.contains(&alias) => {
                let key = alias_key(pool, alias, value);
                let need = Ask::Find {
                    pool_id: Arc::clone(cx.pool.id()),
                    keys: KeyList::one(key),
                };
                self.state = State::FindHolder {
                    cx,
                    user: Box::new(found),
                    attribute,
                    proof,
                };
                Raw::Need(need)
            }
            _ => self.commit_confirm(cx, found, attribute, None, proof),
        }
    }

    fn on_holder(
        &mut self,
        cx: ClientContext,
        user: Versioned<UserRecord>,
        attribute: VerifiableAttribute,
        holder: Option<Versioned<UserRecord>>,
        proof: CodeVerified,
    ) -> Raw<Out> {
        let taken = holder
            .as_ref()
            .is_some_and(|h| h.value.sub != user.value.sub);
        if taken && !self.req.force_alias_creation.unwrap_or(false) {
            // [alias-conflict]: nothing changes, the code stays live, no attempt is counted.
            return self.fail(Error::new(
                Exception::AliasExists,
                format!("An account with the {} already exists.", attribute.name()),
            ));
        }
        self.commit_confirm(cx, user, attribute, holder, proof)
    }

    /// The confirmation commit: status, verified attribute, alias (moved from its previous holder
    /// under ForceAliasCreation), code consumed. Requires the proof that the code was checked.
    fn commit_confirm(
        &mut self,
        cx: ClientContext,
        user: Versioned<UserRecord>,
        attribute: VerifiableAttribute,
        holder: Option<Versioned<UserRecord>>,
        proof: CodeVerified,
    ) -> Raw<Out> {
        let CodeVerified { .. } = proof;
        let pool = &cx.pool.pool;
        let mut rec = user.value;
        rec.status = UserStatus::Confirmed;
        rec.set_verified(attribute, true);
        rec.code = None;
        rec.last_modified = self.now;
        let mut index = Vec::new();
        // The previous holder's write, after the user's in the commit.
        let mut previous_write = None;
        let alias = attribute.as_alias();
        if let (true, Some(value)) = (
            pool.alias_attributes.contains(&alias),
            rec.verifiable(attribute),
        ) {
            let key: IndexKey = alias_key(pool, alias, value);
            match holder {
                None => index.push(IndexWrite {
                    key,
                    expected: None,
                    new: Some(rec.sub.to_string()),
                }),
                Some(h) if h.value.sub == rec.sub => {}
                Some(h) => {
                    let mut previous = h.value;
                    previous.set_verified(attribute, false);
                    previous.last_modified = self.now;
                    index.push(IndexWrite {
                        key,
                        expected: Some(previous.sub.to_string()),
                        new: Some(rec.sub.to_string()),
                    });
                    previous_write = Some(RecordWrite {
                        expected_version: Some(h.version),
                        record: previous,
                    });
                }
            }
        }
        let keep = pool
            .lambda_config
            .post_confirmation
            .is_some()
            .then(|| Box::new(rec.clone()));
        let mut records = Vec::with_capacity(2);
        records.push(RecordWrite {
            expected_version: Some(user.version),
            record: rec,
        });
        records.extend(previous_write);
        let commit = Commit {
            removals: Vec::new(),
            records,
            index,
        };
        let step = self.commit(&cx, commit);
        self.state = State::CommitConfirm { cx, user: keep };
        step
    }

    fn on_confirmed(&mut self, cx: ClientContext, user: Option<Box<UserRecord>>) -> Raw<Out> {
        let inv = user.and_then(|user| {
            post_confirmation(
                &cx.pool.pool,
                &user,
                Some(&cx.client.client_id),
                self.req.client_metadata.as_ref(),
            )
        });
        match inv {
            Some(inv) => {
                self.state = State::PostConfirmation;
                Raw::Need(Ask::Invoke(inv))
            }
            None => {
                self.state = State::Done;
                Raw::Done(Ok(ConfirmSignUpResponse {}))
            }
        }
    }
}

behind_gate!(
    ConfirmSignUp,
    Op::ConfirmSignUp,
    Bucket::UserCreation,
    find_user,
    again
);

impl Operation for ConfirmSignUp {
    type Output = ConfirmSignUpResponse;
}

impl Machine for ConfirmSignUp {
    fn client_id(&self) -> &str {
        self.req.client_id.as_deref().unwrap_or_default()
    }

    fn begin(&mut self) -> Raw<Out> {
        if let Err(e) = validate(&self.req) {
            return self.fail(e);
        }
        gate_start(self)
    }

    fn advance(&mut self, answer: Answer) -> Raw<Out> {
        // The state is matched first and the answer inside each arm: no (state, answer) pair is
        // built, which would copy the answer (a found record is its largest kind) once more.
        match std::mem::replace(&mut self.state, State::Done) {
            State::Gate(gate) => gate_step(self, gate, answer),
            State::FindUser(cx) => match answer {
                Answer::Found(found) => self.on_user(cx, found),
                answer => self.fail(unexpected(answer)),
            },
            State::FindHolder {
                cx,
                user,
                attribute,
                proof,
            } => match answer {
                Answer::Found(holder) => self.on_holder(cx, *user, attribute, holder, proof),
                answer => self.fail(unexpected(answer)),
            },
            State::CommitFailure { hidden } => match answer {
                Answer::Committed(CommitOutcome::Conflict) => self.conflict(hidden),
                Answer::Committed(CommitOutcome::Committed) => self.fail(code_mismatch()),
                answer => self.fail(unexpected(answer)),
            },
            State::CommitConfirm { cx, user } => match answer {
                Answer::Committed(CommitOutcome::Committed) => self.on_confirmed(cx, user),
                Answer::Committed(CommitOutcome::Conflict) => self.conflict(false),
                answer => self.fail(unexpected(answer)),
            },
            State::PostConfirmation => match answer {
                Answer::Lambda(reply) => {
                    // [trigger-post-confirmation]: the user is committed; a trigger failure is
                    // reported, not rolled back.
                    let result = returned_body(crate::protocol::Trigger::PostConfirmation, reply)
                        .and_then(|body| decode_post_confirmation(&body))
                        .map(|()| ConfirmSignUpResponse {});
                    Raw::Done(result)
                }
                answer => self.fail(unexpected(answer)),
            },
            State::Done => Raw::Done(Err(finished())),
        }
    }
}

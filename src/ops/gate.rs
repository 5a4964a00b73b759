//! The checks every operation makes before it looks at a user ([order-gate]): client or pool
//! lookup, operation enabled, request guard, throttle, SecretHash; and the lookup repeated after
//! a commit conflict ([conflict-resolve-again]).

use super::support::unexpected;
use crate::config::OperationName;
use crate::error::{Error, Exception, messages};
use crate::protocol::machine::{Answer, Ask, Raw};
use crate::protocol::{
    Bucket, ClientContext, GuardRequest, GuardVerdict, PoolContext, ThrottleRequest,
};
use crate::time::Timestamp;
use crate::types::UserContextData;
use std::sync::Arc;

/// What a gate does next.
pub(crate) enum Gated<T> {
    Need(Ask),
    Pass(T),
    /// The client or pool resolved again after a commit conflict ([conflict-resolve-again]).
    Again(T),
    Fail(Error),
}

/// A public operation behind a [`PublicGate`]: where it keeps the gate while the gate waits
/// for an answer, how it fails, and what it does once the gate passes. [`gate_step`] is the
/// skeleton they share; each operation holds only its own decisions.
pub(crate) trait BehindGate {
    /// The operation's response.
    type Out;
    /// The operation's gate, at its start.
    fn new_gate(&self) -> PublicGate;
    /// What the gate reads of the request, lent at every step.
    fn asked(&self) -> Asked<'_>;
    /// Keeps the gate as the operation's state while it waits.
    fn keep_gate(&mut self, gate: PublicGate);
    /// Ends the operation with `e`.
    fn gate_failed(&mut self, e: Error) -> Raw<Self::Out>;
    /// The operation's body, once the gate passed.
    fn gate_passed(&mut self, cx: ClientContext) -> Raw<Self::Out>;
    /// The operation's retry, once its client resolved again after a commit conflict
    /// ([conflict-resolve-again]): `cx` is the client and pool as they are now.
    fn gate_again(&mut self, cx: ClientContext) -> Raw<Self::Out>;
}

/// Implements [`BehindGate`] for a public operation, the same six methods for each: the
/// operation has a request `req` (with `secret_hash` and `user_context_data`), a time `now`, a
/// `state` with a `State::Gate` variant, an `Out` type, `client_id`, `username` and `fail`
/// methods, `$passed`, its body once the gate passed, and `$again`, its retry once the client
/// resolved again after a commit conflict. Its gate is for `$operation` and takes from `$bucket`.
macro_rules! behind_gate {
    ($op:ty, $operation:expr, $bucket:expr, $passed:ident, $again:ident) => {
        impl $crate::ops::gate::BehindGate for $op {
            type Out = Out;
            fn new_gate(&self) -> $crate::ops::gate::PublicGate {
                $crate::ops::gate::PublicGate::new($operation, $bucket, self.now)
            }
            fn asked(&self) -> $crate::ops::gate::Asked<'_> {
                $crate::ops::gate::Asked {
                    client_id: self.client_id(),
                    username: self.username(),
                    secret_hash: self.req.secret_hash.as_deref(),
                    user_context_data: self.req.user_context_data.as_ref(),
                }
            }
            fn keep_gate(&mut self, gate: $crate::ops::gate::PublicGate) {
                self.state = State::Gate(gate);
            }
            fn gate_failed(&mut self, e: Error) -> Raw<Out> {
                self.fail(e)
            }
            fn gate_passed(&mut self, cx: ClientContext) -> Raw<Out> {
                self.$passed(cx)
            }
            fn gate_again(&mut self, cx: ClientContext) -> Raw<Out> {
                self.$again(cx)
            }
        }
    };
}
pub(crate) use behind_gate;

/// Starts the gate: its first ask is the operation's.
pub(crate) fn gate_start<M: BehindGate>(op: &mut M) -> Raw<M::Out> {
    let gate = op.new_gate();
    let g = gate.start();
    gate_next(op, gate, g)
}

/// Resumes the gate with `answer` (taken by value and passed on as it came, not wrapped):
/// the gate's ask is the operation's, its failure ends the operation, its pass enters the
/// operation's body.
pub(crate) fn gate_step<M: BehindGate>(
    op: &mut M,
    mut gate: PublicGate,
    answer: Answer,
) -> Raw<M::Out> {
    let g = gate.resume(answer, &op.asked());
    gate_next(op, gate, g)
}

/// After a commit answered `Conflict` ([conflict-resolve-again]): asks for the operation's
/// client once more (the same [`Ask::Client`] the gate starts with), keeping a gate that waits
/// for it as the operation's state. A client that no longer resolves ends the operation with the
/// ResourceNotFoundException an operation starting now gets ([client-not-found]); one that does
/// enters [`BehindGate::gate_again`]. Nothing else of the gate is repeated: the request was
/// admitted (enabled, guard, throttle, SecretHash) when it started.
pub(crate) fn gate_again<M: BehindGate>(op: &mut M) -> Raw<M::Out> {
    let mut gate = op.new_gate();
    gate.state = PublicState::Again;
    op.keep_gate(gate);
    Raw::Need(Ask::Client)
}

#[inline(always)]
fn gate_next<M: BehindGate>(op: &mut M, gate: PublicGate, g: Gated<ClientContext>) -> Raw<M::Out> {
    op.keep_gate(gate);
    match g {
        Gated::Need(n) => Raw::Need(n),
        Gated::Fail(e) => op.gate_failed(e),
        Gated::Pass(cx) => op.gate_passed(cx),
        Gated::Again(cx) => op.gate_again(cx),
    }
}

enum PublicState {
    Client,
    Guard(ClientContext),
    Throttle(ClientContext),
    /// The client asked for again after a commit conflict.
    Again,
    Done,
}

/// [client-not-found], as an operation starting now gets it.
fn client_not_found(client_id: &str) -> Error {
    Error::new(
        Exception::ResourceNotFound,
        format!("User pool client {client_id} does not exist."),
    )
}

/// [pool-not-found], as an operation starting now gets it.
fn pool_not_found(pool_id: &str) -> Error {
    Error::new(
        Exception::ResourceNotFound,
        format!("User pool {pool_id} does not exist."),
    )
}

/// What the gate reads of the request, lent by the operation that holds it at every step.
pub(crate) struct Asked<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) username: &'a str,
    pub(crate) secret_hash: Option<&'a str>,
    pub(crate) user_context_data: Option<&'a UserContextData>,
}

/// The gate of public operations: client, enabled, guard, throttle, SecretHash.
pub(crate) struct PublicGate {
    operation: OperationName,
    bucket: Bucket,
    now: Timestamp,
    state: PublicState,
}

impl PublicGate {
    pub(crate) fn new(operation: OperationName, bucket: Bucket, now: Timestamp) -> Self {
        Self {
            operation,
            bucket,
            now,
            state: PublicState::Client,
        }
    }

    /// The client lookup: the operation lends its `ClientId` ([`Machine::client_id`]).
    ///
    /// [`Machine::client_id`]: crate::protocol::machine::Machine::client_id
    pub(crate) fn start(&self) -> Gated<ClientContext> {
        Gated::Need(Ask::Client)
    }

    #[inline(always)]
    pub(crate) fn resume(&mut self, answer: Answer, asked: &Asked<'_>) -> Gated<ClientContext> {
        // The state is matched first and the answer inside each arm: no (state, answer) pair is
        // built, which would copy the answer once more.
        match std::mem::replace(&mut self.state, PublicState::Done) {
            PublicState::Client => match answer {
                Answer::Client(None) => Gated::Fail(client_not_found(asked.client_id)),
                Answer::Client(Some(cx)) => {
                    if cx.pool.pool.disabled_operations.contains(&self.operation) {
                        return Gated::Fail(Error::new(
                            Exception::OperationNotEnabled,
                            messages::OPERATION_NOT_ENABLED,
                        ));
                    }
                    let need = Ask::Guard(GuardRequest {
                        operation: self.operation,
                        pool_id: Arc::clone(cx.pool.id()),
                        client_id: Arc::clone(cx.id()),
                        user_context_data: asked.user_context_data.cloned(),
                    });
                    self.state = PublicState::Guard(cx);
                    Gated::Need(need)
                }
                answer => Gated::Fail(unexpected(answer)),
            },
            PublicState::Guard(cx) => match answer {
                Answer::Guard(GuardVerdict::Block) => {
                    Gated::Fail(Error::new(Exception::Forbidden, messages::WAF_BLOCK))
                }
                Answer::Guard(GuardVerdict::Allow) => {
                    let need = throttle(&cx.pool, self.bucket, self.now);
                    self.state = PublicState::Throttle(cx);
                    Gated::Need(need)
                }
                answer => Gated::Fail(unexpected(answer)),
            },
            PublicState::Throttle(cx) => match answer {
                Answer::Throttle(false) => Gated::Fail(Error::new(
                    Exception::TooManyRequests,
                    messages::RATE_EXCEEDED,
                )),
                Answer::Throttle(true) => {
                    match check_secret_hash(&cx, asked.client_id, asked.username, asked.secret_hash)
                    {
                        Ok(()) => Gated::Pass(cx),
                        Err(e) => Gated::Fail(e),
                    }
                }
                answer => Gated::Fail(unexpected(answer)),
            },
            PublicState::Again => match answer {
                Answer::Client(None) => Gated::Fail(client_not_found(asked.client_id)),
                Answer::Client(Some(cx)) => Gated::Again(cx),
                answer => Gated::Fail(unexpected(answer)),
            },
            PublicState::Done => Gated::Fail(unexpected(answer)),
        }
    }
}

fn throttle(pool: &PoolContext, bucket: Bucket, now: Timestamp) -> Ask {
    let p = &pool.pool.sign_up_policy;
    let (rate, burst) = match bucket {
        Bucket::UserCreation => (p.user_creation_rate, p.user_creation_burst),
        Bucket::ResendConfirmationCode => (p.resend_rate, p.resend_burst),
    };
    Ask::Throttle(ThrottleRequest {
        pool_id: Arc::clone(pool.id()),
        bucket,
        rate,
        burst,
        now,
    })
}

/// The SecretHash rules of [secret-hash].
fn check_secret_hash(
    cx: &ClientContext,
    client_id: &str,
    username: &str,
    submitted: Option<&str>,
) -> Result<(), Error> {
    match (&cx.client.client_secret, submitted) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(Error::new(
            Exception::InvalidParameter,
            format!(
                "App client {client_id} is not configured for secret but secret hash was received"
            ),
        )),
        (Some(_), None) => Err(Error::new(
            Exception::NotAuthorized,
            format!("Client {client_id} is configured for secret but secret was not received"),
        )),
        (Some(_), Some(hash)) => {
            if cx.client.verify_secret_hash(username, client_id, hash) {
                Ok(())
            } else {
                Err(Error::new(
                    Exception::NotAuthorized,
                    format!("Unable to verify secret hash for client {client_id}"),
                ))
            }
        }
    }
}

enum AdminState {
    Pool,
    Throttle(Arc<PoolContext>),
    /// The pool asked for again after a commit conflict.
    Again,
    Done,
}

/// The gate of admin operations: pool, enabled, and (for AdminConfirmSignUp) the throttle.
pub(crate) struct AdminGate {
    operation: OperationName,
    bucket: Option<Bucket>,
    pool_id: String,
    now: Timestamp,
    state: AdminState,
}

impl AdminGate {
    pub(crate) fn new(
        operation: OperationName,
        bucket: Option<Bucket>,
        pool_id: &str,
        now: Timestamp,
    ) -> Self {
        Self {
            operation,
            bucket,
            pool_id: pool_id.to_owned(),
            now,
            state: AdminState::Pool,
        }
    }

    pub(crate) fn start(&self) -> Gated<Arc<PoolContext>> {
        Gated::Need(Ask::Pool {
            pool_id: self.pool_id.clone(),
        })
    }

    /// After a commit answered `Conflict` ([conflict-resolve-again]): the pool once more (the
    /// same [`Ask::Pool`] as [`AdminGate::start`]). A pool that no longer resolves is
    /// [pool-not-found]; one that does is [`Gated::Again`]. The enabled check and the throttle
    /// are not repeated: the request was admitted when it started.
    pub(crate) fn again(&mut self) -> Gated<Arc<PoolContext>> {
        self.state = AdminState::Again;
        self.start()
    }

    pub(crate) fn resume(&mut self, answer: Answer) -> Gated<Arc<PoolContext>> {
        match (std::mem::replace(&mut self.state, AdminState::Done), answer) {
            (AdminState::Pool | AdminState::Again, Answer::Pool(None)) => {
                Gated::Fail(pool_not_found(&self.pool_id))
            }
            (AdminState::Again, Answer::Pool(Some(pool))) => Gated::Again(pool),
            (AdminState::Pool, Answer::Pool(Some(pool))) => {
                if pool.pool.disabled_operations.contains(&self.operation) {
                    return Gated::Fail(Error::new(
                        Exception::OperationNotEnabled,
                        messages::OPERATION_NOT_ENABLED,
                    ));
                }
                match self.bucket {
                    None => Gated::Pass(pool),
                    Some(bucket) => {
                        let need = throttle(&pool, bucket, self.now);
                        self.state = AdminState::Throttle(pool);
                        Gated::Need(need)
                    }
                }
            }
            (AdminState::Throttle(_), Answer::Throttle(false)) => Gated::Fail(Error::new(
                Exception::TooManyRequests,
                messages::RATE_EXCEEDED,
            )),
            (AdminState::Throttle(pool), Answer::Throttle(true)) => Gated::Pass(pool),
            (_, answer) => Gated::Fail(unexpected(answer)),
        }
    }
}

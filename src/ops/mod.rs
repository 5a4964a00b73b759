//! The sans-IO core: every operation is a state machine that says what it needs next and is
//! resumed with the answer.
//!
//! An operation is created with its request and the time (`now`, read once by whoever drives it)
//! and, for SignUp and ResendConfirmationCode, a [`Seed`](crate::Seed). Then:
//!
//! ```text
//! let mut step = op.start();
//! loop {
//!     match step {
//!         Step::Done(result) => break result,
//!         Step::Need(need) => step = op.resume(answer_to(need)),
//!     }
//! }
//! ```
//!
//! Each [`Need`] is answered by the [`Answer`] variant named in its documentation; any other
//! answer is a host bug and ends the operation with InternalErrorException. The core never does
//! I/O, never reads a clock and never draws randomness: given the same request, time, seed and
//! answers, it asks the same questions and reaches the same result.

mod admin;
mod confirm;
mod gate;
mod resend;
mod sign_up;
mod support;

pub use admin::{
    AdminConfirmSignUp, AdminDisableUser, AdminEnableUser, AdminGetUser, admin_get_user_response,
};
pub use confirm::ConfirmSignUp;
pub use resend::ResendConfirmationCode;
pub use sign_up::SignUp;

use crate::error::{Error, HostError};
use crate::host::{
    ClientContext, GuardRequest, GuardVerdict, HiddenResendRequest, LambdaInvocation, LambdaReply,
    Message, PoolContext, ThrottleRequest,
};
use crate::store::{Commit, CommitOutcome, IndexKey, Versioned};
use crate::user::UserRecord;
use std::fmt;
use std::sync::Arc;

/// What an operation needs next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Need {
    /// The app client with this id and its pool: answer [`Answer::Client`].
    Client {
        /// `ClientId`
        client_id: String,
    },
    /// The pool with this id: answer [`Answer::Pool`].
    Pool {
        /// `UserPoolId`
        pool_id: String,
    },
    /// The request guard's verdict: answer [`Answer::Guard`].
    Guard(GuardRequest),
    /// A token from a rate bucket: answer [`Answer::Throttle`].
    Throttle(ThrottleRequest),
    /// The user held by the first present key ([`UserStore::find`](crate::UserStore::find)):
    /// answer [`Answer::Found`].
    ///
    /// For [`SignUp`], the resume that answers its first Find is **CPU-heavy**: it hashes the
    /// password (argon2id, tens of milliseconds of one core with the default parameters) through
    /// the operation's [`PasswordHasher`](crate::PasswordHasher), which bounds how many hashes
    /// run at once. An async host runs that resume on a blocking pool (`spawn_blocking`, or
    /// `block_in_place`); every other resume takes microseconds.
    Find {
        /// The pool.
        pool_id: String,
        /// The keys, in order.
        keys: Vec<IndexKey>,
    },
    /// An atomic commit ([`UserStore::commit`](crate::UserStore::commit)): answer
    /// [`Answer::Committed`].
    Commit {
        /// The pool.
        pool_id: String,
        /// Everything the operation changes.
        commit: Commit,
    },
    /// A Lambda trigger invocation: answer [`Answer::Lambda`].
    Invoke(LambdaInvocation),
    /// A message delivery: answer [`Answer::Delivered`].
    Deliver(Message),
    /// A resend of a name that must look present under ENABLED (missing or disabled), to be
    /// counted against the pool's table of such resends
    /// ([`HiddenResendLimiter`](crate::host::HiddenResendLimiter)): answer
    /// [`Answer::HiddenResend`].
    HiddenResend(HiddenResendRequest),
}

impl Need {
    /// What kind of need this is, for logs and metrics: the variant's name in snake case, one
    /// of `"client"`, `"pool"`, `"guard"`, `"throttle"`, `"find"`, `"commit"`, `"invoke"`,
    /// `"deliver"` and `"hidden_resend"`. The strings are stable: a new variant adds a string,
    /// none is renamed. Nothing of the request is in them.
    ///
    /// ```
    /// # use cognito_signup::Need;
    /// let need = Need::Pool { pool_id: "us-east-1_Example".to_owned() };
    /// assert_eq!(need.kind(), "pool");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Need::Client { .. } => "client",
            Need::Pool { .. } => "pool",
            Need::Guard(_) => "guard",
            Need::Throttle(_) => "throttle",
            Need::Find { .. } => "find",
            Need::Commit { .. } => "commit",
            Need::Invoke(_) => "invoke",
            Need::Deliver(_) => "deliver",
            Need::HiddenResend(_) => "hidden_resend",
        }
    }
}

/// The host's answer to a [`Need`].
// Each answer is moved once into `resume`; boxing the found record would add an allocation to
// every lookup.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
pub enum Answer {
    /// To [`Need::Client`].
    Client(Option<ClientContext>),
    /// To [`Need::Pool`].
    Pool(Option<Arc<PoolContext>>),
    /// To [`Need::Guard`].
    Guard(GuardVerdict),
    /// To [`Need::Throttle`]: whether a token was taken.
    Throttle(bool),
    /// To [`Need::Find`].
    Found(Option<Versioned<UserRecord>>),
    /// To [`Need::Commit`].
    Committed(CommitOutcome),
    /// To [`Need::Invoke`].
    Lambda(LambdaReply),
    /// To [`Need::Deliver`]: `Err` is the delivery failure.
    Delivered(Result<(), HostError>),
    /// To [`Need::HiddenResend`]: whether the resend was within the limits (and recorded).
    HiddenResend(bool),
    /// To any need whose host call failed (directory or store): the operation answers
    /// InternalErrorException with this as its source.
    HostFailed(HostError),
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Client(_) => "Answer::Client",
            Answer::Pool(_) => "Answer::Pool",
            Answer::Guard(_) => "Answer::Guard",
            Answer::Throttle(_) => "Answer::Throttle",
            Answer::Found(_) => "Answer::Found",
            Answer::Committed(_) => "Answer::Committed",
            Answer::Lambda(_) => "Answer::Lambda",
            Answer::Delivered(_) => "Answer::Delivered",
            Answer::HiddenResend(_) => "Answer::HiddenResend",
            Answer::HostFailed(_) => "Answer::HostFailed",
        })
    }
}

/// The next step of an operation.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// The operation needs this answered.
    Need(Need),
    /// The operation is over.
    Done(Result<T, Error>),
}

/// An operation of the sans-IO core.
pub trait Operation {
    /// The response on success.
    type Output;

    /// The first step.
    fn start(&mut self) -> Step<Self::Output>;

    /// The next step, given the answer to the last [`Need`]. Resuming a finished operation
    /// answers InternalErrorException.
    fn resume(&mut self, answer: Answer) -> Step<Self::Output>;
}

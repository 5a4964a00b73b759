//! The operations' internal stepping: what an operation asks ([`Ask`]), what it is resumed with
//! ([`Answer`]) and the trait every operation's state machine implements ([`Machine`]).
//!
//! None of this is reachable from outside the crate: the host steps an operation only through
//! the typed continuations of [`Need`](super::Need), each of which builds the one [`Answer`]
//! its request takes. So an answer of the wrong kind, or a resume before the start or after the
//! end, cannot be written.

use super::Operation;
use crate::error::{Error, HostError};
use crate::protocol::{
    ClientContext, GuardRequest, GuardVerdict, HiddenResendRequest, LambdaInvocation, LambdaReply,
    Message, PoolContext, ThrottleRequest,
};
use crate::protocol::{Commit, CommitOutcome, KeyList, Versioned};
use crate::user::{PasswordHash, UserRecord};
use std::fmt;
use std::sync::Arc;

/// What an operation asks next; [`Step::lift`](super::Step) turns it into a typed [`Need`](super::Need).
pub enum Ask {
    /// The client the request names: [`Machine::client_id`].
    Client,
    Pool {
        pool_id: String,
    },
    Guard(GuardRequest),
    Throttle(ThrottleRequest),
    Find {
        pool_id: Arc<str>,
        keys: KeyList,
    },
    Commit {
        pool_id: Arc<str>,
        commit: Commit,
    },
    Invoke(LambdaInvocation),
    Deliver(Message),
    HiddenResend(HiddenResendRequest),
    /// Hash this password with this salt.
    Hash {
        password: String,
        salt: [u8; 16],
    },
}

/// The answer an operation is resumed with. Built only by the continuations of
/// [`Need`](super::Need), each with the variant of its own request.
// Each answer is moved once into `advance`; boxing the found record would add an allocation to
// every lookup.
#[allow(clippy::large_enum_variant)]
pub enum Answer {
    Client(Option<ClientContext>),
    Pool(Option<Arc<PoolContext>>),
    Guard(GuardVerdict),
    Throttle(bool),
    Found(Option<Versioned<UserRecord>>),
    Committed(CommitOutcome),
    Lambda(LambdaReply),
    Delivered(Result<(), HostError>),
    HiddenResend(bool),
    /// The password hash, or why it could not be made (a saturated hasher:
    /// TooManyRequestsException).
    Hashed(Result<PasswordHash, Error>),
    /// The host call that answers the need failed: InternalErrorException with this source.
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
            Answer::Hashed(_) => "Answer::Hashed",
            Answer::HostFailed(_) => "Answer::HostFailed",
        })
    }
}

impl fmt::Debug for Ask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ask::Client => f.write_str("Client"),
            Ask::Pool { pool_id } => f.debug_struct("Pool").field("pool_id", pool_id).finish(),
            Ask::Guard(r) => f.debug_tuple("Guard").field(r).finish(),
            Ask::Throttle(r) => f.debug_tuple("Throttle").field(r).finish(),
            Ask::Find { pool_id, keys } => f
                .debug_struct("Find")
                .field("pool_id", pool_id)
                .field("keys", keys)
                .finish(),
            Ask::Commit { pool_id, commit } => f
                .debug_struct("Commit")
                .field("pool_id", pool_id)
                .field("commit", commit)
                .finish(),
            Ask::Invoke(i) => f.debug_tuple("Invoke").field(i).finish(),
            Ask::Deliver(m) => f.debug_tuple("Deliver").field(m).finish(),
            Ask::HiddenResend(r) => f.debug_tuple("HiddenResend").field(r).finish(),
            // Neither the password nor its salt.
            Ask::Hash { .. } => f.debug_struct("Hash").finish_non_exhaustive(),
        }
    }
}

/// An operation's next step before it is given its typed continuation.
#[derive(Debug)]
pub enum Raw<T> {
    Need(Ask),
    Done(Result<T, Error>),
}

/// The state machine of an operation: sealed, so that only the crate's operations are
/// [`Operation`]s and only its continuations resume them.
pub trait Machine {
    /// The first step.
    fn begin(&mut self) -> Raw<<Self as Operation>::Output>
    where
        Self: Operation;

    /// The next step, given the answer to the last ask. The continuations guarantee that the
    /// answer is of the kind the ask takes and that it comes after `begin` and before the end.
    fn advance(&mut self, answer: Answer) -> Raw<<Self as Operation>::Output>
    where
        Self: Operation;

    /// The `ClientId` of the request, lent to [`Need::Client`](super::Need::Client) (which an
    /// operation asks only with a client id): empty for operations that name no client.
    fn client_id(&self) -> &str {
        ""
    }
}

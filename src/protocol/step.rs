//! The public stepping API: [`Operation::start`], [`Step`], [`Need`] and one typed continuation
//! per kind of need.

use super::machine::{Answer, Ask, Machine, Raw};
use crate::error::{Error, HostError};
use crate::password::{HashPermit, PasswordHasher};
use crate::protocol::{
    ClientContext, GuardRequest, GuardVerdict, HiddenResendRequest, LambdaInvocation, LambdaReply,
    Message, PoolContext, ThrottleRequest,
};
use crate::protocol::{Commit, CommitOutcome, IndexKey, KeyList, Versioned};
use crate::user::UserRecord;
use std::fmt;
use std::sync::Arc;

/// An operation of the sans-IO core: [`SignUp`](crate::ops::SignUp),
/// [`ConfirmSignUp`](crate::ops::ConfirmSignUp) and the others of [`ops`](crate::ops), and the
/// wire layer's `WireOperation`.
///
/// The trait is sealed: the crate's operations are its only implementations. An operation is
/// consumed by [`start`](Self::start); from then on it lives inside the continuation of its
/// current [`Need`], which is consumed in turn by the answer. So there is no way to resume an
/// operation before it started, after it finished, or twice with the same need.
///
/// ```compile_fail
/// # use cognito_signup::{ops::ConfirmSignUp, ConfirmSignUpRequest, Timestamp, Operation};
/// let op = ConfirmSignUp::new(ConfirmSignUpRequest::default(), Timestamp::from_secs(0));
/// let _first = op.start();
/// // `start` consumed the operation: there is nothing left to start again or to resume.
/// let _again = op.start();
/// ```
///
/// Nor is there a `resume` to call before `start`: an operation is stepped only through the
/// continuations its steps hand out, and a finished step ([`Step::Done`]) holds none.
///
/// ```compile_fail
/// # use cognito_signup::{ops::ConfirmSignUp, ConfirmSignUpRequest, Timestamp, Operation};
/// let mut op = ConfirmSignUp::new(ConfirmSignUpRequest::default(), Timestamp::from_secs(0));
/// let _ = op.resume();
/// ```
pub trait Operation: Machine + Sized + Send + 'static {
    /// The response on success.
    type Output: Send + 'static;

    /// The first step. Cheap: no step of any operation is CPU-heavy except the answer to a
    /// [`Need::Hash`].
    ///
    /// The operation is boxed here, once (its one allocation on this path): every continuation
    /// after it holds the box, so a step moves a pointer and the request of the need, never the
    /// operation itself (a ConfirmSignUp is several hundred bytes), and a future that holds a
    /// [`Step`] across an `.await` stays small.
    fn start(self) -> Step<Self> {
        let mut op = Box::new(self);
        let raw = op.begin();
        Step::lift(op, raw)
    }
}

/// The next step of an operation: a need to answer, or the operation's result.
#[must_use = "an operation does nothing until its needs are answered"]
pub enum Step<O: Operation> {
    /// The operation needs this answered.
    Need(Need<O>),
    /// The operation is over.
    Done(Result<O::Output, Error>),
}

impl<O: Operation> fmt::Debug for Step<O>
where
    O::Output: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Need(need) => f.debug_tuple("Need").field(need).finish(),
            Step::Done(result) => f.debug_tuple("Done").field(result).finish(),
        }
    }
}

impl<O: Operation> Step<O> {
    /// Gives the operation's ask its typed continuation.
    #[inline(always)]
    pub(crate) fn lift(op: Box<O>, raw: Raw<O::Output>) -> Self {
        let need = match raw {
            Raw::Done(result) => return Step::Done(result),
            Raw::Need(Ask::Client) => Need::Client(LookUpClient { op }),
            Raw::Need(Ask::Pool { pool_id }) => Need::Pool(LookUpPool { op, pool_id }),
            Raw::Need(Ask::Guard(request)) => Need::Guard(CheckGuard { op, request }),
            Raw::Need(Ask::Throttle(request)) => Need::Throttle(TakeToken { op, request }),
            Raw::Need(Ask::Find { pool_id, keys }) => Need::Find(FindUser { op, pool_id, keys }),
            Raw::Need(Ask::Commit { pool_id, commit }) => Need::Commit(CommitChanges {
                op,
                pool_id,
                commit,
            }),
            Raw::Need(Ask::Invoke(invocation)) => Need::Invoke(InvokeLambda { op, invocation }),
            Raw::Need(Ask::Deliver(message)) => Need::Deliver(DeliverMessage { op, message }),
            Raw::Need(Ask::HiddenResend(request)) => {
                Need::HiddenResend(CountHiddenResend { op, request })
            }
            Raw::Need(Ask::Hash { password, salt }) => Need::Hash(HashPassword {
                op,
                password: Secret(password),
                salt,
            }),
        };
        Step::Need(need)
    }
}

/// Resumes `op` with `answer` and gives its next ask a continuation.
#[inline(always)]
fn resume<O: Operation>(mut op: Box<O>, answer: Answer) -> Step<O> {
    let raw = op.advance(answer);
    Step::lift(op, raw)
}

/// What an operation needs next. Each variant holds a continuation that owns the suspended
/// operation (boxed: see [`Operation::start`]), shows the request by reference and takes the one kind of answer the request
/// takes: giving a need the wrong kind of answer does not compile.
///
/// ```compile_fail
/// # use cognito_signup::{ops::Need, store::CommitOutcome, ops::ConfirmSignUp};
/// fn answer(need: Need<ConfirmSignUp>) {
///     if let Need::Find(find) = need {
///         // A Find takes the user found, not a commit's outcome.
///         let _ = find.answer(CommitOutcome::Committed);
///     }
/// }
/// ```
///
/// A continuation is consumed by its answer, so a need is answered once:
///
/// ```compile_fail
/// # use cognito_signup::{ops::Need, ops::ConfirmSignUp};
/// fn answer(need: Need<ConfirmSignUp>) {
///     if let Need::Find(find) = need {
///         let _ = find.answer(None);
///         let _ = find.answer(None);
///     }
/// }
/// ```
///
/// Every answer is cheap (microseconds) except [`Need::Hash`]'s, which is **CPU-heavy**.
#[non_exhaustive]
pub enum Need<O> {
    /// The app client with this id and its pool ([`Directory::client`](crate::Directory::client)).
    /// Asked first, and again after a commit that answered `Conflict` (the client may have gone
    /// with its pool meanwhile: `docs/behaviour.md` [conflict-resolve-again]).
    Client(LookUpClient<O>),
    /// The pool with this id ([`Directory::pool`](crate::Directory::pool)). Asked first by the
    /// admin operations, and again after a commit that answered `Conflict`.
    Pool(LookUpPool<O>),
    /// The request guard's verdict ([`RequestGuard::check`](crate::RequestGuard::check)).
    Guard(CheckGuard<O>),
    /// A token from a rate bucket ([`RateLimiter::try_acquire`](crate::RateLimiter::try_acquire)).
    Throttle(TakeToken<O>),
    /// The user held by the first present key ([`UserStore::find`](crate::UserStore::find)).
    Find(FindUser<O>),
    /// An atomic commit ([`UserStore::commit`](crate::UserStore::commit)).
    Commit(CommitChanges<O>),
    /// A Lambda trigger invocation ([`LambdaInvoker::invoke`](crate::LambdaInvoker::invoke)).
    Invoke(InvokeLambda<O>),
    /// A message delivery ([`Delivery::deliver`](crate::Delivery::deliver)).
    Deliver(DeliverMessage<O>),
    /// A resend of a name that must look present under ENABLED (missing or disabled), to be
    /// counted against the pool's table of such resends
    /// ([`HiddenResendLimiter::try_record`](crate::HiddenResendLimiter::try_record)).
    HiddenResend(CountHiddenResend<O>),
    /// SignUp's password hash: **CPU-heavy** (argon2id, tens of milliseconds of one core with
    /// the default parameters). See [`HashPassword`].
    Hash(HashPassword<O>),
}

impl<O> Need<O> {
    /// What kind of need this is, for logs and metrics: the variant's name in snake case, one
    /// of `"client"`, `"pool"`, `"guard"`, `"throttle"`, `"find"`, `"commit"`, `"invoke"`,
    /// `"deliver"`, `"hidden_resend"` and `"hash"`. The strings are stable: a new variant adds
    /// a string, none is renamed. Nothing of the request is in them.
    ///
    /// ```
    /// # use cognito_signup::{ops::{ConfirmSignUp, Need}, ConfirmSignUpRequest, Operation, Step, Timestamp};
    /// let request = ConfirmSignUpRequest {
    ///     client_id: Some("exampleclient".into()),
    ///     username: Some("alice".into()),
    ///     confirmation_code: Some("123456".into()),
    ///     ..Default::default()
    /// };
    /// let Step::Need(need) = ConfirmSignUp::new(request, Timestamp::from_secs(0)).start() else {
    ///     unreachable!("a well-formed request first looks up its client")
    /// };
    /// assert_eq!(need.kind(), "client");
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Need::Client(_) => "client",
            Need::Pool(_) => "pool",
            Need::Guard(_) => "guard",
            Need::Throttle(_) => "throttle",
            Need::Find(_) => "find",
            Need::Commit(_) => "commit",
            Need::Invoke(_) => "invoke",
            Need::Deliver(_) => "deliver",
            Need::HiddenResend(_) => "hidden_resend",
            Need::Hash(_) => "hash",
        }
    }
}

impl<O: Operation> Need<O> {
    /// Ends the operation with InternalErrorException whose source is `error`, whatever the
    /// need: for a need the host cannot serve (`Need` is `#[non_exhaustive]`, so a host
    /// written against this version meets later needs in its catch-all arm).
    pub fn fail(self, error: HostError) -> Step<O> {
        let op = match self {
            Need::Client(n) => n.op,
            Need::Pool(n) => n.op,
            Need::Guard(n) => n.op,
            Need::Throttle(n) => n.op,
            Need::Find(n) => n.op,
            Need::Commit(n) => n.op,
            Need::Invoke(n) => n.op,
            Need::Deliver(n) => n.op,
            Need::HiddenResend(n) => n.op,
            Need::Hash(n) => n.op,
        };
        resume(op, Answer::HostFailed(error))
    }
}

impl<O: Operation> fmt::Debug for Need<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::Client(n) => n.fmt(f),
            Need::Pool(n) => n.fmt(f),
            Need::Guard(n) => n.fmt(f),
            Need::Throttle(n) => n.fmt(f),
            Need::Find(n) => n.fmt(f),
            Need::Commit(n) => n.fmt(f),
            Need::Invoke(n) => n.fmt(f),
            Need::Deliver(n) => n.fmt(f),
            Need::HiddenResend(n) => n.fmt(f),
            Need::Hash(n) => n.fmt(f),
        }
    }
}

/// A continuation: the suspended operation and the request, with `Debug` showing the request
/// only (whose own `Debug` redacts codes, secrets and addresses).
macro_rules! continuation {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* }) => {
        $(#[$doc])*
        #[must_use = "the operation waits inside until this is answered"]
        pub struct $name<O> {
            op: Box<O>,
            $($field: $ty,)*
        }

        impl<O> fmt::Debug for $name<O> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

/// `fail` and `answer_result` for the needs whose host call can fail.
macro_rules! fallible {
    ($name:ident, $answer:ty) => {
        impl<O: Operation> $name<O> {
            /// The host call failed: ends the operation with InternalErrorException whose source
            /// is `error`.
            pub fn fail(self, error: HostError) -> Step<O> {
                resume(self.op, Answer::HostFailed(error))
            }

            /// [`answer`](Self::answer) for `Ok`, [`fail`](Self::fail) for `Err`: the host
            /// call's result as it comes.
            pub fn answer_result(self, result: Result<$answer, HostError>) -> Step<O> {
                match result {
                    Ok(value) => self.answer(value),
                    Err(error) => self.fail(error),
                }
            }
        }
    };
}

/// [`Need::Client`]: look up an app client and its pool.
#[must_use = "the operation waits inside until this is answered"]
pub struct LookUpClient<O> {
    op: Box<O>,
}

impl<O: Operation> fmt::Debug for LookUpClient<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookUpClient")
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl<O: Operation> LookUpClient<O> {
    /// `ClientId`, lent from the request.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.op.client_id()
    }

    /// The client and its pool, or `None` when there is no such client. Cheap.
    pub fn answer(self, client: Option<ClientContext>) -> Step<O> {
        resume(self.op, Answer::Client(client))
    }
}
fallible!(LookUpClient, Option<ClientContext>);

continuation!(
    /// [`Need::Pool`]: look up a pool (admin operations).
    LookUpPool { pool_id: String }
);

impl<O: Operation> LookUpPool<O> {
    /// `UserPoolId`.
    #[must_use]
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The pool, or `None` when there is no such pool. Cheap.
    pub fn answer(self, pool: Option<Arc<PoolContext>>) -> Step<O> {
        resume(self.op, Answer::Pool(pool))
    }
}
fallible!(LookUpPool, Option<Arc<PoolContext>>);

continuation!(
    /// [`Need::Guard`]: the request guard's verdict.
    CheckGuard { request: GuardRequest }
);

impl<O: Operation> CheckGuard<O> {
    /// What the guard judges.
    #[must_use]
    pub fn request(&self) -> &GuardRequest {
        &self.request
    }

    /// The verdict ([`GuardVerdict::Allow`] for a host without a guard). Cheap.
    pub fn answer(self, verdict: GuardVerdict) -> Step<O> {
        resume(self.op, Answer::Guard(verdict))
    }
}

continuation!(
    /// [`Need::Throttle`]: a token from a rate bucket.
    TakeToken { request: ThrottleRequest }
);

impl<O: Operation> TakeToken<O> {
    /// The bucket and its rate.
    #[must_use]
    pub fn request(&self) -> &ThrottleRequest {
        &self.request
    }

    /// Whether a token was taken. Cheap.
    pub fn answer(self, taken: bool) -> Step<O> {
        resume(self.op, Answer::Throttle(taken))
    }
}

continuation!(
    /// [`Need::Find`]: the user held by the first present key.
    FindUser { pool_id: Arc<str>, keys: KeyList }
);

impl<O: Operation> FindUser<O> {
    /// The pool.
    #[must_use]
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// The keys, in order.
    #[must_use]
    pub fn keys(&self) -> &[IndexKey] {
        self.keys.as_slice()
    }

    /// The user found, with its version, or `None`. Cheap (a code check is an HMAC and a
    /// constant-time compare).
    pub fn answer(self, found: Option<Versioned<UserRecord>>) -> Step<O> {
        resume(self.op, Answer::Found(found))
    }
}
fallible!(FindUser, Option<Versioned<UserRecord>>);

continuation!(
    /// [`Need::Commit`]: apply every change of the operation at once, or none.
    CommitChanges { pool_id: Arc<str>, commit: Commit }
);

impl<O: Operation> CommitChanges<O> {
    /// The pool.
    #[must_use]
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    /// Everything the operation changes.
    #[must_use]
    pub fn commit(&self) -> &Commit {
        &self.commit
    }

    /// Whether the commit was applied. Cheap.
    pub fn answer(self, outcome: CommitOutcome) -> Step<O> {
        resume(self.op, Answer::Committed(outcome))
    }
}
fallible!(CommitChanges, CommitOutcome);

continuation!(
    /// [`Need::Invoke`]: invoke a Lambda trigger.
    InvokeLambda { invocation: LambdaInvocation }
);

impl<O: Operation> InvokeLambda<O> {
    /// The function, the trigger and the event.
    #[must_use]
    pub fn invocation(&self) -> &LambdaInvocation {
        &self.invocation
    }

    /// What the function answered, or how the invocation failed. Cheap.
    pub fn answer(self, reply: LambdaReply) -> Step<O> {
        resume(self.op, Answer::Lambda(reply))
    }
}

continuation!(
    /// [`Need::Deliver`]: deliver a message with a code.
    DeliverMessage { message: Message }
);

impl<O: Operation> DeliverMessage<O> {
    /// The message.
    #[must_use]
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// Whether it was delivered: `Err` is the delivery failure (CodeDeliveryFailureException).
    /// Cheap.
    pub fn answer(self, delivered: Result<(), HostError>) -> Step<O> {
        resume(self.op, Answer::Delivered(delivered))
    }
}

continuation!(
    /// [`Need::HiddenResend`]: count a resend of a hidden name.
    CountHiddenResend { request: HiddenResendRequest }
);

impl<O: Operation> CountHiddenResend<O> {
    /// The resend to count.
    #[must_use]
    pub fn request(&self) -> &HiddenResendRequest {
        &self.request
    }

    /// Whether the resend was within the limits (and recorded). Cheap.
    pub fn answer(self, within_limits: bool) -> Step<O> {
        resume(self.op, Answer::HiddenResend(within_limits))
    }
}

/// The password, kept out of `Debug`.
struct Secret(String);

/// [`Need::Hash`]: SignUp's password hash, after the password policy was checked.
///
/// **CPU-heavy**: argon2id takes tens of milliseconds of one core with the default parameters,
/// so the answer runs where blocking is fine. A synchronous host calls
/// [`hash_with`](Self::hash_with) on its thread. An async host takes a slot without blocking
/// ([`PasswordHasher::try_acquire`]) and hashes on its blocking pool: the continuation is
/// `Send + 'static`.
///
/// ```
/// # use cognito_signup::{ops::{HashPassword, SignUp}, Error, PasswordHasher, Step};
/// # use std::sync::Arc;
/// async fn hash(need: HashPassword<SignUp>, hasher: &Arc<PasswordHasher>) -> Result<Step<SignUp>, Error> {
///     // On the executor: never blocks. Every slot busy: TooManyRequestsException at once.
///     let permit = hasher.try_acquire()?;
///     tokio::task::spawn_blocking(move || need.hash_with_permit(permit))
///         .await
///         .map_err(|e| Error::internal(e.to_string().into()))
/// }
/// ```
///
/// `Debug` shows neither the password nor the salt.
#[must_use = "the operation waits inside until this is answered"]
pub struct HashPassword<O> {
    op: Box<O>,
    password: Secret,
    salt: [u8; 16],
}

impl<O> fmt::Debug for HashPassword<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HashPassword").finish_non_exhaustive()
    }
}

impl<O: Operation> HashPassword<O> {
    /// Hashes through `hasher`, waiting in its queue if every slot is busy, and resumes the
    /// operation with the hash. **CPU-heavy and blocking**: never call it on an async executor.
    /// A hasher that stays full ends the operation with TooManyRequestsException "Rate
    /// exceeded", before anything is committed.
    pub fn hash_with(self, hasher: &PasswordHasher) -> Step<O> {
        let hashed = hasher.hash(&self.password.0, self.salt);
        resume(self.op, Answer::Hashed(hashed))
    }

    /// Hashes in the slot `permit` holds (from [`PasswordHasher::try_acquire`] or
    /// [`PasswordHasher::acquire`]) and resumes the operation with the hash; the slot is freed
    /// when this returns. **CPU-heavy**: run it on a blocking pool.
    pub fn hash_with_permit(self, permit: HashPermit) -> Step<O> {
        let hashed = permit.hash(&self.password.0, self.salt);
        drop(permit);
        resume(self.op, Answer::Hashed(hashed))
    }

    /// Ends the operation with `error` instead of hashing, e.g. the TooManyRequestsException of
    /// a full [`PasswordHasher::try_acquire`]. Nothing is committed.
    pub fn refuse(self, error: Error) -> Step<O> {
        resume(self.op, Answer::Hashed(Err(error)))
    }

    /// The hash could not be run (a blocking task that panicked or was cancelled): ends the
    /// operation with InternalErrorException whose source is `error`.
    pub fn fail(self, error: HostError) -> Step<O> {
        resume(self.op, Answer::HostFailed(error))
    }
}

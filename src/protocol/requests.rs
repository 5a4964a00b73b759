//! What the core asks of the host besides the store: the requests of its needs (the guard's,
//! the throttle's, a Lambda invocation, a message) and the answers that are more than a word.

use crate::code::{Code, CodeKeys};
use crate::config::{AppClient, DeliveryMedium, OperationName, UserPool, VerifiableAttribute};
use crate::time::Timestamp;
use crate::types::UserContextData;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A pool as the core needs it: its settings, its code-tagging keys, and its id in a shared
/// string that every request naming the pool lends instead of copying.
///
/// Made with [`new`](Self::new); its members are read-only once it is shared (a directory hands
/// it out behind an [`Arc`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PoolContext {
    /// The settings.
    pub pool: UserPool,
    /// The keys that tag codes ([code-storage]).
    pub code_keys: CodeKeys,
    /// `pool.id`, shared.
    id: Arc<str>,
}

impl PoolContext {
    /// The context of `pool` with its code keys.
    #[must_use]
    pub fn new(pool: UserPool, code_keys: CodeKeys) -> Self {
        let id = Arc::from(pool.id.as_str());
        Self {
            pool,
            code_keys,
            id,
        }
    }

    /// The pool's id (`pool.id`), shared: cloning it copies no text.
    #[must_use]
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }
}

/// An app client together with its pool, and the client's id in a shared string.
///
/// Made with [`new`](Self::new).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientContext {
    /// The pool.
    pub pool: Arc<PoolContext>,
    /// The client.
    pub client: Arc<AppClient>,
    /// `client.client_id`, shared.
    id: Arc<str>,
}

impl ClientContext {
    /// The context of `client`, a client of `pool`.
    #[must_use]
    pub fn new(pool: Arc<PoolContext>, client: Arc<AppClient>) -> Self {
        let id = Arc::from(client.client_id.as_str());
        Self { pool, client, id }
    }

    /// The client's id (`client.client_id`), shared: cloning it copies no text.
    #[must_use]
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }
}

/// What the request guard sees of a public operation.
#[derive(Clone, Debug)]
pub struct GuardRequest {
    /// The operation.
    pub operation: OperationName,
    /// The pool the client belongs to.
    pub pool_id: Arc<str>,
    /// The app client, as the directory holds it.
    pub client_id: Arc<str>,
    /// The request's `UserContextData`.
    pub user_context_data: Option<UserContextData>,
}

/// The guard's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardVerdict {
    /// Let the request through.
    Allow,
    /// Answer ForbiddenException.
    Block,
}

/// The per-pool request buckets of [rate-limits].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Bucket {
    /// SignUp, ConfirmSignUp and AdminConfirmSignUp (Cognito's `UserCreation` category).
    UserCreation,
    /// ResendConfirmationCode (its own bucket, [rate-limits]).
    ResendConfirmationCode,
}

/// One request's claim on a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThrottleRequest {
    /// The pool.
    pub pool_id: Arc<str>,
    /// The bucket.
    pub bucket: Bucket,
    /// Tokens added per second.
    pub rate: u32,
    /// Capacity.
    pub burst: u32,
    /// The operation's time.
    pub now: Timestamp,
}

/// How many cells (one per row of a [`ResendSketch`](crate::reference::ResendSketch)) a [`HiddenResendRequest`] names.
pub const SKETCH_ROWS: usize = 2;

/// A ResendConfirmationCode under `PreventUserExistenceErrors=ENABLED` for a name whose answer
/// must look like a present user's: a name no user holds, or a disabled user's.
///
/// A present user's resends are limited by the times kept in their record (at most `limit` in
/// the rolling `window`, and `min_interval` between two codes). A missing name has no record,
/// and must not get one (an attacker could grow the store at will); so its resends are counted
/// in a fixed-size table of the pool, a [`ResendSketch`](crate::reference::ResendSketch), in the cells that `keys` name.
/// `keys` are keyed hashes of the name (folded as the pool's case rule says) made with the
/// pool's code keys: no one without them can tell which names share a cell.
#[derive(Clone, PartialEq, Eq)]
pub struct HiddenResendRequest {
    /// The pool.
    pub pool_id: String,
    /// The name's cell in each row, before reduction to the table's width.
    pub keys: [u64; SKETCH_ROWS],
    /// The operation's time.
    pub now: Timestamp,
    /// The rolling window of the per-user limits.
    pub window: Duration,
    /// Resends allowed per window.
    pub limit: u32,
    /// Minimum time between two codes (zero: none).
    pub min_interval: Duration,
}

impl fmt::Debug for HiddenResendRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The keys stand for a name: leave them out.
        f.debug_struct("HiddenResendRequest")
            .field("pool_id", &self.pool_id)
            .field("now", &self.now)
            .field("window", &self.window)
            .field("limit", &self.limit)
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

/// A trigger this crate invokes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Trigger {
    /// `PreSignUp`
    PreSignUp,
    /// `PostConfirmation`
    PostConfirmation,
    /// `CustomMessage`
    CustomMessage,
}

impl Trigger {
    /// The name used in error messages, e.g. `PostConfirmation`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::CustomMessage => "CustomMessage",
        }
    }
}

/// One invocation of a trigger: the function and the event as JSON ([trigger-event]). `Debug`
/// leaves the payload out: it holds the user's attributes.
#[derive(Clone, PartialEq, Eq)]
pub struct LambdaInvocation {
    /// The trigger.
    pub trigger: Trigger,
    /// The event's `triggerSource`, e.g. `PostConfirmation_ConfirmSignUp`.
    pub trigger_source: &'static str,
    /// The function name or ARN from `LambdaConfig`.
    pub function: String,
    /// The event, serialized.
    pub payload: String,
}

impl fmt::Debug for LambdaInvocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LambdaInvocation")
            .field("trigger", &self.trigger)
            .field("trigger_source", &self.trigger_source)
            .field("function", &self.function)
            .field("payload", &format_args!("<{} bytes>", self.payload.len()))
            .finish()
    }
}

/// Why an invocation did not reach the function or did not come back.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvokeFailure {
    /// Every try timed out ([trigger-invocation]: 5 s per try, 3 tries).
    Timeout,
    /// The function may not be invoked, or does not exist.
    AccessDenied,
    /// Any other failure, named by an AWS error code such as `ServiceException`.
    Other(String),
}

/// What came back from a trigger. `Debug` leaves a returned body out: it echoes the user's
/// attributes.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LambdaReply {
    /// The function returned this body.
    Returned(Vec<u8>),
    /// The function failed (`X-Amz-Function-Error`), with its `errorMessage`.
    FunctionError {
        /// `errorMessage`
        error_message: String,
        /// `errorType`
        error_type: Option<String>,
    },
    /// The function could not be invoked.
    InvokeFailed(InvokeFailure),
}

impl fmt::Debug for LambdaReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LambdaReply::Returned(body) => write!(f, "Returned(<{} bytes>)", body.len()),
            LambdaReply::FunctionError {
                error_message,
                error_type,
            } => f
                .debug_struct("FunctionError")
                .field("error_message", error_message)
                .field("error_type", error_type)
                .finish(),
            LambdaReply::InvokeFailed(why) => f.debug_tuple("InvokeFailed").field(why).finish(),
        }
    }
}

/// A confirmation message to deliver. `Debug` redacts the destination, the code and the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The pool.
    pub pool_id: String,
    /// The username as AdminGetUser reports it (the `sub` in username-attribute pools).
    pub username: String,
    /// `CustomMessage_SignUp` or `CustomMessage_ResendCode`.
    pub trigger_source: &'static str,
    /// EMAIL or SMS.
    pub medium: DeliveryMedium,
    /// The attribute the code goes to.
    pub attribute: VerifiableAttribute,
    /// The unmasked address or phone number.
    pub destination: String,
    /// The code.
    pub code: Code,
    /// The text to send, code included (the CustomMessage function's when there is one).
    pub body: String,
    /// The email subject (EMAIL only).
    pub subject: Option<String>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("pool_id", &self.pool_id)
            .field("trigger_source", &self.trigger_source)
            .field("medium", &self.medium)
            .field("attribute", &self.attribute)
            .field("destination", &"<redacted>")
            .field("code", &self.code)
            .field("body", &"<redacted>")
            .finish_non_exhaustive()
    }
}

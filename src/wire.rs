//! The AWS JSON 1.1 wire layer (feature `wire`): `X-Amz-Target` dispatch, body decoding,
//! success bodies, and error bodies and headers, exactly as Cognito sends them ([wire-protocol],
//! [wire-success], [wire-errors], [wire-status], [wire-protocol-errors]).
//!
//! It does no I/O and holds no decision logic of its own: it turns bytes into one of the core's
//! [operations](crate::ops) and an operation's result back into bytes. A host that speaks HTTP
//! does the rest:
//!
//! * **Synchronous hosts** call [`handle`] with a [`Driver`].
//! * **Asynchronous hosts** call [`decode`], then drive the returned [`WireOperation`] with their
//!   own step loop (it is an [`Operation`] like any other), then [`encode_result`]:
//!
//! ```
//! # use cognito_signup::{wire, Driver, MemoryStore, Operation, StaticDirectory, Step, Timestamp};
//! # use std::sync::Arc;
//! # fn main() -> Result<(), cognito_signup::Error> {
//! # let driver = Driver::new(MemoryStore::new(), Arc::new(StaticDirectory::new()));
//! let target = "AWSCognitoIdentityProviderService.ConfirmSignUp";
//! let body = br#"{"ClientId":"nosuchclient","Username":"alice","ConfirmationCode":"123456"}"#;
//! let response = match wire::decode(target, body) {
//!     Err(refused) => refused,
//!     Ok(request) => {
//!         // A fresh seed per request, from the host's randomness.
//!         let op = request.into_operation(Timestamp::from_secs(1_800_000_000), driver.seed()?);
//!         let mut step = op.start();
//!         let result = loop {
//!             match step {
//!                 Step::Done(result) => break result,
//!                 // An async host answers each need with `.await`s here.
//!                 Step::Need(need) => step = driver.answer(need),
//!             }
//!         };
//!         wire::encode_result(result)
//!     }
//! };
//! assert_eq!(response.status, 400);
//! assert_eq!(response.header("x-amzn-ErrorType"), Some("ResourceNotFoundException:"));
//! # Ok(())
//! # }
//! ```
//!
//! The host adds `x-amzn-RequestId` (a fresh UUID) to every response, authenticates admin
//! operations ([`requires_signature`]), and refuses bodies over [`MAX_BODY_BYTES`] before it
//! has read them whole ([`WireResponse::too_large`]).

use crate::config::OperationName as Op;
use crate::config::UserPool;
use crate::driver::Driver;
use crate::error::HostError;
use crate::error::{Error, Exception, messages};
use crate::host::{Clock, Directory, PoolCatalog, Randomness, UserStore};
use crate::manage::{
    CreateUserPoolClientRequest, CreateUserPoolRequest, ListUserPoolClientsRequest,
    ListUserPoolsRequest, Manager, UpdateUserPoolClientRequest, UpdateUserPoolRequest,
    UserPoolClientRequest, UserPoolRequest,
};
use crate::ops::{
    AdminConfirmSignUp, AdminDeleteUser, AdminDisableUser, AdminEnableUser, AdminGetUser,
    ConfirmSignUp, ResendConfirmationCode, SignUp,
};
use crate::protocol::Operation;
use crate::protocol::machine::{Answer, Machine, Raw};
use crate::seed::Seed;
use crate::time::Timestamp;
use crate::types::{
    AdminConfirmSignUpRequest, AdminDeleteUserRequest, AdminUserRequest, ConfirmSignUpRequest,
    ListUsersRequest, ResendConfirmationCodeRequest, SignUpRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;

/// The `X-Amz-Target` prefix of the Cognito user pools service.
pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// The content type of every request and response.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The largest request body accepted (1 MiB, [wire-protocol-errors]).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest error response body [`WireResponse::error`] makes (64 KiB), whatever the
/// message: a request cannot make the server hold or send more than this for its error.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;
/// The most bytes of an error message the body carries: a longer message is cut at a character
/// boundary and ends in `...`. Even with every byte escaped as `\u00XX` (6 bytes) the body stays
/// under [`MAX_ERROR_BODY_BYTES`].
pub const MAX_ERROR_MESSAGE_BYTES: usize = 8 * 1024;
/// The most bytes of the `x-amzn-ErrorMessage` header: a longer message is cut at a character
/// boundary and ends in `...`; the body has the message in full (up to
/// [`MAX_ERROR_MESSAGE_BYTES`]).
pub const MAX_ERROR_HEADER_BYTES: usize = 512;
/// The mark that ends a cut message.
const CUT_MARK: &str = "...";

/// An HTTP response to send: status, headers (in order) and body.
#[derive(Clone, PartialEq, Eq)]
pub struct WireResponse {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values. Values never hold control characters.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl fmt::Debug for WireResponse {
    /// Status and headers only: a success body may hold user attributes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl WireResponse {
    /// A 200 with a JSON body.
    #[must_use]
    pub fn ok(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type", CONTENT_TYPE.to_owned())],
            body,
        }
    }

    /// The error response of an exception: status from the exception table, body
    /// `{"__type":"<Name>","message":"<message>"}`, headers `x-amzn-ErrorType: <Name>:` and
    /// `x-amzn-ErrorMessage: <message>`.
    ///
    /// The response is bounded whatever the message: the body's message is cut to
    /// [`MAX_ERROR_MESSAGE_BYTES`] (the body is then under [`MAX_ERROR_BODY_BYTES`]) and the
    /// header's to [`MAX_ERROR_HEADER_BYTES`], each at a character boundary and ending in `...`.
    #[must_use]
    pub fn error(error: &Error) -> Self {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "__type")]
            kind: &'a str,
            message: &'a str,
        }
        let name = error.name();
        let message = cut(error.message(), MAX_ERROR_MESSAGE_BYTES);
        let body = serde_json::to_vec(&Body {
            kind: name,
            message: &message,
        })
        // A struct of two strings always serializes; the fallback is never used.
        .unwrap_or_else(|_| format!(r#"{{"__type":"{name}"}}"#).into_bytes());
        Self {
            status: error.status(),
            headers: vec![
                ("Content-Type", CONTENT_TYPE.to_owned()),
                ("x-amzn-ErrorType", format!("{name}:")),
                (
                    "x-amzn-ErrorMessage",
                    header_safe(&cut(&message, MAX_ERROR_HEADER_BYTES)),
                ),
            ],
            body,
        }
    }

    /// The response to a body over [`MAX_BODY_BYTES`]: 413 `RequestEntityTooLargeException`.
    #[must_use]
    pub fn too_large() -> Self {
        Self::error(&Error::new(
            Exception::RequestEntityTooLarge,
            messages::REQUEST_TOO_LARGE,
        ))
    }

    /// The value of a header, by case-insensitive name.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The message if it has at most `limit` bytes, else its longest prefix ending at a character
/// boundary that leaves room for `...`, then `...`.
fn cut(message: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    if message.len() <= limit {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut end = limit.saturating_sub(CUT_MARK.len());
    while !message.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let mut out = String::with_capacity(end.saturating_add(CUT_MARK.len()));
    out.push_str(message.get(..end).unwrap_or_default());
    out.push_str(CUT_MARK);
    std::borrow::Cow::Owned(out)
}

/// A message as a header value: control characters (CR and LF above all) become spaces.
fn header_safe(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The operation an `X-Amz-Target` names.
///
/// # Errors
/// The UnknownOperationException response when the target lacks the service prefix or names
/// no operation of this crate.
pub fn operation_of(target: &str) -> Result<Op, WireResponse> {
    target
        .strip_prefix(TARGET_PREFIX)
        .and_then(Op::from_name)
        .ok_or_else(|| {
            WireResponse::error(&Error::new(
                Exception::UnknownOperation,
                messages::UNKNOWN_OPERATION,
            ))
        })
}

/// Whether the operation needs a SigV4 signature by IAM credentials (the admin operations);
/// SignUp, ConfirmSignUp and ResendConfirmationCode are unauthenticated.
#[must_use]
pub const fn requires_signature(operation: Op) -> bool {
    match operation {
        Op::SignUp | Op::ConfirmSignUp | Op::ResendConfirmationCode => false,
        Op::AdminConfirmSignUp
        | Op::AdminGetUser
        | Op::AdminDisableUser
        | Op::AdminEnableUser
        | Op::AdminDeleteUser
        | Op::ListUsers => true,
        // Pool and client management.
        Op::CreateUserPool
        | Op::DescribeUserPool
        | Op::UpdateUserPool
        | Op::DeleteUserPool
        | Op::ListUserPools
        | Op::CreateUserPoolClient
        | Op::DescribeUserPoolClient
        | Op::UpdateUserPoolClient
        | Op::DeleteUserPoolClient
        | Op::ListUserPoolClients => true,
    }
}

/// Whether the operation is answered by [`Management::execute`] (the pool/client management
/// operations and ListUsers) rather than by a step machine ([`WireRequest::into_operation`]).
#[must_use]
pub const fn is_management(operation: Op) -> bool {
    match operation {
        Op::SignUp
        | Op::ConfirmSignUp
        | Op::ResendConfirmationCode
        | Op::AdminConfirmSignUp
        | Op::AdminGetUser
        | Op::AdminDisableUser
        | Op::AdminEnableUser
        | Op::AdminDeleteUser => false,
        // ListUsers pages through the store: no step machine either ([list-users]).
        Op::ListUsers => true,
        // Pool and client management.
        Op::CreateUserPool
        | Op::DescribeUserPool
        | Op::UpdateUserPool
        | Op::DeleteUserPool
        | Op::ListUserPools
        | Op::CreateUserPoolClient
        | Op::DescribeUserPoolClient
        | Op::UpdateUserPoolClient
        | Op::DeleteUserPoolClient
        | Op::ListUserPoolClients => true,
    }
}

/// What the management operations run against ([pool-operations]).
pub struct Management<'a> {
    /// The pools and clients.
    pub catalog: &'a dyn PoolCatalog,
    /// The users (ListUsers reads them).
    pub users: &'a dyn UserStore,
    /// The directory ListUsers finds the pool in: pools fixed at start as well as the
    /// catalog's (a [`CatalogDirectory`](crate::reference::CatalogDirectory)).
    pub directory: &'a dyn Directory,
    /// The clock: creation and modification dates.
    pub clock: &'a dyn Clock,
    /// Fresh bytes for ids and secrets (the OS generator in a server).
    pub randomness: &'a dyn Randomness,
    /// The region pool ids are made in (`us-east-1`).
    pub region: &'a str,
}

impl fmt::Debug for Management<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Management")
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl Management<'_> {
    /// Runs a decoded management request and encodes its answer (success or error). Blocking:
    /// it calls the catalog and the store. A request for an operation that is not a
    /// management one ([`is_management`]) answers InternalErrorException.
    #[must_use]
    pub fn execute(&self, request: WireRequest) -> WireResponse {
        if let WireRequest::ListUsers(request) = &request {
            return list_users(
                request,
                |id| Ok(self.directory.pool(id)?.map(|p| p.pool.clone())),
                self.users,
            );
        }
        run_management(
            &Manager {
                catalog: self.catalog,
                clock: self.clock,
                randomness: self.randomness,
                region: self.region,
            },
            request,
        )
    }
}

fn to_body<T: Serialize>(result: Result<T, Error>) -> WireResponse {
    encode_result(result.and_then(|output| {
        serde_json::to_vec(&output)
            .map(|body| WireSuccess { body })
            .map_err(|e| Error::internal(Box::new(e)))
    }))
}

/// The one dispatch of the management operations, for [`Management::execute`] and [`handle`].
fn run_management(m: &Manager<'_>, request: WireRequest) -> WireResponse {
    match request {
        WireRequest::CreateUserPool(r) => to_body(m.create_user_pool(r)),
        WireRequest::DescribeUserPool(r) => to_body(m.describe_user_pool(r)),
        WireRequest::UpdateUserPool(r) => to_body(m.update_user_pool(r)),
        WireRequest::DeleteUserPool(r) => to_body(m.delete_user_pool(r)),
        WireRequest::ListUserPools(r) => to_body(m.list_user_pools(r)),
        WireRequest::CreateUserPoolClient(r) => to_body(m.create_user_pool_client(r)),
        WireRequest::DescribeUserPoolClient(r) => to_body(m.describe_user_pool_client(r)),
        WireRequest::UpdateUserPoolClient(r) => to_body(m.update_user_pool_client(r)),
        WireRequest::DeleteUserPoolClient(r) => to_body(m.delete_user_pool_client(r)),
        WireRequest::ListUserPoolClients(r) => to_body(m.list_user_pool_clients(r)),
        other => WireResponse::error(&not_management(other.operation())),
    }
}

fn not_management(op: Op) -> Error {
    Error::internal(format!("{} is not a management operation", op.name()).into())
}

fn not_step_machine(op: Op) -> Error {
    Error::internal(
        format!(
            "{} is a management operation: run it with wire::Management::execute",
            op.name()
        )
        .into(),
    )
}

/// A decoded request, not yet bound to a time and seed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireRequest {
    /// `SignUp`
    SignUp(SignUpRequest),
    /// `ConfirmSignUp`
    ConfirmSignUp(ConfirmSignUpRequest),
    /// `ResendConfirmationCode`
    ResendConfirmationCode(ResendConfirmationCodeRequest),
    /// `AdminConfirmSignUp`
    AdminConfirmSignUp(AdminConfirmSignUpRequest),
    /// `AdminGetUser`
    AdminGetUser(AdminUserRequest),
    /// `AdminDisableUser`
    AdminDisableUser(AdminUserRequest),
    /// `AdminEnableUser`
    AdminEnableUser(AdminUserRequest),
    /// `AdminDeleteUser`
    AdminDeleteUser(AdminDeleteUserRequest),
    /// `ListUsers`: not a step machine; answered by [`list_users`].
    ListUsers(ListUsersRequest),
    // Pool and client management.
    /// `CreateUserPool`
    CreateUserPool(CreateUserPoolRequest),
    /// `DescribeUserPool`
    DescribeUserPool(UserPoolRequest),
    /// `UpdateUserPool`
    UpdateUserPool(UpdateUserPoolRequest),
    /// `DeleteUserPool`
    DeleteUserPool(UserPoolRequest),
    /// `ListUserPools`
    ListUserPools(ListUserPoolsRequest),
    /// `CreateUserPoolClient`
    CreateUserPoolClient(CreateUserPoolClientRequest),
    /// `DescribeUserPoolClient`
    DescribeUserPoolClient(UserPoolClientRequest),
    /// `UpdateUserPoolClient`
    UpdateUserPoolClient(UpdateUserPoolClientRequest),
    /// `DeleteUserPoolClient`
    DeleteUserPoolClient(UserPoolClientRequest),
    /// `ListUserPoolClients`
    ListUserPoolClients(ListUserPoolClientsRequest),
}

impl WireRequest {
    /// The operation.
    #[must_use]
    pub fn operation(&self) -> Op {
        match self {
            WireRequest::SignUp(_) => Op::SignUp,
            WireRequest::ConfirmSignUp(_) => Op::ConfirmSignUp,
            WireRequest::ResendConfirmationCode(_) => Op::ResendConfirmationCode,
            WireRequest::AdminConfirmSignUp(_) => Op::AdminConfirmSignUp,
            WireRequest::AdminGetUser(_) => Op::AdminGetUser,
            WireRequest::AdminDisableUser(_) => Op::AdminDisableUser,
            WireRequest::AdminEnableUser(_) => Op::AdminEnableUser,
            WireRequest::AdminDeleteUser(_) => Op::AdminDeleteUser,
            WireRequest::ListUsers(_) => Op::ListUsers,
            // Pool and client management.
            WireRequest::CreateUserPool(_) => Op::CreateUserPool,
            WireRequest::DescribeUserPool(_) => Op::DescribeUserPool,
            WireRequest::UpdateUserPool(_) => Op::UpdateUserPool,
            WireRequest::DeleteUserPool(_) => Op::DeleteUserPool,
            WireRequest::ListUserPools(_) => Op::ListUserPools,
            WireRequest::CreateUserPoolClient(_) => Op::CreateUserPoolClient,
            WireRequest::DescribeUserPoolClient(_) => Op::DescribeUserPoolClient,
            WireRequest::UpdateUserPoolClient(_) => Op::UpdateUserPoolClient,
            WireRequest::DeleteUserPoolClient(_) => Op::DeleteUserPoolClient,
            WireRequest::ListUserPoolClients(_) => Op::ListUserPoolClients,
        }
    }

    /// The core's operation for this request, at `now`; `seed` is used by SignUp and
    /// ResendConfirmationCode. SignUp's password is hashed by the host, when the operation
    /// asks for it ([`Need::Hash`](crate::ops::Need::Hash)). A management request
    /// ([`is_management`]) has no step machine: its operation finishes at once with
    /// InternalErrorException (run it with [`Management::execute`]).
    #[must_use]
    pub fn into_operation(self, now: Timestamp, seed: Seed) -> WireOperation {
        let inner = match self {
            WireRequest::SignUp(r) => Inner::SignUp(Box::new(SignUp::new(r, now, seed))),
            WireRequest::ConfirmSignUp(r) => Inner::ConfirmSignUp(ConfirmSignUp::new(r, now)),
            WireRequest::ResendConfirmationCode(r) => {
                Inner::ResendConfirmationCode(ResendConfirmationCode::new(r, now, seed))
            }
            WireRequest::AdminConfirmSignUp(r) => {
                Inner::AdminConfirmSignUp(AdminConfirmSignUp::new(r, now))
            }
            WireRequest::AdminGetUser(r) => Inner::AdminGetUser(AdminGetUser::new(r, now)),
            WireRequest::AdminDisableUser(r) => {
                Inner::AdminDisableUser(AdminDisableUser::new(r, now))
            }
            WireRequest::AdminEnableUser(r) => Inner::AdminEnableUser(AdminEnableUser::new(r, now)),
            WireRequest::AdminDeleteUser(r) => Inner::AdminDeleteUser(AdminDeleteUser::new(r, now)),
            other => Inner::Management(other.operation()),
        };
        WireOperation { inner }
    }
}

/// Decodes a request: the target names the operation, the body its input.
///
/// An empty body is `{}`; unknown members are ignored; `null` is an absent member.
///
/// # Errors
/// The response to send instead: UnknownOperationException for the target,
/// RequestEntityTooLargeException (413) for a body over [`MAX_BODY_BYTES`],
/// SerializationException (naming the member) for a body that is not a JSON object of the right
/// member types.
pub fn decode(target: &str, body: &[u8]) -> Result<WireRequest, WireResponse> {
    let operation = operation_of(target)?;
    decode_body(operation, body)
}

/// Decodes the body of a request for an operation already known (see [`decode`]).
///
/// # Errors
/// As [`decode`], less the target.
pub fn decode_body(operation: Op, body: &[u8]) -> Result<WireRequest, WireResponse> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WireResponse::too_large());
    }
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let e = |e: Error| WireResponse::error(&e);
    Ok(match operation {
        Op::SignUp => WireRequest::SignUp(parse(body).map_err(e)?),
        Op::ConfirmSignUp => WireRequest::ConfirmSignUp(parse(body).map_err(e)?),
        Op::ResendConfirmationCode => WireRequest::ResendConfirmationCode(parse(body).map_err(e)?),
        Op::AdminConfirmSignUp => WireRequest::AdminConfirmSignUp(parse(body).map_err(e)?),
        Op::AdminGetUser => WireRequest::AdminGetUser(parse(body).map_err(e)?),
        Op::AdminDisableUser => WireRequest::AdminDisableUser(parse(body).map_err(e)?),
        Op::AdminEnableUser => WireRequest::AdminEnableUser(parse(body).map_err(e)?),
        Op::AdminDeleteUser => WireRequest::AdminDeleteUser(parse(body).map_err(e)?),
        Op::ListUsers => WireRequest::ListUsers(parse(body).map_err(e)?),
        // Pool and client management.
        Op::CreateUserPool => WireRequest::CreateUserPool(parse(body).map_err(e)?),
        Op::DescribeUserPool => WireRequest::DescribeUserPool(parse(body).map_err(e)?),
        Op::UpdateUserPool => WireRequest::UpdateUserPool(parse(body).map_err(e)?),
        Op::DeleteUserPool => WireRequest::DeleteUserPool(parse(body).map_err(e)?),
        Op::ListUserPools => WireRequest::ListUserPools(parse(body).map_err(e)?),
        Op::CreateUserPoolClient => WireRequest::CreateUserPoolClient(parse(body).map_err(e)?),
        Op::DescribeUserPoolClient => WireRequest::DescribeUserPoolClient(parse(body).map_err(e)?),
        Op::UpdateUserPoolClient => WireRequest::UpdateUserPoolClient(parse(body).map_err(e)?),
        Op::DeleteUserPoolClient => WireRequest::DeleteUserPoolClient(parse(body).map_err(e)?),
        Op::ListUserPoolClients => WireRequest::ListUserPoolClients(parse(body).map_err(e)?),
    })
}

/// Parses a body into a request type, with a SerializationException that names the member and
/// never echoes a value.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    let serialization = |m: String| Error::new(Exception::Serialization, m);
    // The top level first: a JSON object, or nothing to name.
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => serialization(messages::BODY_NOT_OBJECT.to_owned()),
                Err(_) => serialization(messages::BODY_NOT_JSON.to_owned()),
            },
        );
    }
    // The common case, a well-formed body, without tracking the path: serde_path_to_error
    // copies every member name it passes. The path is only needed for the message of a
    // rejected body, so that body is parsed a second time, with tracking, below; the same
    // input gives the same error.
    let mut de = serde_json::Deserializer::from_slice(body);
    if let Ok(value) = <T as serde::Deserialize>::deserialize(&mut de) {
        if de.end().is_ok() {
            return Ok(value);
        }
        return Err(serialization(messages::BODY_NOT_JSON.to_owned()));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if let Some(member) = duplicate_member(&inner) {
            let path = if path.is_empty() || path == "." {
                member
            } else {
                format!("{path}.{member}")
            };
            return serialization(format!("Member '{path}' appears more than once."));
        }
        if !inner.is_data() || path.is_empty() || path == "." {
            return serialization(messages::BODY_NOT_JSON.to_owned());
        }
        serialization(format!(
            "Invalid value for member '{path}': expected {}.",
            expected(&inner)
        ))
    })?;
    // Nothing but whitespace may follow the object.
    de.end()
        .map_err(|_| serialization(messages::BODY_NOT_JSON.to_owned()))?;
    Ok(value)
}

/// The member named by serde's "duplicate field `X`" (a name of our types, never input).
fn duplicate_member(e: &serde_json::Error) -> Option<String> {
    let text = e.to_string();
    let rest = text.strip_prefix("duplicate field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// What the member should have been, in JSON's words, from serde's "expected …" (which names
/// our types, never the input).
fn expected(e: &serde_json::Error) -> &'static str {
    let text = e.to_string();
    let wanted = text.split_once(", expected ").map_or("", |(_, rest)| {
        rest.split(" at line ").next().unwrap_or(rest)
    });
    if wanted.contains("string") {
        "a string"
    } else if wanted.contains("bool") {
        "a boolean"
    } else if wanted.contains("i64") || wanted.contains("integer") {
        "an integer"
    } else if wanted.contains("sequence") {
        "a JSON array"
    } else if wanted.contains("map") || wanted.starts_with("struct") {
        "a JSON object"
    } else {
        "a value of the modelled type"
    }
}

/// The output of a finished [`WireOperation`]: the operation's response, serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct WireSuccess {
    body: Vec<u8>,
}

impl fmt::Debug for WireSuccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireSuccess")
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl WireSuccess {
    /// The JSON body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

// The operations differ a lot in size; only one is alive per request, and SignUp, the largest,
// is boxed.
enum Inner {
    SignUp(Box<SignUp>),
    ConfirmSignUp(ConfirmSignUp),
    ResendConfirmationCode(ResendConfirmationCode),
    AdminConfirmSignUp(AdminConfirmSignUp),
    AdminGetUser(AdminGetUser),
    AdminDisableUser(AdminDisableUser),
    AdminEnableUser(AdminEnableUser),
    AdminDeleteUser(AdminDeleteUser),
    /// A management request: no step machine ([`WireRequest::into_operation`]).
    Management(Op),
}

/// One of the core's operations behind the wire: an [`Operation`] whose output is the
/// serialized response. Drive it like any other: [`start`](Operation::start), then answer
/// each [`Need`](crate::ops::Need).
pub struct WireOperation {
    inner: Inner,
}

impl fmt::Debug for WireOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WireOperation")
            .field("operation", &self.operation())
            .finish_non_exhaustive()
    }
}

impl WireOperation {
    /// The operation.
    #[must_use]
    pub fn operation(&self) -> Op {
        match &self.inner {
            Inner::SignUp(_) => Op::SignUp,
            Inner::ConfirmSignUp(_) => Op::ConfirmSignUp,
            Inner::ResendConfirmationCode(_) => Op::ResendConfirmationCode,
            Inner::AdminConfirmSignUp(_) => Op::AdminConfirmSignUp,
            Inner::AdminGetUser(_) => Op::AdminGetUser,
            Inner::AdminDisableUser(_) => Op::AdminDisableUser,
            Inner::AdminEnableUser(_) => Op::AdminEnableUser,
            Inner::AdminDeleteUser(_) => Op::AdminDeleteUser,
            Inner::Management(op) => *op,
        }
    }
}

fn serialize<T: Serialize>(output: &T) -> Result<WireSuccess, Error> {
    serde_json::to_vec(output)
        .map(|body| WireSuccess { body })
        .map_err(|e| Error::internal(Box::new(e)))
}

fn serialized<T: Serialize>(raw: Raw<T>) -> Raw<WireSuccess> {
    match raw {
        Raw::Need(ask) => Raw::Need(ask),
        Raw::Done(result) => Raw::Done(result.and_then(|output| serialize(&output))),
    }
}

/// Answers a decoded ListUsers request ([list-users]): `pool` looks the pool up by id (the
/// host's [`Directory`], or its pool catalog), `users` is the store.
/// Blocking: it calls both. See [`ops::list_users`](crate::ops::list_users).
#[must_use]
pub fn list_users(
    request: &ListUsersRequest,
    pool: impl FnOnce(&str) -> Result<Option<UserPool>, HostError>,
    users: &dyn UserStore,
) -> WireResponse {
    encode_result(
        crate::ops::list_users(request, pool, users).and_then(|output| serialize(&output)),
    )
}

impl Operation for WireOperation {
    type Output = WireSuccess;
}

impl Machine for WireOperation {
    fn client_id(&self) -> &str {
        match &self.inner {
            Inner::SignUp(op) => op.client_id(),
            Inner::ConfirmSignUp(op) => op.client_id(),
            Inner::ResendConfirmationCode(op) => op.client_id(),
            Inner::AdminConfirmSignUp(op) => op.client_id(),
            Inner::AdminGetUser(op) => op.client_id(),
            Inner::AdminDisableUser(op) => op.client_id(),
            Inner::AdminEnableUser(op) => op.client_id(),
            Inner::AdminDeleteUser(op) => op.client_id(),
            Inner::Management(_) => "",
        }
    }

    fn begin(&mut self) -> Raw<WireSuccess> {
        match &mut self.inner {
            Inner::SignUp(op) => serialized(op.begin()),
            Inner::ConfirmSignUp(op) => serialized(op.begin()),
            Inner::ResendConfirmationCode(op) => serialized(op.begin()),
            Inner::AdminConfirmSignUp(op) => serialized(op.begin()),
            Inner::AdminGetUser(op) => serialized(op.begin()),
            Inner::AdminDisableUser(op) => serialized(op.begin()),
            Inner::AdminEnableUser(op) => serialized(op.begin()),
            Inner::AdminDeleteUser(op) => serialized(op.begin()),
            Inner::Management(op) => Raw::Done(Err(not_step_machine(*op))),
        }
    }

    fn advance(&mut self, answer: Answer) -> Raw<WireSuccess> {
        match &mut self.inner {
            Inner::SignUp(op) => serialized(op.advance(answer)),
            Inner::ConfirmSignUp(op) => serialized(op.advance(answer)),
            Inner::ResendConfirmationCode(op) => serialized(op.advance(answer)),
            Inner::AdminConfirmSignUp(op) => serialized(op.advance(answer)),
            Inner::AdminGetUser(op) => serialized(op.advance(answer)),
            Inner::AdminDisableUser(op) => serialized(op.advance(answer)),
            Inner::AdminEnableUser(op) => serialized(op.advance(answer)),
            Inner::AdminDeleteUser(op) => serialized(op.advance(answer)),
            Inner::Management(op) => Raw::Done(Err(not_step_machine(*op))),
        }
    }
}

/// The response for an operation's result: 200 with the serialized output (`{}` for empty
/// outputs, [wire-success]), or the exception's error response.
#[must_use]
pub fn encode_result(result: Result<WireSuccess, Error>) -> WireResponse {
    match result {
        Ok(success) => WireResponse::ok(success.body),
        Err(error) => WireResponse::error(&error),
    }
}

/// Handles one request synchronously with a [`Driver`]: decode, run, encode. Management
/// requests run against the driver's catalog ([`Driver::with_catalog`]).
///
/// The driver's clock is read once and a seed drawn once per request.
#[must_use]
pub fn handle<S: UserStore>(driver: &Driver<S>, target: &str, body: &[u8]) -> WireResponse {
    let request = match decode(target, body) {
        Ok(request) => request,
        Err(refused) => return refused,
    };
    if let WireRequest::ListUsers(request) = &request {
        return encode_result(
            driver
                .list_users(request)
                .and_then(|output| serialize(&output)),
        );
    }
    if is_management(request.operation()) {
        return match driver.manager() {
            Ok(m) => run_management(&m, request),
            Err(error) => WireResponse::error(&error),
        };
    }
    let seed = match driver.seed() {
        Ok(seed) => seed,
        Err(error) => return WireResponse::error(&error),
    };
    let op = request.into_operation(driver.now(), seed);
    encode_result(driver.run(op))
}

/// Every exception an operation can answer (the wire layer's protocol errors aside): what the
/// model-conformance test checks against the operation's modelled errors.
#[must_use]
pub fn exceptions(operation: Op) -> &'static [Exception] {
    use Exception as E;
    match operation {
        Op::SignUp => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::Forbidden,
            E::TooManyRequests,
            E::NotAuthorized,
            E::UsernameExists,
            E::InvalidPassword,
            E::UserLambdaValidation,
            E::UnexpectedLambda,
            E::InvalidLambdaResponse,
            E::CodeDeliveryFailure,
            E::InternalError,
        ],
        Op::ConfirmSignUp => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::Forbidden,
            E::TooManyRequests,
            E::NotAuthorized,
            E::UserNotFound,
            E::LimitExceeded,
            E::TooManyFailedAttempts,
            E::CodeMismatch,
            E::ExpiredCode,
            E::AliasExists,
            E::UserLambdaValidation,
            E::UnexpectedLambda,
            E::InvalidLambdaResponse,
            E::InternalError,
        ],
        Op::ResendConfirmationCode => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::Forbidden,
            E::TooManyRequests,
            E::NotAuthorized,
            E::UserNotFound,
            E::LimitExceeded,
            E::CodeDeliveryFailure,
            E::UserLambdaValidation,
            E::UnexpectedLambda,
            E::InvalidLambdaResponse,
            E::InternalError,
        ],
        Op::AdminConfirmSignUp => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::TooManyRequests,
            E::NotAuthorized,
            E::UserNotFound,
            E::UserLambdaValidation,
            E::UnexpectedLambda,
            E::InvalidLambdaResponse,
            E::InternalError,
        ],
        Op::AdminGetUser | Op::AdminDisableUser | Op::AdminEnableUser | Op::AdminDeleteUser => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::UserNotFound,
            E::InternalError,
        ],
        Op::ListUsers => &[
            E::InvalidParameter,
            E::ResourceNotFound,
            E::OperationNotEnabled,
            E::InternalError,
        ],
        // Pool and client management.
        Op::CreateUserPool | Op::ListUserPools => &[E::InvalidParameter, E::InternalError],
        Op::DescribeUserPool
        | Op::UpdateUserPool
        | Op::DeleteUserPool
        | Op::CreateUserPoolClient
        | Op::DescribeUserPoolClient
        | Op::UpdateUserPoolClient
        | Op::DeleteUserPoolClient
        | Op::ListUserPoolClients => &[E::InvalidParameter, E::ResourceNotFound, E::InternalError],
    }
}

/// The protocol-level exceptions of the wire layer and its host, common to every operation of
/// an AWS JSON service and so in no operation's modelled error list.
pub const PROTOCOL_EXCEPTIONS: &[Exception] = &[
    Exception::Serialization,
    Exception::UnknownOperation,
    Exception::RequestEntityTooLarge,
    Exception::MissingAuthenticationToken,
    Exception::UnrecognizedClient,
    Exception::InvalidSignature,
];

pub mod model;

#[cfg(test)]
mod tests;

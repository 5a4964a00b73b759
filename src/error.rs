//! The one error type of the crate: a Cognito exception with its message.
//!
//! Every exception the crate can answer is listed once, in the table at the top of this file,
//! with its wire name and HTTP status. The table generates [`Exception`], its
//! [`name`](Exception::name) and [`status`](Exception::status), so the three cannot drift apart.
//! Messages are given where the error is raised; the fixed ones live in [`messages`] so that tests
//! and the implementation share one spelling.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// The error type of every host trait: whatever the host's failure is, boxed, so that it can be
/// kept as the `source` of an [`InternalErrorException`](Exception::InternalError).
pub type HostError = Box<dyn std::error::Error + Send + Sync + 'static>;

macro_rules! exceptions {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $status:literal; )+) => {
        /// A Cognito exception: the `__type` of an AWS JSON error body.
        ///
        /// The set is the union of the exceptions that the four registration operations and the
        /// admin reads of this crate can answer, plus the protocol-level errors of the wire layer
        /// and the SigV4 errors of a host that authenticates admin operations.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Exception {
            $( $(#[$doc])* $variant, )+
        }

        impl Exception {
            /// Every exception, in table order.
            pub const ALL: &'static [Exception] = &[ $( Exception::$variant, )+ ];

            /// The wire name, e.g. `"CodeMismatchException"`.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Exception::$variant => $name, )+ }
            }

            /// The HTTP status real Cognito answers with (400 for every client error, see
            /// `docs/behaviour.md` [wire-status]).
            #[must_use]
            pub const fn status(self) -> u16 {
                match self { $( Exception::$variant => $status, )+ }
            }

            /// Looks an exception up by its wire name.
            #[must_use]
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $( $name => Some(Exception::$variant), )+ _ => None }
            }
        }
    };
}

exceptions! {
    /// A verified alias (email or phone number) belongs to another user.
    AliasExists = "AliasExistsException", 400;
    /// The host could not deliver the confirmation code.
    CodeDeliveryFailure = "CodeDeliveryFailureException", 400;
    /// The confirmation code does not match.
    CodeMismatch = "CodeMismatchException", 400;
    /// The code has expired, or there is no live code.
    ExpiredCode = "ExpiredCodeException", 400;
    /// The host's request guard (the role AWS WAF plays) blocked the request.
    Forbidden = "ForbiddenException", 403;
    /// A host failure (store, directory) or exhausted retries.
    InternalError = "InternalErrorException", 500;
    /// A Lambda trigger answered something that is not the event shape.
    InvalidLambdaResponse = "InvalidLambdaResponseException", 400;
    /// The request failed validation, or asks for something the pool does not allow.
    InvalidParameter = "InvalidParameterException", 400;
    /// The password does not satisfy the pool's password policy.
    InvalidPassword = "InvalidPasswordException", 400;
    /// A per-user limit is exhausted (failed confirmations, resends).
    LimitExceeded = "LimitExceededException", 400;
    /// Wrong status, SecretHash problems, disabled user, sign-up not permitted.
    NotAuthorized = "NotAuthorizedException", 400;
    /// The host marked the operation as not enabled for the pool.
    OperationNotEnabled = "OperationNotEnabledException", 400;
    /// The app client or user pool does not exist.
    ResourceNotFound = "ResourceNotFoundException", 400;
    /// The current code took too many wrong guesses (hardened policy only).
    TooManyFailedAttempts = "TooManyFailedAttemptsException", 400;
    /// The pool's request-rate bucket is empty.
    TooManyRequests = "TooManyRequestsException", 400;
    /// A Lambda trigger could not be invoked.
    UnexpectedLambda = "UnexpectedLambdaException", 400;
    /// A Lambda trigger returned an error.
    UserLambdaValidation = "UserLambdaValidationException", 400;
    /// The user does not exist (or, for public operations, the LEGACY existence errors).
    UserNotFound = "UserNotFoundException", 400;
    /// SignUp for a username (or username attribute) that is taken.
    UsernameExists = "UsernameExistsException", 400;
    /// Wire layer: the body is not a JSON object of the right member types.
    Serialization = "SerializationException", 400;
    /// Wire layer: the `X-Amz-Target` names no operation of this service.
    UnknownOperation = "UnknownOperationException", 400;
    /// Wire layer: the body is larger than the 1 MiB a request may carry ([wire-protocol-errors]).
    RequestEntityTooLarge = "RequestEntityTooLargeException", 413;
    /// Host (SigV4): an admin request carries no signature.
    MissingAuthenticationToken = "MissingAuthenticationTokenException", 400;
    /// Host (SigV4): the access key of an admin request is unknown.
    UnrecognizedClient = "UnrecognizedClientException", 400;
    /// Host (SigV4): the signature of an admin request does not verify, or has expired.
    InvalidSignature = "InvalidSignatureException", 400;
}

/// A Cognito exception with its message and, for host failures, the underlying error.
///
/// `Display` prints the exception's wire name and the message, `Name: message`, e.g.
/// `CodeMismatchException: Invalid verification code provided, please try again.`; the wire
/// layer sends the two apart ([`name`](Self::name), [`message`](Self::message)). The message
/// never holds codes, tags, secrets, passwords or addresses; the `source` is kept for logs of
/// the host's own failures and is not part of the wire answer.
///
/// ```
/// use cognito_signup::{Error, Exception, error::messages};
/// let e = Error::new(Exception::CodeMismatch, messages::CODE_MISMATCH);
/// assert_eq!(
///     e.to_string(),
///     "CodeMismatchException: Invalid verification code provided, please try again."
/// );
/// ```
#[derive(Clone)]
pub struct Error {
    exception: Exception,
    message: Cow<'static, str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error with the given exception and message.
    #[must_use]
    pub fn new(exception: Exception, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            exception,
            message: message.into(),
            source: None,
        }
    }

    /// An `InternalErrorException` caused by a host failure, which is kept as the source.
    #[must_use]
    pub fn internal(source: HostError) -> Self {
        Self {
            exception: Exception::InternalError,
            message: Cow::Borrowed(messages::INTERNAL_ERROR),
            source: Some(Arc::from(source)),
        }
    }

    /// The same error with a host failure kept as its source.
    #[must_use]
    pub fn with_source(mut self, source: HostError) -> Self {
        self.source = Some(Arc::from(source));
        self
    }

    /// The exception.
    #[must_use]
    pub fn exception(&self) -> Exception {
        self.exception
    }

    /// The wire name of the exception, e.g. `"CodeMismatchException"`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.exception.name()
    }

    /// The HTTP status of the exception.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.exception.status()
    }

    /// The message, exactly as Cognito words it.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("exception", &self.exception.name())
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.exception.name(), self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl PartialEq for Error {
    /// Two errors are equal when their exception and message are; the source is not compared.
    fn eq(&self, other: &Self) -> bool {
        self.exception == other.exception && self.message == other.message
    }
}

impl Eq for Error {}

/// Cognito's fixed messages, spelled once.
pub mod messages {
    /// ExpiredCodeException.
    pub const EXPIRED_CODE: &str = "Invalid code provided, please request a code again.";
    /// CodeMismatchException.
    pub const CODE_MISMATCH: &str = "Invalid verification code provided, please try again.";
    /// LimitExceededException for per-user attempt limits.
    pub const ATTEMPT_LIMIT: &str = "Attempt limit exceeded, please try after some time.";
    /// TooManyFailedAttemptsException (hardened policy: the current code is dead).
    pub const TOO_MANY_FAILED_ATTEMPTS: &str =
        "Too many failed attempts for this code, please request a code again.";
    /// UserNotFoundException for public operations under LEGACY.
    pub const USERNAME_CLIENT_NOT_FOUND: &str = "Username/client id combination not found.";
    /// UserNotFoundException for admin operations.
    pub const USER_DOES_NOT_EXIST: &str = "User does not exist.";
    /// InvalidParameterException of ListUsers for a `Filter` that does not parse
    /// ([list-users-filter]).
    pub const FILTER_PARSE_ERROR: &str = "Error while parsing filter.";
    /// InvalidParameterException of ListUsers for an `AttributesToGet` name no user can have
    /// ([list-users-attributes]).
    pub const ATTRIBUTES_DO_NOT_EXIST: &str = "One or more requested attributes do not exist.";
    /// InvalidParameterException of ListUsers for a `PaginationToken` it did not issue
    /// ([list-users-pagination]).
    pub const INVALID_PAGINATION_TOKEN: &str = "Paging marker is invalid for request.";
    /// NotAuthorizedException for a disabled user.
    pub const USER_DISABLED: &str = "User is disabled.";
    /// InvalidParameterException for a resend to a confirmed user ([resend-confirmed]).
    pub const ALREADY_CONFIRMED: &str = "User is already confirmed.";
    /// TooManyRequestsException.
    pub const RATE_EXCEEDED: &str = "Rate exceeded";
    /// ForbiddenException.
    pub const WAF_BLOCK: &str = "Request not allowed due to WAF block.";
    /// OperationNotEnabledException.
    pub const OPERATION_NOT_ENABLED: &str = "This operation is not enabled for this user pool.";
    /// InvalidLambdaResponseException.
    pub const UNRECOGNIZABLE_LAMBDA_OUTPUT: &str = "Unrecognizable lambda output";
    /// NotAuthorizedException when the pool only allows admins to create users.
    pub const SIGN_UP_NOT_PERMITTED: &str = "SignUp is not permitted for this user pool";
    /// UsernameExistsException for a taken username.
    pub const USER_ALREADY_EXISTS: &str = "User already exists";
    /// InternalErrorException.
    pub const INTERNAL_ERROR: &str = "Internal error encountered.";
    /// InternalErrorException for a SignUp whose generated `sub` another user holds.
    pub const SUB_TAKEN: &str = "The generated sub is already taken: an operation's seed was reused, or the host's randomness repeats.";
    /// SerializationException for a body that is not JSON.
    pub const BODY_NOT_JSON: &str = "The request body is not valid JSON.";
    /// SerializationException for a body that is JSON but not an object.
    pub const BODY_NOT_OBJECT: &str = "The request body must be a JSON object.";
    /// UnknownOperationException.
    pub const UNKNOWN_OPERATION: &str =
        "The X-Amz-Target header names no operation of this service.";
    /// RequestEntityTooLargeException.
    pub const REQUEST_TOO_LARGE: &str = "The request body is larger than 1048576 bytes.";
    /// MissingAuthenticationTokenException (AWS's text).
    pub const MISSING_AUTHENTICATION_TOKEN: &str = "Request is missing Authentication Token";
    /// UnrecognizedClientException (AWS's text).
    pub const UNRECOGNIZED_CLIENT: &str = "The security token included in the request is invalid.";
    /// InvalidSignatureException for a signature that does not verify (AWS's text).
    pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
}

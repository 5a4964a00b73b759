//! The error every start-up step returns: a message for the operator, printed as `error: ...`.

/// Any error of a start-up step, as the message printed to stderr.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

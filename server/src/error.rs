//! The error every start-up step returns: a message for the operator, printed as `error: ...`.

/// Any error, as text for stderr; never one that carries a secret's value.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

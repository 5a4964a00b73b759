//! The sans-IO core: every operation is a state machine that says what it needs next and is
//! resumed with the answer.
//!
//! An operation is created with its request and the time (`now`, read once by whoever drives it)
//! and, for SignUp and ResendConfirmationCode, a [`Seed`](crate::Seed). Then:
//!
//! ```text
//! let mut step = op.start();            // consumes the operation
//! loop {
//!     match step {
//!         Step::Done(result) => break result,
//!         Step::Need(Need::Find(find)) => step = find.answer_result(store.find(find.pool_id(), find.keys())),
//!         Step::Need(Need::Hash(hash)) => step = hash.hash_with(&hasher), // CPU-heavy
//!         // ... one arm per kind of need
//!     }
//! }
//! ```
//!
//! Each [`Need`] holds a typed continuation that owns the suspended operation: it shows the
//! request by reference and takes only the answer its request takes, so a wrong answer, or a
//! resume before the start or after the end, does not compile. Every step is cheap
//! (microseconds) except the answer to [`Need::Hash`] (SignUp's password hash). The core never does
//! I/O, never reads a clock and never draws randomness: given the same request, time, seed and
//! answers, it asks the same questions and reaches the same result.

mod admin;
mod confirm;
mod gate;
mod list_users;
mod resend;
mod sign_up;
mod support;

pub use admin::{
    AdminConfirmSignUp, AdminDeleteUser, AdminDisableUser, AdminEnableUser, AdminGetUser,
    admin_get_user_response,
};
pub use confirm::ConfirmSignUp;
pub use list_users::{LIST_USERS_DEFAULT_LIMIT, list_users};
pub use resend::ResendConfirmationCode;
pub use sign_up::SignUp;

pub use crate::protocol::{
    CheckGuard, CommitChanges, CountHiddenResend, DeliverMessage, FindUser, HashPassword,
    InvokeLambda, LookUpClient, LookUpPool, Need, Operation, Step, TakeToken,
};

//! The protocol between the core and its host: an [`Operation`] is started into a [`Step`];
//! each [`Need`] holds a typed continuation that takes exactly the answer its request takes.

pub(crate) mod machine;
mod step;

pub use step::{
    CheckGuard, CommitChanges, CountHiddenResend, DeliverMessage, FindUser, HashPassword,
    InvokeLambda, LookUpClient, LookUpPool, Need, Operation, Step, TakeToken,
};

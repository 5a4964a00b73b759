//! The protocol between the core and its host, and nothing else: an [`Operation`] is started
//! into a [`Step`]; each [`Need`] holds a typed continuation that takes exactly the answer its
//! request takes. The requests themselves (a guard's, a throttle's, a Lambda invocation, a
//! message, a store's [`Commit`]) are here too. No reference implementation is imported here.

mod commit;
pub(crate) mod machine;
mod requests;
mod step;

pub(crate) use commit::KeyList;
pub use commit::{
    CatalogOutcome, CatalogVersion, ClientVersion, Commit, CommitOutcome, IndexKey, IndexWrite,
    RecordRemoval, RecordWrite, Versioned,
};
pub use requests::{
    Bucket, ClientContext, GuardRequest, GuardVerdict, HiddenResendRequest, InvokeFailure,
    LambdaInvocation, LambdaReply, Message, PoolContext, SKETCH_ROWS, ThrottleRequest, Trigger,
};
pub use step::{
    CheckGuard, CommitChanges, CountHiddenResend, DeliverMessage, FindUser, HashPassword,
    InvokeLambda, LookUpClient, LookUpPool, Need, Operation, Step, TakeToken,
};

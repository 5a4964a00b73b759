//! Lambda invokers: one that invokes nothing and one that records and answers for tests.

use crate::host::LambdaInvoker;
use crate::protocol::{InvokeFailure, LambdaInvocation, LambdaReply};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// An invoker for hosts without Lambda: a configured trigger cannot be invoked
/// (UnexpectedLambdaException with AccessDeniedException, as when Cognito lacks permission).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoLambda;

impl LambdaInvoker for NoLambda {
    fn invoke(&self, _: &LambdaInvocation) -> LambdaReply {
        LambdaReply::InvokeFailed(InvokeFailure::AccessDenied)
    }
}

type LambdaHandler = dyn Fn(&LambdaInvocation) -> LambdaReply + Send + Sync;

/// An invoker that records every invocation and answers with a handler (by default: echo the
/// event back, which is what a trigger that changes nothing returns). The handler can be
/// replaced between calls ([`answer`](Self::answer)).
pub struct RecordingLambda {
    calls: Mutex<Vec<LambdaInvocation>>,
    handler: Mutex<Arc<LambdaHandler>>,
}

impl fmt::Debug for RecordingLambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordingLambda").finish_non_exhaustive()
    }
}

impl Default for RecordingLambda {
    fn default() -> Self {
        Self::echo()
    }
}

impl RecordingLambda {
    /// Records and returns each event unchanged.
    #[must_use]
    pub fn echo() -> Self {
        Self::with_handler(|inv| LambdaReply::Returned(inv.payload.clone().into_bytes()))
    }

    /// Records and answers with `handler`.
    #[must_use]
    pub fn with_handler(
        handler: impl Fn(&LambdaInvocation) -> LambdaReply + Send + Sync + 'static,
    ) -> Self {
        Self {
            calls: Mutex::new(Vec::new()),
            handler: Mutex::new(Arc::new(handler)),
        }
    }

    /// Answers later invocations with `handler` instead.
    pub fn answer(
        &self,
        handler: impl Fn(&LambdaInvocation) -> LambdaReply + Send + Sync + 'static,
    ) {
        *self.handler.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(handler);
    }

    /// Every invocation so far.
    #[must_use]
    pub fn calls(&self) -> Vec<LambdaInvocation> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl LambdaInvoker for RecordingLambda {
    fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(invocation.clone());
        }
        // The handler runs outside the lock: it may itself look at this invoker.
        let handler = Arc::clone(&self.handler.lock().unwrap_or_else(PoisonError::into_inner));
        handler(invocation)
    }
}

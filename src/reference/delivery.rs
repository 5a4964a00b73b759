//! Deliveries: one that sends nothing and one that records for tests.

use crate::error::HostError;
use crate::host::Delivery;
use crate::protocol::Message;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// Delivery that drops every message (for hosts that do not send codes, e.g. pools without
/// AutoVerifiedAttributes).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDelivery;

impl Delivery for NoDelivery {
    fn deliver(&self, _: &Message) -> Result<(), HostError> {
        Ok(())
    }
}

/// Delivery that keeps every message in memory (for tests: read the code back).
#[derive(Debug, Default)]
pub struct RecordingDelivery {
    sent: Mutex<Vec<Message>>,
    fail: std::sync::atomic::AtomicBool,
}

/// The failure [`RecordingDelivery`] reports when told to fail.
#[derive(Debug, thiserror::Error)]
#[error("delivery is switched off")]
pub struct DeliverySwitchedOff;

impl RecordingDelivery {
    /// Keeps every message.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message so far.
    #[must_use]
    pub fn messages(&self) -> Vec<Message> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The newest message.
    #[must_use]
    pub fn last(&self) -> Option<Message> {
        self.sent.lock().ok().and_then(|s| s.last().cloned())
    }

    /// Makes every later delivery fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.fail.store(failing, Ordering::SeqCst);
    }
}

impl Delivery for RecordingDelivery {
    fn deliver(&self, message: &Message) -> Result<(), HostError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(Box::new(DeliverySwitchedOff));
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(message.clone());
        }
        Ok(())
    }
}

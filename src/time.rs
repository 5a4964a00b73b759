//! Wall-clock time as the core sees it: a value passed in, never read by the core itself.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A point in wall-clock time: milliseconds since the Unix epoch.
///
/// Code expiry and attempt windows survive restarts, so they are wall-clock, not `Instant`. The
/// core never reads a clock: the driver reads [`Clock`](crate::Clock) once per operation and
/// passes the value in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// A timestamp `millis` milliseconds after the Unix epoch.
    #[must_use]
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// A timestamp `secs` seconds after the Unix epoch.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds since the Unix epoch, with milliseconds as the fraction (as AWS prints dates).
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        // u64 -> f64 loses precision only past 2^53 ms (year 285,000).
        #[allow(clippy::cast_precision_loss)]
        let millis = self.0 as f64;
        millis / 1000.0
    }

    /// This timestamp moved `d` later, saturating at the end of time.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        let millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(millis))
    }

    /// This timestamp moved `d` earlier, saturating at the epoch.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        let millis = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_sub(millis))
    }

    /// How long after `earlier` this timestamp is; zero if it is not after it.
    #[must_use]
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

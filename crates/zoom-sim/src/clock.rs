//! Wall time, injected: token expiry, the daily limit's reset and every timestamp the simulator
//! writes come from a [`Clock`], so tests can move time without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch (the same shape as the runtime crate's clock).
pub trait Clock: Send + Sync + 'static {
    /// The current time in epoch milliseconds.
    fn now_ms(&self) -> i64;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that only moves when told, for tests.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `ms` epoch milliseconds.
    pub fn at(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    /// Puts the clock at `ms` epoch milliseconds.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Formats epoch milliseconds the way Zoom writes times: `yyyy-MM-ddTHH:mm:ssZ`, UTC, no fraction.
pub(crate) fn zoom_time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => String::from("1970-01-01T00:00:00Z"),
    }
}

/// The epoch milliseconds of the next 00:00 UTC after `ms` (when Zoom's daily limits reset).
pub(crate) fn next_utc_midnight_ms(ms: i64) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    (ms.div_euclid(DAY_MS) + 1) * DAY_MS
}

/// The UTC calendar day of `ms`, as `yyyy-mm-dd`.
pub(crate) fn utc_day(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%d").to_string(),
        Err(_) => String::from("1970-01-01"),
    }
}

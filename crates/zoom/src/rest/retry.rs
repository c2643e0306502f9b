//! When to try a call again, and how long to wait.
//!
//! 5xx answers, timeouts and broken connections are retried with exponential backoff and full
//! jitter (so many clients hit by one outage do not come back in step) — for idempotent methods
//! only, unless configured otherwise: a `POST` that timed out may have created the meeting.
//! 429 is always retried (Zoom refused the call before doing anything), after `Retry-After`, which
//! Zoom sends as seconds or as a date.

use std::time::Duration;

use rand::Rng;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How a client retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles per retry up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails with
    /// [`ZoomError::RateLimited`](super::ZoomError::RateLimited) and the caller decides.
    pub max_retry_after: Duration,
    /// Retry `POST` after a 5xx or a timeout too (may create twice).
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// The delay before retry number `retry` (1-based): uniformly random in `[0, ceiling]` where
    /// the ceiling is `base_delay * 2^(retry-1)`, capped at `max_delay` ("full jitter").
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let ceiling = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// A `Retry-After` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: 3`.
    Delay(Duration),
    /// `Retry-After: 2025-12-02T00:00:00Z` (Zoom's daily limits) or an HTTP date.
    At(OffsetDateTime),
}

impl RetryAfter {
    /// Reads a header value: whole seconds, an ISO-8601 / RFC 3339 date-time, or an HTTP date.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            return value.parse().ok().map(|s| RetryAfter::Delay(Duration::from_secs(s)));
        }
        if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
            return Some(RetryAfter::At(at));
        }
        let system = httpdate::parse_http_date(value).ok()?;
        Some(RetryAfter::At(OffsetDateTime::from(system)))
    }

    /// How long to wait from `now`; a date in the past means now.
    pub fn delay_from(&self, now: OffsetDateTime) -> Duration {
        match self {
            RetryAfter::Delay(d) => *d,
            RetryAfter::At(at) => {
                let left = *at - now;
                left.try_into().unwrap_or(Duration::ZERO)
            }
        }
    }
}

/// Whether a 429 is a daily limit (the per-user meeting create/update limit, or an account's daily
/// quota) rather than a per-second one. Zoom documents `X-RateLimit-Type: Daily-limit`, but has
/// been seen to answer the daily meeting limit with the body alone, whose message names it.
pub(crate) fn is_daily_limit(limit_type: Option<&str>, message: &str) -> bool {
    limit_type.is_some_and(|t| t.trim().eq_ignore_ascii_case("daily-limit"))
        || message.to_ascii_lowercase().contains("daily rate limit")
}

/// The next 00:00 UTC after `now`, when Zoom's daily limits reset.
pub fn next_utc_midnight(now: OffsetDateTime) -> OffsetDateTime {
    let today = now.to_offset(time::UtcOffset::UTC).date();
    let tomorrow = today.next_day().unwrap_or(today);
    tomorrow.midnight().assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_as_seconds_an_iso_date_or_an_http_date() {
        assert_eq!(RetryAfter::parse("3"), Some(RetryAfter::Delay(Duration::from_secs(3))));
        let iso = RetryAfter::parse("2025-12-02T00:00:00Z").expect("iso date");
        let now = OffsetDateTime::parse("2025-12-01T23:59:30Z", &Rfc3339).expect("now");
        assert_eq!(iso.delay_from(now), Duration::from_secs(30));
        let http = RetryAfter::parse("Tue, 02 Dec 2025 00:00:00 GMT").expect("http date");
        assert_eq!(http, iso);
        assert_eq!(iso.delay_from(now + time::Duration::hours(1)), Duration::ZERO);
        assert_eq!(RetryAfter::parse("soon"), None);
        assert_eq!(RetryAfter::parse(""), None);
    }

    #[test]
    fn backoff_stays_under_a_doubling_ceiling_capped_at_the_maximum() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(9) <= Duration::from_millis(350));
        }
        let spread: std::collections::HashSet<Duration> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "jittered, not constant");
    }

    #[test]
    fn a_daily_limit_is_told_by_its_header_or_by_its_message() {
        let per_second = "You have reached the maximum per-second rate limit for this API. Try again later.";
        let daily = "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted \
                     for this particular user. You may resume these requests at GMT 00:00:00.";
        assert!(is_daily_limit(Some("Daily-limit"), ""));
        assert!(is_daily_limit(None, daily));
        assert!(!is_daily_limit(Some("QPS"), per_second));
        assert!(!is_daily_limit(None, per_second));
    }

    #[test]
    fn the_daily_limit_resets_at_the_next_utc_midnight() {
        let now = OffsetDateTime::parse("2025-12-01T10:00:00+03:00", &Rfc3339).expect("now");
        assert_eq!(next_utc_midnight(now), OffsetDateTime::parse("2025-12-02T00:00:00Z", &Rfc3339).expect("midnight"));
    }
}

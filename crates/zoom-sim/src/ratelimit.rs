//! Zoom's rate limits: a per-second budget per API category, shared by the whole account, and a
//! daily budget of meeting creates plus updates per host user that resets at 00:00 UTC.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::clock::{next_utc_midnight_ms, utc_day, zoom_time};
use crate::config::RateLimits;
use crate::error::ApiError;
use std::collections::BTreeMap;

use crate::store::Store;

/// Zoom's API rate-limit categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Category {
    Light,
    Medium,
    Heavy,
}

impl Category {
    const ALL: [Category; 3] = [Category::Light, Category::Medium, Category::Heavy];

    /// The name Zoom writes in `X-RateLimit-Category`.
    pub fn name(self) -> &'static str {
        match self {
            Category::Light => "Light",
            Category::Medium => "Medium",
            Category::Heavy => "Heavy",
        }
    }

    fn index(self) -> usize {
        match self {
            Category::Light => 0,
            Category::Medium => 1,
            Category::Heavy => 2,
        }
    }

    fn limit(self, limits: &RateLimits) -> u32 {
        match self {
            Category::Light => limits.light_per_second,
            Category::Medium => limits.medium_per_second,
            Category::Heavy => limits.heavy_per_second,
        }
    }
}

/// Counters of one category, for inspection.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryCounters {
    pub category: Category,
    /// Requests allowed per second (0 = unlimited).
    pub limit: u32,
    /// Requests counted in the window now open.
    pub in_current_window: u32,
    pub allowed: u64,
    pub rejected: u64,
}

/// One user's creates plus updates on one UTC day.
#[derive(Debug, Clone, Serialize)]
pub struct DailyCount {
    pub user_id: String,
    pub day: String,
    pub count: u32,
}

/// What the rate limiter has seen.
#[derive(Debug, Clone, Serialize)]
pub struct RateLimitSnapshot {
    pub categories: Vec<CategoryCounters>,
    pub daily_limit: u32,
    pub daily: Vec<DailyCount>,
    pub daily_rejected: u64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    started: Option<Instant>,
    count: u32,
    allowed: u64,
    rejected: u64,
}

/// Per-second windows per category. A window opens with its first request and lasts one second, so
/// a burst is judged the same wherever it falls on the clock (tests do not flake on a boundary).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: [Window; 3],
    daily_rejected: u64,
}

impl RateLimiter {
    /// Counts one request of `category`, or refuses it with Retry-After in whole seconds.
    pub fn check(&mut self, category: Category, limits: &RateLimits) -> Result<(), ApiError> {
        let limit = category.limit(limits);
        let window = &mut self.windows[category.index()];
        let now = Instant::now();
        let elapsed = window.started.map(|s| now.duration_since(s));
        if elapsed.is_none_or(|e| e >= Duration::from_secs(1)) {
            window.started = Some(now);
            window.count = 0;
        }
        if limit > 0 && window.count >= limit {
            window.rejected += 1;
            let left = Duration::from_secs(1).saturating_sub(elapsed.unwrap_or_default());
            let retry_after_secs = left.as_secs_f64().ceil().max(1.0) as u64;
            return Err(ApiError::RateLimited { retry_after_secs, category: category.name(), limit });
        }
        window.count += 1;
        window.allowed += 1;
        Ok(())
    }

    pub fn note_daily_rejection(&mut self) {
        self.daily_rejected += 1;
    }

    pub fn snapshot(&self, limits: &RateLimits, daily_writes: &BTreeMap<String, u32>) -> RateLimitSnapshot {
        let categories = Category::ALL
            .iter()
            .map(|&category| {
                let w = self.windows[category.index()];
                let open = w.started.is_some_and(|s| s.elapsed() < Duration::from_secs(1));
                CategoryCounters {
                    category,
                    limit: category.limit(limits),
                    in_current_window: if open { w.count } else { 0 },
                    allowed: w.allowed,
                    rejected: w.rejected,
                }
            })
            .collect();
        let daily = daily_writes
            .iter()
            .filter_map(|(key, &count)| {
                let (user_id, day) = key.split_once('|')?;
                Some(DailyCount { user_id: user_id.to_string(), day: day.to_string(), count })
            })
            .collect();
        RateLimitSnapshot {
            categories,
            daily_limit: limits.daily_meeting_writes_per_user,
            daily,
            daily_rejected: self.daily_rejected,
        }
    }
}

fn daily_key(user_id: &str, now_ms: i64) -> String {
    format!("{user_id}|{}", utc_day(now_ms))
}

/// Refuses a create/update when the host already used today's budget; Retry-After is the next
/// 00:00 UTC as an ISO-8601 date-time.
pub(crate) fn check_daily(store: &Store, user_id: &str, now_ms: i64, limits: &RateLimits) -> Result<(), ApiError> {
    let limit = limits.daily_meeting_writes_per_user;
    if limit == 0 {
        return Ok(());
    }
    let used = store.daily_writes.get(&daily_key(user_id, now_ms)).copied().unwrap_or(0);
    if used >= limit {
        let reset_at = zoom_time(next_utc_midnight_ms(now_ms));
        return Err(ApiError::DailyLimit { reset_at, limit, headers: limits.daily_limit_headers });
    }
    Ok(())
}

/// Counts a successful create/update against the host's day, forgetting earlier days.
pub(crate) fn count_daily(store: &mut Store, user_id: &str, now_ms: i64) {
    let today = utc_day(now_ms);
    store.daily_writes.retain(|key, _| key.ends_with(&today));
    *store.daily_writes.entry(daily_key(user_id, now_ms)).or_insert(0) += 1;
}

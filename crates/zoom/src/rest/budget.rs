//! A per-account rate budget per Zoom rate-limit category, so one service cannot spend the whole
//! account's limits (Zoom counts them per account, shared by every app of the account).
//!
//! Each category is a token bucket: a call takes a token, waiting for one if the bucket is empty;
//! a 429 pauses the category until its `Retry-After` so concurrent calls do not hammer Zoom.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Zoom's rate-limit categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Get/update/delete a meeting, get a meeting's recordings.
    Light,
    /// Create a meeting, list a user's recordings.
    Medium,
    Heavy,
}

impl Category {
    fn index(self) -> usize {
        match self {
            Category::Light => 0,
            Category::Medium => 1,
            Category::Heavy => 2,
        }
    }
}

/// Calls per second this process may make per category and account. The defaults are half of
/// Zoom Pro's account limits (30/20/10), leaving the rest to other apps of the account; 0 means
/// no budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetConfig {
    pub light_per_second: f64,
    pub medium_per_second: f64,
    pub heavy_per_second: f64,
    /// A call that would wait longer than this for its budget fails with `RateLimited` instead.
    pub max_wait: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            light_per_second: 15.0,
            medium_per_second: 10.0,
            heavy_per_second: 5.0,
            max_wait: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
struct Bucket {
    rate: f64,
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
}

impl Bucket {
    fn new(rate: f64) -> Self {
        Self { rate, tokens: rate.max(1.0), refilled: Instant::now(), paused_until: None }
    }

    /// Takes a token now and says how long the caller must wait before using it.
    fn reserve(&mut self, now: Instant) -> Duration {
        let pause = self.paused_until.filter(|p| *p > now).map(|p| p - now).unwrap_or_default();
        if self.rate <= 0.0 {
            return pause;
        }
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate.max(1.0));
        self.refilled = now;
        self.tokens -= 1.0;
        let wait = if self.tokens >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-self.tokens / self.rate) };
        wait.max(pause)
    }

    fn give_back(&mut self) {
        if self.rate > 0.0 {
            self.tokens += 1.0;
        }
    }
}

/// The budgets of one account.
#[derive(Debug)]
pub(crate) struct Budget {
    buckets: [Mutex<Bucket>; 3],
    max_wait: Duration,
}

impl Budget {
    pub fn new(config: &BudgetConfig) -> Self {
        Self {
            buckets: [
                Mutex::new(Bucket::new(config.light_per_second)),
                Mutex::new(Bucket::new(config.medium_per_second)),
                Mutex::new(Bucket::new(config.heavy_per_second)),
            ],
            max_wait: config.max_wait,
        }
    }

    fn bucket(&self, category: Category) -> std::sync::MutexGuard<'_, Bucket> {
        self.buckets[category.index()].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a token of `category`; `Err(wait)` when that would take longer than allowed.
    pub async fn acquire(&self, category: Category) -> Result<(), Duration> {
        let wait = self.bucket(category).reserve(Instant::now());
        if wait > self.max_wait {
            self.bucket(category).give_back();
            return Err(wait);
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Zoom said to wait: nobody in this process calls `category` before `until`.
    pub fn pause(&self, category: Category, delay: Duration) {
        let until = Instant::now() + delay;
        let mut bucket = self.bucket(category);
        if bucket.paused_until.is_none_or(|p| p < until) {
            bucket.paused_until = Some(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_beyond_the_budget_is_spread_over_time() {
        let budget = Budget::new(&BudgetConfig { medium_per_second: 5.0, ..BudgetConfig::default() });
        let started = Instant::now();
        for _ in 0..15 {
            budget.acquire(Category::Medium).await.expect("within max wait");
        }
        // 5 at once, then 10 more at 5/s.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(1990) && took <= Duration::from_millis(2100), "{took:?}");
        // Light has its own bucket.
        let before = Instant::now();
        budget.acquire(Category::Light).await.expect("light");
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_call_of_the_category_and_a_long_wait_is_refused() {
        let budget = Budget::new(&BudgetConfig { max_wait: Duration::from_secs(5), ..BudgetConfig::default() });
        budget.pause(Category::Light, Duration::from_secs(2));
        let before = Instant::now();
        budget.acquire(Category::Light).await.expect("waits");
        assert!(before.elapsed() >= Duration::from_secs(2));
        budget.pause(Category::Light, Duration::from_secs(60));
        assert!(budget.acquire(Category::Light).await.is_err());
    }
}

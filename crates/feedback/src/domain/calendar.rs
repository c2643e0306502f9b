//! Business days on the employee's own calendar and clock.
//!
//! A business day is Monday to Friday and not one of the configured holidays. Reminders are
//! computed on local dates and a local time of day, and only then turned into an instant, so "10:00
//! in Tokyo" stays 10:00 whatever the UTC offset of that day. A local time that does not exist
//! (the hour skipped when clocks spring forward) resolves to the same wall-clock distance after
//! the gap, an ambiguous one (the hour repeated in autumn) to the earlier instant: jiff's
//! "compatible" disambiguation, as RFC 5545 and Temporal do.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

/// Days off besides weekends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<Date>,
}

/// A date or instant outside what the calendar can represent (years beyond 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the date is out of the supported range")]
pub struct OutOfRange;

impl Calendar {
    pub fn new(holidays: impl IntoIterator<Item = Date>) -> Self {
        Self { holidays: holidays.into_iter().collect() }
    }

    /// Reads `2026-12-25,2027-01-01` (blanks around entries ignored; empty is no holiday).
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut holidays = BTreeSet::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let date: Date = entry.parse().map_err(|e| format!("{entry:?} is not a date (YYYY-MM-DD): {e}"))?;
            holidays.insert(date);
        }
        Ok(Self { holidays })
    }

    /// The same calendar with `more` days off as well.
    pub fn with_holidays(&self, more: impl IntoIterator<Item = Date>) -> Self {
        let mut holidays = self.holidays.clone();
        holidays.extend(more);
        Self { holidays }
    }

    pub fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.holidays.contains(&date)
    }

    /// The first business day after `date`.
    pub fn next_business_day(&self, date: Date) -> Result<Date, OutOfRange> {
        let mut day = date.tomorrow().map_err(|_| OutOfRange)?;
        // Bounded: between two business days lie at most a weekend and every holiday.
        for _ in 0..=self.holidays.len() + 3 {
            if self.is_business_day(day) {
                return Ok(day);
            }
            day = day.tomorrow().map_err(|_| OutOfRange)?;
        }
        Err(OutOfRange)
    }

    /// `date` if it is a business day, else the next one.
    pub fn on_or_after(&self, date: Date) -> Result<Date, OutOfRange> {
        if self.is_business_day(date) { Ok(date) } else { self.next_business_day(date) }
    }

    /// The `n`-th business day after `date` (`n` = 0 is `date` itself).
    pub fn add_business_days(&self, date: Date, n: u32) -> Result<Date, OutOfRange> {
        let mut day = date;
        for _ in 0..n {
            day = self.next_business_day(day)?;
        }
        Ok(day)
    }
}

/// The local date of the instant `ms` in `zone`.
pub fn local_date(ms: i64, zone: &TimeZone) -> Result<Date, OutOfRange> {
    let at = Timestamp::from_millisecond(ms).map_err(|_| OutOfRange)?;
    Ok(at.to_zoned(zone.clone()).date())
}

/// The instant of wall-clock `time` on `date` in `zone`, in epoch milliseconds.
pub fn at_local(date: Date, time: Time, zone: &TimeZone) -> Result<i64, OutOfRange> {
    let zoned = zone.to_ambiguous_zoned(date.to_datetime(time)).compatible().map_err(|_| OutOfRange)?;
    Ok(zoned.timestamp().as_millisecond())
}

/// The start of the day after `date` in `zone` (the end of `date`), in epoch milliseconds.
pub fn end_of_day(date: Date, zone: &TimeZone) -> Result<i64, OutOfRange> {
    at_local(date.tomorrow().map_err(|_| OutOfRange)?, Time::midnight(), zone)
}

/// An IANA zone by name; `None` for an empty or unknown name.
pub fn zone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() { None } else { TimeZone::get(name).ok() }
}

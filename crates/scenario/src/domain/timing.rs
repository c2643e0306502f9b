//! When a stage is due: an offset from the assignment's start date (working days, weeks or
//! months) or a weekly recurrence, computed on the employee's local calendar and clock and only
//! then turned into an instant, so "10:00 in Berlin" stays 10:00 across a DST change.
//!
//! Working days are Monday to Friday minus the scenario's holidays. A due date that lands on a
//! day off moves forward to the next working day. A local time that does not exist on a given day
//! (the hour skipped when clocks spring forward) resolves to the same wall-clock distance after
//! the gap (RFC 5545 / Temporal "compatible"): 02:30 becomes 03:30; an ambiguous time (the hour
//! repeated in autumn) takes the earlier instant.

use std::collections::BTreeSet;

use jiff::ToSpan;
use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

/// Largest offsets and recurrence length: onboarding lasts months, not years.
pub const MAX_BUSINESS_DAYS: u32 = 260;
pub const MAX_WEEKS: u32 = 104;
pub const MAX_MONTHS: u32 = 24;
pub const MAX_OCCURRENCES: u32 = 52;
/// The time of day a stage is due when none is given.
pub const DEFAULT_LOCAL_TIME: Time = Time::constant(10, 0, 0, 0);

/// The unit of an [`Timing::Offset`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetUnit {
    BusinessDays,
    Weeks,
    Months,
}

impl OffsetUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            OffsetUnit::BusinessDays => "business_days",
            OffsetUnit::Weeks => "weeks",
            OffsetUnit::Months => "months",
        }
    }

    pub fn parse(text: &str) -> Option<OffsetUnit> {
        [OffsetUnit::BusinessDays, OffsetUnit::Weeks, OffsetUnit::Months].into_iter().find(|u| u.as_str() == text)
    }

    pub fn max(self) -> u32 {
        match self {
            OffsetUnit::BusinessDays => MAX_BUSINESS_DAYS,
            OffsetUnit::Weeks => MAX_WEEKS,
            OffsetUnit::Months => MAX_MONTHS,
        }
    }
}

/// When a stage is due, relative to an assignment's start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Timing {
    Offset {
        unit: OffsetUnit,
        amount: u32,
        at: Time,
    },
    Weekly {
        #[serde(with = "weekday_serde")]
        weekday: Weekday,
        at: Time,
        occurrences: u32,
    },
}

impl Timing {
    pub fn is_recurring(&self) -> bool {
        matches!(self, Timing::Weekly { .. })
    }
}

/// The scenario's days off besides weekends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holidays(pub BTreeSet<Date>);

impl Holidays {
    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.0.contains(&date)
    }

    /// `date` if it is a working day, else the next one.
    pub fn on_or_after(&self, mut date: Date) -> Result<Date, TimingError> {
        // Bounded: at most a run of holidays plus weekends lies between two working days.
        for _ in 0..=self.0.len() + 3 {
            if self.is_working_day(date) {
                return Ok(date);
            }
            date = date.tomorrow().map_err(|_| TimingError::OutOfRange)?;
        }
        Err(TimingError::OutOfRange)
    }

    /// The working day after `date`.
    fn next_after(&self, date: Date) -> Result<Date, TimingError> {
        self.on_or_after(date.tomorrow().map_err(|_| TimingError::OutOfRange)?)
    }
}

/// One due occurrence of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// 1-based.
    pub occurrence: u32,
    /// The local date in the employee's time zone.
    pub date: Date,
    /// The instant, epoch milliseconds.
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimingError {
    #[error("the due date is out of the supported range")]
    OutOfRange,
}

/// Every due occurrence of `timing` for an assignment starting on `start` in `zone`.
pub fn schedule(
    timing: &Timing,
    start: Date,
    zone: &jiff::tz::TimeZone,
    holidays: &Holidays,
) -> Result<Vec<Due>, TimingError> {
    let dates: Vec<(Date, Time)> = match *timing {
        Timing::Offset { unit, amount, at } => vec![(offset_date(unit, amount, start, holidays)?, at)],
        Timing::Weekly { weekday, at, occurrences } => {
            let first = if start.weekday() == weekday {
                start
            } else {
                start.nth_weekday(1, weekday).map_err(|_| TimingError::OutOfRange)?
            };
            let mut dates = Vec::with_capacity(occurrences as usize);
            for n in 0..occurrences {
                let day = first.checked_add((7 * i64::from(n)).days()).map_err(|_| TimingError::OutOfRange)?;
                dates.push((holidays.on_or_after(day)?, at));
            }
            dates
        }
    };
    dates
        .into_iter()
        .enumerate()
        .map(|(index, (date, at))| {
            let zoned = date.to_datetime(at).to_zoned(zone.clone()).map_err(|_| TimingError::OutOfRange)?;
            Ok(Due { occurrence: index as u32 + 1, date, at_ms: zoned.timestamp().as_millisecond() })
        })
        .collect()
}

fn offset_date(unit: OffsetUnit, amount: u32, start: Date, holidays: &Holidays) -> Result<Date, TimingError> {
    match unit {
        OffsetUnit::BusinessDays => {
            let mut day = holidays.on_or_after(start)?;
            for _ in 0..amount {
                day = holidays.next_after(day)?;
            }
            Ok(day)
        }
        OffsetUnit::Weeks => holidays
            .on_or_after(start.checked_add((7 * i64::from(amount)).days()).map_err(|_| TimingError::OutOfRange)?),
        // jiff clamps the day to the month's end (Jan 31 + 1 month = Feb 28/29).
        OffsetUnit::Months => {
            holidays.on_or_after(start.checked_add(i64::from(amount).months()).map_err(|_| TimingError::OutOfRange)?)
        }
    }
}

/// Parses "HH:MM" (or "HH:MM:SS").
pub fn parse_local_time(text: &str) -> Result<Time, String> {
    let text = text.trim();
    let valid_shape = text.len() >= 4 && text.chars().all(|c| c.is_ascii_digit() || c == ':') && text.contains(':');
    let parsed = if valid_shape { text.parse::<Time>().ok() } else { None };
    parsed.ok_or_else(|| format!("{text:?} is not a local time HH:MM"))
}

/// "HH:MM", or "HH:MM:SS" when seconds are set.
pub fn format_local_time(time: Time) -> String {
    if time.second() == 0 {
        format!("{:02}:{:02}", time.hour(), time.minute())
    } else {
        format!("{:02}:{:02}:{:02}", time.hour(), time.minute(), time.second())
    }
}

/// Parses "YYYY-MM-DD".
pub fn parse_date(text: &str) -> Result<Date, String> {
    let text = text.trim();
    let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    let parsed = if shaped { text.parse::<Date>().ok() } else { None };
    parsed.ok_or_else(|| format!("{text:?} is not a date YYYY-MM-DD"))
}

pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

pub fn parse_weekday(text: &str) -> Option<Weekday> {
    let all = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    all.into_iter().find(|w| weekday_name(*w) == text.trim().to_lowercase())
}

/// jiff's `Weekday` has no serde support: stored as its lower-case name.
mod weekday_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(day: &jiff::civil::Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::weekday_name(*day))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<jiff::civil::Weekday, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_weekday(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a weekday")))
    }
}

#[cfg(test)]
#[path = "timing_tests.rs"]
mod tests;

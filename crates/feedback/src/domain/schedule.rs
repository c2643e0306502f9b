//! A request's deadline and reminders, on the employee's calendar.
//!
//! Reminder `k` (1-based) is due `k × interval` business days after the day the request was made,
//! at the set local hour — so never at a weekend or on a holiday, and always at that hour in the
//! employee's zone whatever DST did in between. At most `max_reminders` are sent, and none at or
//! after the deadline. The deadline is the end of the `expiry_business_days`-th business day after
//! the request day, in the employee's zone.
//!
//! The sweeper runs every so often and may have been stopped for a while; a reminder it finds more
//! than [`LATE_AFTER_MS`] past its time is not sent at once (that could be at night or at a
//! weekend) but moved to the set hour of the next business day: [`Policy::catch_up`].

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

use super::calendar::{Calendar, OutOfRange, at_local, end_of_day, local_date};

/// How late a reminder may still go out at once.
pub const LATE_AFTER_MS: i64 = 3600 * 1000;

/// The reminder and expiry rules, from the service's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub calendar: Calendar,
    /// Business days from the request to the first reminder, and between reminders.
    pub reminder_interval_business_days: u32,
    pub max_reminders: u32,
    /// The local time of day reminders go out at.
    pub reminder_time: Time,
    /// Business days a request stays open.
    pub expiry_business_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            calendar: Calendar::default(),
            reminder_interval_business_days: 2,
            max_reminders: 2,
            reminder_time: Time::constant(10, 0, 0, 0),
            expiry_business_days: 10,
        }
    }
}

/// What a new request is scheduled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The deadline, epoch milliseconds.
    pub due_at: i64,
    /// The first reminder, if any fits before the deadline.
    pub first_reminder_at: Option<i64>,
}

impl Policy {
    /// The deadline and first reminder of a request made at `asked_at`.
    pub fn plan(&self, asked_at: i64, zone: &TimeZone) -> Result<Plan, OutOfRange> {
        let due_at = self.deadline(asked_at, zone)?;
        let first_reminder_at = self.reminder_at(asked_at, 1, due_at, zone)?;
        Ok(Plan { due_at, first_reminder_at })
    }

    /// The end of the request day's `expiry_business_days`-th business day.
    pub fn deadline(&self, asked_at: i64, zone: &TimeZone) -> Result<i64, OutOfRange> {
        let asked_on = local_date(asked_at, zone)?;
        end_of_day(self.calendar.add_business_days(asked_on, self.expiry_business_days.max(1))?, zone)
    }

    /// When reminder `number` (1-based) of a request made at `asked_at` is due; `None` past the
    /// last reminder or at or after the deadline `due_at`.
    pub fn reminder_at(
        &self,
        asked_at: i64,
        number: u32,
        due_at: i64,
        zone: &TimeZone,
    ) -> Result<Option<i64>, OutOfRange> {
        if number == 0 || number > self.max_reminders {
            return Ok(None);
        }
        let asked_on = local_date(asked_at, zone)?;
        let days = number.saturating_mul(self.reminder_interval_business_days.max(1));
        let at = at_local(self.calendar.add_business_days(asked_on, days)?, self.reminder_time, zone)?;
        Ok((at < due_at).then_some(at))
    }

    /// The reminder after number `sent` went out at `now`: as planned, unless the plan puts it no
    /// later than `now` (the one just sent had been moved by [`Policy::catch_up`]) — then a full
    /// interval after today, so two reminders never go out together.
    pub fn after_sent(
        &self,
        asked_at: i64,
        sent: u32,
        due_at: i64,
        now: i64,
        zone: &TimeZone,
    ) -> Result<Option<i64>, OutOfRange> {
        let Some(planned) = self.reminder_at(asked_at, sent.saturating_add(1), due_at, zone)? else {
            return Ok(None);
        };
        if planned > now {
            return Ok(Some(planned));
        }
        let day =
            self.calendar.add_business_days(local_date(now, zone)?, self.reminder_interval_business_days.max(1))?;
        let at = at_local(day, self.reminder_time, zone)?;
        Ok((at < due_at).then_some(at))
    }

    /// A reminder scheduled at `scheduled` and found by the sweeper at `now`: `Ok(None)` to send
    /// it now; `Ok(Some(at))` to move it to `at` (the set hour of the next business day) because
    /// it is more than [`LATE_AFTER_MS`] late — `at` may then be at or after the deadline, in which
    /// case the caller drops it.
    pub fn catch_up(&self, scheduled: i64, now: i64, zone: &TimeZone) -> Result<Option<i64>, OutOfRange> {
        if now.saturating_sub(scheduled) <= LATE_AFTER_MS {
            return Ok(None);
        }
        let today = local_date(now, zone)?;
        let today_at = at_local(today, self.reminder_time, zone)?;
        // Later today at the set hour when today is a business day and the hour is still ahead,
        // else the next business day.
        let day: Date = if self.calendar.is_business_day(today) && today_at > now {
            today
        } else {
            self.calendar.next_business_day(today)?
        };
        Ok(Some(at_local(day, self.reminder_time, zone)?))
    }
}

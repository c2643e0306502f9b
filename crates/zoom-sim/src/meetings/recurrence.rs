//! The occurrences of a recurring meeting with a fixed time (type 8), laid out in the meeting's
//! time zone as Zoom does: the same local time on each day, whatever daylight saving does.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::clock::zoom_time;
use crate::store::{Meeting, Recurrence};

/// Zoom never lists more than 50 occurrences of one series.
const MAX_OCCURRENCES: usize = 50;

/// One occurrence as Zoom lists it. `occurrence_id` is its start in epoch milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Occurrence {
    pub occurrence_id: String,
    pub start_time: String,
    pub duration: u32,
    pub status: String,
}

/// The occurrences of a series starting at `start_ms` in time zone `tz`, without the deleted ones.
pub(crate) fn occurrences(
    start_ms: i64,
    tz: &str,
    duration: u32,
    rec: &Recurrence,
    deleted: &[String],
) -> Vec<Occurrence> {
    let Ok(tz) = TimeZone::get(tz) else {
        return Vec::new();
    };
    let Ok(start) = jiff::Timestamp::from_millisecond(start_ms) else {
        return Vec::new();
    };
    let local = start.to_zoned(tz.clone()).datetime();
    // Deleted occurrences still count towards `end_times`: deleting one does not extend the series.
    let wanted = rec.end_times.map_or(MAX_OCCURRENCES, |n| n as usize).min(MAX_OCCURRENCES);
    let mut out = Vec::new();
    let mut counted = 0;
    for date in candidate_dates(local.date(), rec) {
        if counted >= wanted {
            break;
        }
        let Ok(zoned) = date.to_datetime(local.time()).to_zoned(tz.clone()) else {
            continue;
        };
        let ms = zoned.timestamp().as_millisecond();
        if rec.end_date_time_ms.is_some_and(|end| ms > end) {
            break;
        }
        counted += 1;
        let id = ms.to_string();
        if !deleted.contains(&id) {
            out.push(Occurrence { occurrence_id: id, start_time: zoom_time(ms), duration, status: "available".into() });
        }
    }
    out
}

/// The occurrences of a recurring meeting as Zoom lists them: deleted ones left out, moved or
/// resized ones with their new start and duration (and their original id), in start order.
pub(crate) fn of_meeting(m: &Meeting) -> Vec<Occurrence> {
    let Some(rec) = &m.recurrence else {
        return Vec::new();
    };
    let mut list = occurrences(m.start_time_ms, &m.timezone, m.duration, rec, &m.deleted_occurrences);
    for occurrence in &mut list {
        let Some(change) = m.occurrence_changes.get(&occurrence.occurrence_id) else {
            continue;
        };
        if let Some(ms) = change.start_time_ms {
            occurrence.start_time = zoom_time(ms);
        }
        if let Some(duration) = change.duration {
            occurrence.duration = duration;
        }
    }
    // zoom_time sorts like the instant it names.
    list.sort_by(|a, b| a.start_time.cmp(&b.start_time));
    list
}

/// The start of an occurrence in epoch milliseconds.
pub(crate) fn start_ms(occurrence: &Occurrence) -> i64 {
    occurrence.start_time.parse::<jiff::Timestamp>().map_or(0, |t| t.as_millisecond())
}

/// Dates on or after `first` that the rule selects, in order (bounded, so a rule never loops).
fn candidate_dates(first: Date, rec: &Recurrence) -> Vec<Date> {
    const HORIZON: usize = 400;
    let step = i64::from(rec.repeat_interval.max(1));
    let mut dates = Vec::new();
    match rec.kind {
        1 => {
            for k in 0..HORIZON as i64 {
                if let Ok(d) = first.checked_add((k * step).days()) {
                    dates.push(d);
                }
            }
        }
        2 => {
            let days = weekly_days(rec, first);
            // Weeks start on Sunday (day 1), the numbering Zoom's weekly_days uses.
            let offset = i64::from(first.weekday().to_sunday_zero_offset());
            let Ok(week0) = first.checked_sub(offset.days()) else {
                return dates;
            };
            for k in 0..HORIZON as i64 {
                for &day in &days {
                    if let Ok(d) = week0.checked_add((k * step * 7 + i64::from(day) - 1).days())
                        && d >= first
                    {
                        dates.push(d);
                    }
                }
            }
        }
        _ => {
            for k in 0..HORIZON as i64 {
                let Ok(month) = first.first_of_month().checked_add((k * step).months()) else {
                    continue;
                };
                if let Some(d) = monthly_date(month, rec)
                    && d >= first
                {
                    dates.push(d);
                }
            }
        }
    }
    dates
}

/// The days (1 = Sunday … 7 = Saturday) a weekly rule picks; the start's own day when none given.
fn weekly_days(rec: &Recurrence, first: Date) -> Vec<u8> {
    let mut days: Vec<u8> = rec
        .weekly_days
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .filter(|d| (1..=7).contains(d))
        .collect();
    if days.is_empty() {
        days.push(first.weekday().to_sunday_one_offset() as u8);
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// The date a monthly rule picks in the month starting at `month`; months without that day
/// (the 31st in April) are skipped.
fn monthly_date(month: Date, rec: &Recurrence) -> Option<Date> {
    if let Some(day) = rec.monthly_day {
        return Date::new(month.year(), month.month(), day as i8).ok();
    }
    let week = rec.monthly_week?;
    let weekday = Weekday::from_sunday_one_offset(rec.monthly_week_day? as i8).ok()?;
    month.nth_weekday_of_month(week, weekday).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(days: &str, end_times: u32) -> Recurrence {
        Recurrence {
            kind: 2,
            repeat_interval: 1,
            weekly_days: Some(days.into()),
            monthly_day: None,
            monthly_week: None,
            monthly_week_day: None,
            end_times: Some(end_times),
            end_date_time_ms: None,
        }
    }

    #[test]
    fn weekly_days_pick_monday_and_wednesday_at_the_same_local_time_across_a_dst_change() {
        // Monday 2026-10-19 09:00 in Berlin (UTC+2), "2,4" = Monday and Wednesday.
        let start = jiff::civil::datetime(2026, 10, 19, 9, 0, 0, 0)
            .to_zoned(TimeZone::get("Europe/Berlin").expect("tz"))
            .expect("zoned")
            .timestamp()
            .as_millisecond();
        let occ = occurrences(start, "Europe/Berlin", 30, &weekly("2,4", 4), &[]);
        let times: Vec<_> = occ.iter().map(|o| o.start_time.as_str()).collect();
        // Berlin leaves summer time on 2026-10-25: 09:00 local is 07:00Z before and 08:00Z after.
        assert_eq!(
            times,
            ["2026-10-19T07:00:00Z", "2026-10-21T07:00:00Z", "2026-10-26T08:00:00Z", "2026-10-28T08:00:00Z"]
        );
    }
}

//! Due dates across weekends, holidays, time zones and DST changes (pure; the store suite checks
//! the same through assignments on both backends).

use jiff::civil::{Date, Time, Weekday, date, time};
use jiff::tz::TimeZone;

use super::*;

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone")
}

fn holidays(days: &[Date]) -> Holidays {
    Holidays(days.iter().copied().collect())
}

fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("timestamp").as_millisecond()
}

fn once(unit: OffsetUnit, amount: u32, start: Date, zone_name: &str, days: &[Date]) -> Due {
    let timing = Timing::Offset { unit, amount, at: time(10, 0, 0, 0) };
    let due = schedule(&timing, start, &zone(zone_name), &holidays(days)).expect("schedule");
    assert_eq!(due.len(), 1);
    due[0]
}

#[test]
fn business_days_skip_the_weekend() {
    // Thursday + 2 working days is Monday.
    let due = once(OffsetUnit::BusinessDays, 2, date(2025, 3, 6), "UTC", &[]);
    assert_eq!(due.date, date(2025, 3, 10));
    assert_eq!(due.at_ms, utc("2025-03-10T10:00:00Z"));
}

#[test]
fn a_start_on_a_saturday_counts_from_the_next_monday() {
    assert_eq!(once(OffsetUnit::BusinessDays, 0, date(2025, 3, 8), "UTC", &[]).date, date(2025, 3, 10));
}

#[test]
fn business_days_skip_the_scenario_holidays() {
    let christmas = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)];
    // Mon 22nd is day 0, Tue 23rd day 1, then three holidays and a weekend: Mon 29th, Tue 30th.
    assert_eq!(once(OffsetUnit::BusinessDays, 3, date(2025, 12, 22), "UTC", &christmas).date, date(2025, 12, 30));
    assert_eq!(once(OffsetUnit::BusinessDays, 3, date(2025, 12, 22), "UTC", &[]).date, date(2025, 12, 25));
}

#[test]
fn weeks_land_on_the_next_working_day_when_the_day_is_off() {
    assert_eq!(once(OffsetUnit::Weeks, 1, date(2025, 1, 3), "UTC", &[]).date, date(2025, 1, 10));
    assert_eq!(once(OffsetUnit::Weeks, 1, date(2025, 1, 3), "UTC", &[date(2025, 1, 10)]).date, date(2025, 1, 13));
}

#[test]
fn months_clamp_to_the_end_of_a_short_month_then_skip_the_weekend() {
    assert_eq!(once(OffsetUnit::Months, 1, date(2024, 1, 31), "UTC", &[]).date, date(2024, 2, 29));
    // 2025-05-31 is a Saturday: 2025-03-31 + 2 months moves to Monday 2 June.
    assert_eq!(once(OffsetUnit::Months, 2, date(2025, 3, 31), "UTC", &[]).date, date(2025, 6, 2));
}

#[test]
fn the_same_local_time_is_a_different_instant_in_each_time_zone() {
    let berlin = once(OffsetUnit::BusinessDays, 0, date(2025, 3, 10), "Europe/Berlin", &[]);
    let tokyo = once(OffsetUnit::BusinessDays, 0, date(2025, 3, 10), "Asia/Tokyo", &[]);
    let new_york = once(OffsetUnit::BusinessDays, 0, date(2025, 3, 10), "America/New_York", &[]);
    assert_eq!(berlin.at_ms, utc("2025-03-10T09:00:00Z"));
    assert_eq!(tokyo.at_ms, utc("2025-03-10T01:00:00Z"));
    assert_eq!(new_york.at_ms, utc("2025-03-10T14:00:00Z"));
}

#[test]
fn a_weekly_one_on_one_keeps_its_local_time_across_the_spring_dst_change() {
    let timing = Timing::Weekly { weekday: Weekday::Monday, at: time(10, 0, 0, 0), occurrences: 3 };
    let due = schedule(&timing, date(2025, 3, 3), &zone("America/New_York"), &Holidays::default()).expect("schedule");
    let instants: Vec<i64> = due.iter().map(|d| d.at_ms).collect();
    // EST (UTC-5) before 9 March, EDT (UTC-4) after: 10:00 local both times.
    assert_eq!(instants, [utc("2025-03-03T15:00:00Z"), utc("2025-03-10T14:00:00Z"), utc("2025-03-17T14:00:00Z")]);
    assert_eq!(due.iter().map(|d| d.occurrence).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn a_weekly_stage_keeps_its_local_time_across_the_autumn_dst_change_in_europe() {
    let timing = Timing::Weekly { weekday: Weekday::Friday, at: time(15, 0, 0, 0), occurrences: 2 };
    let due = schedule(&timing, date(2025, 10, 22), &zone("Europe/Berlin"), &Holidays::default()).expect("schedule");
    // First Friday on or after Wednesday 22 Oct is the 24th (CEST, UTC+2); the 31st is CET (UTC+1).
    assert_eq!(due[0].date, date(2025, 10, 24));
    assert_eq!(due[0].at_ms, utc("2025-10-24T13:00:00Z"));
    assert_eq!(due[1].at_ms, utc("2025-10-31T14:00:00Z"));
}

#[test]
fn a_local_time_in_the_skipped_hour_moves_past_the_gap() {
    // Egypt springs forward at midnight on Friday 26 April 2024: 00:30 does not exist that day.
    let timing = Timing::Offset { unit: OffsetUnit::BusinessDays, amount: 0, at: time(0, 30, 0, 0) };
    let due = schedule(&timing, date(2024, 4, 26), &zone("Africa/Cairo"), &Holidays::default()).expect("schedule");
    assert_eq!(due[0].at_ms, utc("2024-04-25T22:30:00Z"), "01:30 EEST");
}

#[test]
fn a_local_time_in_the_repeated_hour_takes_the_earlier_instant() {
    // Egypt falls back at midnight ending Thursday 31 October 2024: 23:30 happens twice.
    let timing = Timing::Offset { unit: OffsetUnit::BusinessDays, amount: 0, at: time(23, 30, 0, 0) };
    let due = schedule(&timing, date(2024, 10, 31), &zone("Africa/Cairo"), &Holidays::default()).expect("schedule");
    assert_eq!(due[0].at_ms, utc("2024-10-31T20:30:00Z"), "23:30 EEST, the first of the two");
}

#[test]
fn a_weekly_occurrence_on_a_holiday_moves_to_the_next_working_day() {
    let timing = Timing::Weekly { weekday: Weekday::Friday, at: time(15, 0, 0, 0), occurrences: 3 };
    let due = schedule(&timing, date(2025, 4, 7), &zone("UTC"), &holidays(&[date(2025, 4, 18)])).expect("schedule");
    let dates: Vec<Date> = due.iter().map(|d| d.date).collect();
    assert_eq!(dates, [date(2025, 4, 11), date(2025, 4, 21), date(2025, 4, 25)]);
}

#[test]
fn local_times_and_dates_parse_strictly() {
    assert_eq!(parse_local_time("09:30"), Ok(Time::constant(9, 30, 0, 0)));
    for bad in ["25:00", "9", "nine", "10:61", ""] {
        assert!(parse_local_time(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(parse_date("2025-03-10"), Ok(date(2025, 3, 10)));
    for bad in ["2025-02-30", "10.03.2025", "2025-3-1", ""] {
        assert!(parse_date(bad).is_err(), "{bad:?} accepted");
    }
}

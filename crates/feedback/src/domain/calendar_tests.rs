//! Business days, reminders and deadlines in New York (which changes to summer time on Sunday 9
//! March 2025) and Tokyo (which never changes).

use jiff::civil::{Time, date};
use jiff::tz::TimeZone;

use super::calendar::{Calendar, at_local, local_date};
use super::schedule::{LATE_AFTER_MS, Policy};

fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("timestamp").as_millisecond()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("zone")
}

fn policy(holidays: &str) -> Policy {
    Policy { calendar: Calendar::parse(holidays).expect("holidays"), ..Policy::default() }
}

#[test]
fn business_days_skip_weekends_and_holidays() {
    let calendar = Calendar::parse("2025-03-10, 2025-03-11").expect("holidays");
    assert_eq!(calendar.add_business_days(date(2025, 3, 6), 1), Ok(date(2025, 3, 7)));
    assert_eq!(calendar.add_business_days(date(2025, 3, 6), 2), Ok(date(2025, 3, 12)), "weekend and two holidays");
    assert_eq!(calendar.on_or_after(date(2025, 3, 8)), Ok(date(2025, 3, 12)));
    assert_eq!(calendar.add_business_days(date(2025, 3, 8), 0), Ok(date(2025, 3, 8)));
    assert!(Calendar::parse("2025-02-30").is_err(), "not a date");
    assert_eq!(Calendar::parse(" ").expect("empty"), Calendar::default());
}

#[test]
fn a_reminder_lands_at_the_set_hour_in_new_york_across_the_dst_change() {
    let ny = zone("America/New_York");
    // Friday 7 March, 15:00 EST; two business days on is Tuesday 11 March, after the change.
    let asked = utc("2025-03-07T20:00:00Z");
    let plan = policy("").plan(asked, &ny).expect("plan");
    assert_eq!(plan.first_reminder_at, Some(utc("2025-03-11T14:00:00Z")), "10:00 EDT is 14:00 UTC");
    let second = policy("").reminder_at(asked, 2, plan.due_at, &ny).expect("in range");
    assert_eq!(second, Some(utc("2025-03-13T14:00:00Z")));
    // Ten business days on is Friday 21 March; the request expires at the end of that day.
    assert_eq!(plan.due_at, utc("2025-03-22T04:00:00Z"));
    // Before the change the same hour is 15:00 UTC.
    let before = policy("").plan(utc("2025-03-03T14:00:00Z"), &ny).expect("plan");
    assert_eq!(before.first_reminder_at, Some(utc("2025-03-05T15:00:00Z")));
}

#[test]
fn a_reminder_lands_at_the_set_hour_in_tokyo_and_skips_a_holiday() {
    let tokyo = zone("Asia/Tokyo");
    // Friday 7 March, 15:00 JST; Monday 10 March is a holiday here.
    let asked = utc("2025-03-07T06:00:00Z");
    let plan = policy("2025-03-10").plan(asked, &tokyo).expect("plan");
    assert_eq!(plan.first_reminder_at, Some(utc("2025-03-12T01:00:00Z")), "Wednesday 10:00 JST");
}

#[test]
fn a_request_made_late_in_the_local_day_counts_from_the_local_date() {
    // 23:30 on Friday in New York is already Saturday in UTC: the local Friday counts.
    let ny = zone("America/New_York");
    let asked = utc("2025-03-15T03:30:00Z");
    assert_eq!(local_date(asked, &ny), Ok(date(2025, 3, 14)));
    let plan = policy("").plan(asked, &ny).expect("plan");
    assert_eq!(plan.first_reminder_at, Some(utc("2025-03-18T14:00:00Z")));
}

#[test]
fn no_more_reminders_than_the_maximum_and_none_at_or_after_the_deadline() {
    let ny = zone("America/New_York");
    let asked = utc("2025-03-03T14:00:00Z");
    let p = Policy { max_reminders: 2, ..policy("") };
    let due = p.deadline(asked, &ny).expect("deadline");
    assert!(p.reminder_at(asked, 2, due, &ny).expect("in range").is_some());
    assert_eq!(p.reminder_at(asked, 3, due, &ny), Ok(None));
    assert_eq!(p.reminder_at(asked, 0, due, &ny), Ok(None));
    let short = Policy { expiry_business_days: 1, ..policy("") };
    assert_eq!(short.plan(asked, &ny).expect("plan").first_reminder_at, None, "the deadline comes first");
    let none = Policy { max_reminders: 0, ..policy("") };
    assert_eq!(none.plan(asked, &ny).expect("plan").first_reminder_at, None);
}

#[test]
fn a_late_sweep_moves_a_reminder_to_the_next_business_morning_instead_of_sending_it_at_night() {
    let tokyo = zone("Asia/Tokyo");
    let p = policy("");
    let scheduled = utc("2025-03-07T01:00:00Z"); // Friday 10:00 JST
    assert_eq!(p.catch_up(scheduled, scheduled + LATE_AFTER_MS, &tokyo), Ok(None), "on time enough: send");
    // Found on Saturday 03:00 JST: Monday 10:00 JST.
    assert_eq!(p.catch_up(scheduled, utc("2025-03-07T18:00:00Z"), &tokyo), Ok(Some(utc("2025-03-10T01:00:00Z"))));
    // Found on Monday 08:00 JST: Monday 10:00 JST.
    assert_eq!(p.catch_up(scheduled, utc("2025-03-09T23:00:00Z"), &tokyo), Ok(Some(utc("2025-03-10T01:00:00Z"))));
}

#[test]
fn a_local_time_in_the_spring_gap_moves_past_it_and_one_in_the_autumn_fold_takes_the_earlier() {
    let ny = zone("America/New_York");
    let gap = at_local(date(2025, 3, 9), Time::constant(2, 30, 0, 0), &ny).expect("resolved");
    assert_eq!(gap, utc("2025-03-09T07:30:00Z"), "02:30 does not exist; 03:30 EDT");
    let fold = at_local(date(2025, 11, 2), Time::constant(1, 30, 0, 0), &ny).expect("resolved");
    assert_eq!(fold, utc("2025-11-02T05:30:00Z"), "the first 01:30, still EDT");
}

#[test]
fn after_a_moved_reminder_the_next_one_keeps_a_full_interval() {
    let tokyo = zone("Asia/Tokyo");
    let p = policy("");
    let asked = utc("2025-03-03T01:00:00Z"); // Monday 10:00 JST
    let due = p.deadline(asked, &tokyo).expect("deadline");
    // The first reminder (Wednesday) went out as planned: the second stays on Friday.
    let on_time = utc("2025-03-05T01:00:00Z");
    assert_eq!(p.after_sent(asked, 1, due, on_time, &tokyo), Ok(Some(utc("2025-03-07T01:00:00Z"))));
    // It went out late, on Friday morning (moved): the second waits two business days.
    let late = utc("2025-03-07T01:00:00Z");
    assert_eq!(p.after_sent(asked, 1, due, late, &tokyo), Ok(Some(utc("2025-03-11T01:00:00Z"))));
    assert_eq!(p.after_sent(asked, 2, due, late, &tokyo), Ok(None), "two is the maximum");
}

//! The report's arithmetic on a small set counted by hand.

use super::anonymity::Audience;
use super::report::{Group, Medians, build};
use super::request::{AttendanceClass, RequestStatus};

fn group(stage: &str, cohort: &str, class: AttendanceClass, rating: Option<u32>, count: u64) -> Group {
    Group {
        stage_id: stage.into(),
        stage_title: stage.to_uppercase(),
        scenario_version: 1,
        cohort: cohort.into(),
        attendance: class,
        status: if rating.is_some() { RequestStatus::Answered } else { RequestStatus::Open },
        rating,
        count,
    }
}

/// "meet": 4 requests, answered 5, 4 (attended) and 2 (missed); one open. "read": 2 requests,
/// both answered 4, no meeting.
fn groups() -> Vec<Group> {
    use AttendanceClass::*;
    vec![
        group("meet", "2025-03", Full, Some(5), 1),
        group("meet", "2025-03", Full, Some(4), 1),
        group("meet", "2025-04", Missed, Some(2), 1),
        group("meet", "2025-04", Missed, None, 1),
        group("read", "2025-03", NoMeeting, Some(4), 2),
    ]
}

#[test]
fn figures_per_stage_attendance_and_cohort_match_the_hand_count() {
    let medians: Medians = [(("meet".to_string(), 1), 7_200_000.0)].into_iter().collect();
    let report = build(&groups(), &medians, Audience::Hr);
    let meet = &report.stages[0];
    let figures = meet.figures.as_ref().expect("hr sees everything");
    assert_eq!((meet.stage_id.as_str(), meet.requests, figures.answered), ("meet", 4, 3));
    assert_eq!(figures.average, Some(11.0 / 3.0));
    assert_eq!(figures.response_rate, 0.75);
    assert_eq!(figures.distribution, [0, 1, 0, 1, 1]);
    assert_eq!(meet.median_hours_to_answer, Some(2.0));
    let cells: Vec<(AttendanceClass, u64, Option<f64>)> =
        meet.attendance.iter().map(|c| (c.class, c.requests, c.figures.as_ref().and_then(|f| f.average))).collect();
    assert_eq!(cells, [(AttendanceClass::Full, 2, Some(4.5)), (AttendanceClass::Missed, 2, Some(2.0))]);
    assert!(!meet.weak, "3.67 and 75 % are not weak");
    assert_eq!(report.stages[1].stage_id, "read", "the higher average comes second");
    let cohorts: Vec<(&str, u64, Option<f64>)> = report
        .cohorts
        .iter()
        .map(|c| (c.cohort.as_str(), c.requests, c.figures.as_ref().and_then(|f| f.average)))
        .collect();
    assert_eq!(cohorts, [("2025-03", 4, Some(17.0 / 4.0)), ("2025-04", 2, Some(2.0))]);
}

#[test]
fn a_manager_sees_no_figure_of_a_group_below_the_threshold() {
    let report = build(&groups(), &Medians::new(), Audience::Manager { threshold: 3 });
    let meet = report.stages.iter().find(|s| s.stage_id == "meet").expect("meet");
    assert!(meet.figures.is_some(), "three answers reach the threshold");
    assert!(meet.attendance.iter().all(|c| c.figures.is_none()), "two answers per class do not");
    let read = report.stages.iter().find(|s| s.stage_id == "read").expect("read");
    assert!(read.figures.is_none() && read.median_hours_to_answer.is_none() && !read.weak);
    assert_eq!(read.requests, 2, "the number of requests says nothing about anyone's answer");
    assert_eq!(report.stages.last().map(|s| s.stage_id.as_str()), Some("read"), "hidden rows come last");
    assert!(report.cohorts.iter().all(|c| c.cohort != "2025-04" || c.figures.is_none()));
}

#[test]
fn a_low_average_or_a_low_response_rate_is_weak() {
    use AttendanceClass::*;
    let low = vec![group("a", "2025-03", Full, Some(3), 2), group("a", "2025-03", Full, Some(4), 1)];
    assert!(build(&low, &Medians::new(), Audience::Hr).stages[0].weak, "3.33 is below 3.5");
    let silent = vec![group("b", "2025-03", Full, Some(5), 1), group("b", "2025-03", Full, None, 2)];
    assert!(build(&silent, &Medians::new(), Audience::Hr).stages[0].weak, "one answer in three");
}

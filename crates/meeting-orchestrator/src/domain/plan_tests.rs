use super::*;
use crate::domain::stage::{CohortMember, StagePerson, Weekly};

const NOW: i64 = 1_740_992_400_000;

fn person(email: &str) -> Person {
    Person::new(email, "", "Europe/Berlin")
}

fn resolution(kind: StageKind, cohort: &[&str]) -> Resolution {
    Resolution {
        stage: StageInfo {
            scenario_id: "s1".into(),
            scenario_version: 1,
            scenario_name: "Onboarding".into(),
            stage_id: "meet".into(),
            title: "Meet the team".into(),
            kind,
            weekly: None,
            duration_minutes: 45,
            agenda: "Hello".into(),
            goals: vec!["Know the team".into()],
            materials: vec![],
            questions: vec![],
            recording_privacy: 2,
            schedule_automatically: false,
        },
        people: vec![
            StagePerson { person: person("oleg@x.com"), roles: vec!["manager".into()], named: false },
            StagePerson { person: person("Anna@x.com"), roles: vec!["team".into()], named: false },
            StagePerson { person: person("guest@y.com"), roles: vec![], named: true },
        ],
        cohort: cohort
            .iter()
            .enumerate()
            .map(|(i, e)| CohortMember {
                employee: person(e),
                assignment_id: format!("a{i}"),
                stage_instance_id: format!("i{i}"),
                due_at_ms: NOW,
            })
            .collect(),
        hr_contacts: vec![person("helen@x.com")],
    }
}

fn input<'a>(resolution: &'a Resolution, request: &'a Request) -> PlanInput<'a> {
    PlanInput {
        meeting_id: "m1",
        resolution,
        request,
        host: Host { person: person("host@x.com"), alternative_hosts: vec![] },
        options: MeetingOptions { join_before_host: false, waiting_room: false, continuous_chat: true },
        series: None,
        now_ms: NOW,
    }
}

#[test]
fn the_cohort_comes_first_then_the_stage_people_then_the_host_each_once() {
    let r = resolution(StageKind::Meeting, &["anna@x.com", "boris@x.com"]);
    let plan = plan(input(&r, &Request::default())).expect("plan");
    let who: Vec<(&str, &str)> = plan.invitees.iter().map(|i| (i.person.email.as_str(), i.role.as_str())).collect();
    assert_eq!(
        who,
        [
            ("anna@x.com", "employee"),
            ("boris@x.com", "employee"),
            ("oleg@x.com", "manager"),
            ("guest@y.com", "named"),
            ("host@x.com", "host")
        ]
    );
    assert_eq!((plan.duration_minutes, plan.start_ms, plan.instant), (45, NOW, true));
    assert_eq!(plan.instances.len(), 2);
    assert!(plan.agenda.starts_with("[butterboard m1]\n"));
}

#[test]
fn a_subset_keeps_only_its_assignments_and_an_unknown_one_is_a_violation() {
    let r = resolution(StageKind::Meeting, &["anna@x.com", "boris@x.com"]);
    let subset = Request { assignment_ids: vec!["a1".into()], ..Request::default() };
    let plan = plan(input(&r, &subset)).expect("plan");
    assert_eq!(plan.instances.iter().map(|i| i.stage_instance_id.as_str()).collect::<Vec<_>>(), ["i1"]);
    let unknown = Request { assignment_ids: vec!["a1".into(), "zz".into()], ..Request::default() };
    match super::plan(input(&r, &unknown)) {
        Err(PlanError::Invalid(v)) => assert_eq!(v[0].field, "assignment_ids[1]"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_task_stage_or_an_empty_cohort_makes_no_meeting() {
    let task = resolution(StageKind::Task, &["anna@x.com"]);
    assert!(matches!(plan(input(&task, &Request::default())), Err(PlanError::NotAMeeting(_, "task"))));
    let empty = resolution(StageKind::Meeting, &[]);
    assert!(matches!(plan(input(&empty, &Request::default())), Err(PlanError::EmptyCohort(_))));
}

#[test]
fn a_weekly_stage_becomes_a_series_tied_to_the_employee_s_instances() {
    let mut r = resolution(StageKind::Meeting, &["anna@x.com"]);
    r.stage.weekly = Some(Weekly { weekday: 4, occurrences: 3 });
    let request = Request::default();
    let mut i = input(&r, &request);
    i.series = Some(
        (1..=3).map(|n| SeriesInstance { stage_instance_id: format!("w{n}"), assignment_id: "a0".into() }).collect(),
    );
    let plan = plan(i).expect("plan");
    assert_eq!(plan.occurrences, Some(3));
    let tied: Vec<(&str, Option<u32>)> =
        plan.instances.iter().map(|i| (i.stage_instance_id.as_str(), i.occurrence_index)).collect();
    assert_eq!(tied, [("w1", Some(0)), ("w2", Some(1)), ("w3", Some(2))]);
}

#[test]
fn a_start_in_the_past_and_durations_out_of_range_are_violations() {
    let past = Request { start_ms: Some(NOW - 3_600_000), duration_minutes: Some(0), ..Request::default() };
    let fields: Vec<String> = check_request(&past, NOW).into_iter().map(|v| v.field).collect();
    assert_eq!(fields, ["start_time", "duration_minutes"]);
    let long = Request { duration_minutes: Some(1000), ..Request::default() };
    assert_eq!(check_request(&long, NOW).len(), 1);
    let fine = Request { start_ms: Some(NOW + 1), duration_minutes: Some(90), ..Request::default() };
    assert!(check_request(&fine, NOW).is_empty());
}

#[test]
fn a_duration_outside_the_recommendation_is_a_warning() {
    let r = resolution(StageKind::Meeting, &["anna@x.com"]);
    let request = Request { duration_minutes: Some(90), ..Request::default() };
    let plan = plan(input(&r, &request)).expect("plan");
    assert_eq!(plan.warnings[0].field, "duration_minutes");
}

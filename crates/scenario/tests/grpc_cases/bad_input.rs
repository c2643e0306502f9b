//! Every bad input named by the issue: INVALID_ARGUMENT, a BadRequest violation on the field, and
//! nothing written.

use butterboard_proto::scenario::v1 as pb;
use tonic::Code;

use crate::support::footprint;
use crate::{Server, assign_request, person, violated_fields};

/// The example as the server normalises it, without an id.
async fn example(s: &Server) -> pb::Scenario {
    let request = pb::ValidateScenarioRequest {
        source: Some(pb::validate_scenario_request::Source::Yaml(scenario::EXAMPLE_SCENARIO_YAML.into())),
    };
    let response = s.client().validate_scenario(s.hr(request)).await.expect("validate").into_inner();
    assert!(response.valid, "{:?}", response.violations);
    response.scenario.expect("scenario")
}

fn offset(stage: &mut pb::Stage) -> &mut pb::Offset {
    match stage.timing.as_mut().and_then(|t| t.schedule.as_mut()) {
        Some(pb::timing::Schedule::Offset(offset)) => offset,
        other => panic!("not an offset: {other:?}"),
    }
}

fn weekly(stage: &mut pb::Stage) -> &mut pb::WeeklyRecurrence {
    match stage.timing.as_mut().and_then(|t| t.schedule.as_mut()) {
        Some(pb::timing::Schedule::Weekly(weekly)) => weekly,
        other => panic!("not weekly: {other:?}"),
    }
}

type Change = Box<dyn Fn(&mut pb::Scenario)>;

pub async fn every_bad_scenario_is_invalid_argument_naming_its_field_and_writes_nothing(s: &Server) {
    let good = example(s).await;
    let cases: Vec<(&str, Change)> = vec![
        ("scenario.name", Box::new(|x| x.name.clear())),
        ("scenario.owner_email", Box::new(|x| x.owner_email = "helen-at-example.com".into())),
        ("scenario.holidays[0]", Box::new(|x| x.holidays = vec!["25/12/2025".into()])),
        ("scenario.stages", Box::new(|x| x.stages.clear())),
        ("scenario.stages[0].title", Box::new(|x| x.stages[0].title = " ".into())),
        ("scenario.stages[0].kind", Box::new(|x| x.stages[0].kind = 0)),
        ("scenario.stages[0].kind", Box::new(|x| x.stages[0].kind = 42)),
        ("scenario.stages[0].agenda", Box::new(|x| x.stages[0].agenda.clear())),
        ("scenario.stages[0].goals", Box::new(|x| x.stages[0].goals.clear())),
        ("scenario.stages[0].duration_minutes", Box::new(|x| x.stages[0].duration_minutes = 90)),
        ("scenario.stages[0].duration_minutes", Box::new(|x| x.stages[0].duration_minutes = 15)),
        ("scenario.stages[0].participant_roles", Box::new(|x| x.stages[0].participant_roles.clear())),
        ("scenario.stages[0].participant_roles[0]", Box::new(|x| x.stages[0].participant_roles[0] = 0)),
        (
            "scenario.stages[0].named_participants[0].email",
            Box::new(|x| x.stages[0].named_participants.push(person("cto", ""))),
        ),
        (
            "scenario.stages[0].named_participants[0].time_zone",
            Box::new(|x| x.stages[0].named_participants.push(person("cto@example.com", "Europe/Atlantis"))),
        ),
        ("scenario.stages[0].timing", Box::new(|x| x.stages[0].timing = None)),
        ("scenario.stages[0].timing.offset.unit", Box::new(|x| offset(&mut x.stages[0]).unit = 0)),
        ("scenario.stages[0].timing.offset.amount", Box::new(|x| offset(&mut x.stages[0]).amount = 1000)),
        (
            "scenario.stages[0].timing.offset.local_time",
            Box::new(|x| offset(&mut x.stages[0]).local_time = "half past ten".into()),
        ),
        (
            "scenario.stages[2].timing.weekly.weekday",
            Box::new(|x| weekly(&mut x.stages[2]).weekday = pb::Weekday::Sunday as i32),
        ),
        ("scenario.stages[2].timing.weekly.occurrences", Box::new(|x| weekly(&mut x.stages[2]).occurrences = 0)),
        (
            "scenario.stages[2].timing.weekly.local_time",
            Box::new(|x| weekly(&mut x.stages[2]).local_time = "24:30".into()),
        ),
        ("scenario.stages[1].id", Box::new(|x| x.stages[1].id = x.stages[0].id.clone())),
        ("scenario.stages[0].id", Box::new(|x| x.stages[0].id = "Meet_The_Team".into())),
        ("scenario.stages[0].materials[0].url", Box::new(|x| x.stages[0].materials[0].url = "wiki/handbook".into())),
        ("scenario.stages[0].materials[0].title", Box::new(|x| x.stages[0].materials[0].title.clear())),
        ("scenario.stages[0].recording_privacy", Box::new(|x| x.stages[0].recording_privacy = 9)),
    ];
    let before = footprint(&s.store).await;
    for (field, change) in cases {
        let mut bad = good.clone();
        change(&mut bad);
        let status =
            s.client().create_scenario(s.hr(pb::CreateScenarioRequest { scenario: Some(bad) })).await.expect_err(field);
        assert_eq!(violated_fields(&status), [field], "{status:?}");
        assert!(status.message().contains(field), "the message names the field too: {}", status.message());
    }
    let status =
        s.client().create_scenario(s.hr(pb::CreateScenarioRequest { scenario: None })).await.expect_err("no scenario");
    assert_eq!(violated_fields(&status), ["scenario"]);
    assert_eq!(footprint(&s.store).await, before, "nothing was written");
}

pub async fn a_bad_update_keeps_the_scenario_as_it_was(s: &Server) {
    let created = s.create_example().await;
    s.assign(&created.id, "anna@example.com", "oleg@example.com").await;
    let before = footprint(&s.store).await;
    let mut bad = created.clone();
    bad.stages[0].agenda.clear();
    bad.stages[1].goals.clear();
    let status = s
        .client()
        .update_scenario(s.hr(pb::UpdateScenarioRequest { scenario: Some(bad), expected_version: 0 }))
        .await
        .expect_err("bad update");
    assert_eq!(violated_fields(&status), ["scenario.stages[0].agenda", "scenario.stages[1].goals"]);
    assert_eq!(footprint(&s.store).await, before, "no new version, nothing rewritten");
    let read = s
        .client()
        .get_scenario(s.hr(pb::GetScenarioRequest { id: created.id.clone(), version: 0 }))
        .await
        .expect("get");
    let read = read.into_inner();
    assert_eq!((read.version, read.stages[0].agenda.clone()), (1, created.stages[0].agenda.clone()));
    let mut missing_id = created.clone();
    missing_id.id.clear();
    let status = s
        .client()
        .update_scenario(s.hr(pb::UpdateScenarioRequest { scenario: Some(missing_id), expected_version: 0 }))
        .await
        .expect_err("no id");
    assert_eq!(violated_fields(&status), ["scenario.id"]);
}

pub async fn bad_yaml_is_invalid_argument_naming_the_yaml_field(s: &Server) {
    let before = footprint(&s.store).await;
    let import = |yaml: &str| pb::ImportScenarioRequest { yaml: yaml.into(), ..Default::default() };
    let status = s.client().import_scenario(s.hr(import("name: [unclosed"))).await.expect_err("syntax");
    assert_eq!(violated_fields(&status), ["yaml"]);
    assert!(status.message().contains("line"), "the parser's location is given: {}", status.message());
    let without_agenda = scenario::EXAMPLE_SCENARIO_YAML.replacen("    agenda: |", "    notes: |", 1);
    let status = s.client().import_scenario(s.hr(import(&without_agenda))).await.expect_err("unknown key");
    assert_eq!(violated_fields(&status), ["yaml"]);
    assert!(status.message().contains("notes"), "{}", status.message());
    let no_goals = scenario::EXAMPLE_SCENARIO_YAML.replacen(
        "    goals:\n",
        "    questions_unused: []\n    goals: []\n    x_goals:\n",
        1,
    );
    let status = s.client().import_scenario(s.hr(import(&no_goals))).await.expect_err("unknown keys again");
    assert_eq!(violated_fields(&status), ["yaml"]);
    let mut dry = import(&scenario::EXAMPLE_SCENARIO_YAML.replacen("duration_minutes: 45", "duration_minutes: 200", 1));
    dry.validate_only = true;
    let status = s.client().import_scenario(s.hr(dry)).await.expect_err("duration");
    assert_eq!(violated_fields(&status), ["yaml.stages[0].duration_minutes"]);
    let status = s.client().import_scenario(s.hr(import(""))).await.expect_err("empty");
    assert_eq!(violated_fields(&status), ["yaml"]);
    let validate = pb::ValidateScenarioRequest {
        source: Some(pb::validate_scenario_request::Source::Yaml(scenario::EXAMPLE_SCENARIO_YAML.replacen(
            "kind: meeting",
            "kind: webinar",
            1,
        ))),
    };
    let checked = s.client().validate_scenario(s.hr(validate)).await.expect("validation answers").into_inner();
    assert!(!checked.valid);
    assert_eq!(checked.violations.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["yaml.stages[0].kind"]);
    assert_eq!(footprint(&s.store).await, before);
}

pub async fn every_bad_assignment_is_invalid_argument_naming_its_field_and_writes_nothing(s: &Server) {
    let created = s.create_example().await;
    let good = assign_request(&created.id, "anna@example.com", "oleg@example.com");
    type Edit = Box<dyn Fn(&mut pb::AssignEmployeeRequest)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("scenario_id", Box::new(|r| r.scenario_id.clear())),
        ("employee.email", Box::new(|r| r.employee = Some(person("anna(at)example.com", "Europe/Berlin")))),
        ("employee.email", Box::new(|r| r.employee = Some(person(" ", "Europe/Berlin")))),
        ("employee.time_zone", Box::new(|r| r.employee = Some(person("anna@example.com", "")))),
        ("employee.time_zone", Box::new(|r| r.employee = Some(person("anna@example.com", "CET+1")))),
        ("start_date", Box::new(|r| r.start_date = "03/03/2025".into())),
        ("start_date", Box::new(|r| r.start_date.clear())),
        ("start_date", Box::new(|r| r.start_date = "2025-02-29".into())),
        ("manager.email", Box::new(|r| r.manager = None)),
        ("manager.email", Box::new(|r| r.manager = Some(person("anna@example.com", "")))),
        ("manager.time_zone", Box::new(|r| r.manager = Some(person("oleg@example.com", "Nowhere/City")))),
        ("team", Box::new(|r| r.team.clear())),
        ("team[1].email", Box::new(|r| r.team[1].email = "maria".into())),
        ("trainer.email", Box::new(|r| r.trainer = None)),
        ("hr.email", Box::new(|r| r.hr = Some(person("helen@", "")))),
    ];
    let before = footprint(&s.store).await;
    for (field, edit) in cases {
        let mut bad = good.clone();
        edit(&mut bad);
        let status = s.client().assign_employee(s.hr(bad)).await.expect_err(field);
        assert_eq!(violated_fields(&status), [field], "{status:?}");
    }
    let mut nobody = good.clone();
    nobody.employee = None;
    let status = s.client().assign_employee(s.hr(nobody)).await.expect_err("no employee");
    assert_eq!(violated_fields(&status), ["employee.email", "employee.time_zone"], "one violation per field");
    assert_eq!(footprint(&s.store).await, before, "nothing was written");
    let mut unknown = good.clone();
    unknown.scenario_id = "no-such-scenario".into();
    assert_eq!(s.client().assign_employee(s.hr(unknown)).await.expect_err("unknown").code(), Code::NotFound);
}

pub async fn bad_lists_completions_and_resolutions_name_their_field(s: &Server) {
    let mut c = s.client();
    let list = |r: pb::ListAssignmentsRequest| s.hr(r);
    let too_big = pb::ListAssignmentsRequest { page_size: 500, ..Default::default() };
    assert_eq!(violated_fields(&c.list_assignments(list(too_big)).await.expect_err("page")), ["page_size"]);
    let later = prost_types::Timestamp { seconds: 1_800_000_000, nanos: 0 };
    let earlier = prost_types::Timestamp { seconds: 1_700_000_000, nanos: 0 };
    let inverted =
        pb::ListAssignmentsRequest { due_after: Some(later), due_before: Some(earlier), ..Default::default() };
    assert_eq!(violated_fields(&c.list_assignments(list(inverted)).await.expect_err("window")), ["due_before"]);
    let bad_email = pb::ListAssignmentsRequest { employee_email: "anna".into(), ..Default::default() };
    assert_eq!(violated_fields(&c.list_assignments(list(bad_email)).await.expect_err("email")), ["employee_email"]);
    let bad_status = pb::ListAssignmentsRequest { stage_status: 42, ..Default::default() };
    assert_eq!(violated_fields(&c.list_assignments(list(bad_status)).await.expect_err("status")), ["stage_status"]);
    let complete = pb::CompleteStageRequest { stage_instance_id: " ".into() };
    assert_eq!(violated_fields(&c.complete_stage(s.hr(complete)).await.expect_err("id")), ["stage_instance_id"]);
    let unknown = pb::CompleteStageRequest { stage_instance_id: "nope".into() };
    assert_eq!(c.complete_stage(s.hr(unknown)).await.expect_err("unknown").code(), Code::NotFound);
    let no_target = pb::ResolveParticipantsRequest { target: None };
    assert_eq!(violated_fields(&c.resolve_participants(s.hr(no_target)).await.expect_err("target")), ["target"]);
    let no_stage = pb::ResolveParticipantsRequest {
        target: Some(pb::resolve_participants_request::Target::Stage(pb::StageRef {
            scenario_id: "x".into(),
            stage_id: String::new(),
        })),
    };
    assert_eq!(violated_fields(&c.resolve_participants(s.hr(no_stage)).await.expect_err("stage")), ["stage.stage_id"]);
    let get = pb::GetScenarioRequest { id: String::new(), version: 0 };
    assert_eq!(violated_fields(&c.get_scenario(s.hr(get)).await.expect_err("id")), ["id"]);
    let list = pb::ListScenariosRequest { page_size: 1000, ..Default::default() };
    assert_eq!(violated_fields(&c.list_scenarios(s.hr(list)).await.expect_err("page")), ["page_size"]);
}

pub async fn a_duration_outside_the_recommended_range_needs_the_override_and_warns(s: &Server) {
    let mut long = example(s).await;
    long.stages[0].duration_minutes = 90;
    long.stages[0].allow_duration_outside_recommended = true;
    let saved =
        s.client().create_scenario(s.hr(pb::CreateScenarioRequest { scenario: Some(long) })).await.expect("create");
    let saved = saved.into_inner();
    assert_eq!(saved.scenario.as_ref().map(|x| x.stages[0].duration_minutes), Some(90));
    let fields: Vec<&str> = saved.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["scenario.stages[0].duration_minutes"]);
    let mut default = example(s).await;
    default.stages[0].duration_minutes = 0;
    let saved =
        s.client().create_scenario(s.hr(pb::CreateScenarioRequest { scenario: Some(default) })).await.expect("create");
    let saved = saved.into_inner();
    assert_eq!(saved.scenario.map(|x| x.stages[0].duration_minutes), Some(45), "the default length");
    assert!(saved.warnings.is_empty());
}

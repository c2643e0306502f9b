//! Every bad-input case of a scenario is one violation naming its field (the store suite checks
//! the same cases through the API: INVALID_ARGUMENT and nothing written).

use super::*;
use crate::domain::draft::{ScenarioDraft, Violation};

pub(crate) fn example() -> ScenarioDraft {
    crate::yaml::parse(crate::EXAMPLE_SCENARIO_YAML).expect("the example parses")
}

fn hr() -> crate::domain::people::Email {
    crate::domain::people::Email::parse("hr@example.com").expect("email")
}

fn fields(result: Result<Validated, Vec<Violation>>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(violations) => violations.into_iter().map(|v| v.field).collect(),
    }
}

fn broken(change: impl FnOnce(&mut ScenarioDraft)) -> Vec<String> {
    let mut draft = example();
    change(&mut draft);
    fields(validate(&draft, Some(&hr())))
}

#[test]
fn the_example_scenario_is_valid_with_its_defaults_filled_in() {
    let validated = validate(&example(), Some(&hr())).expect("valid");
    let stages = &validated.definition.stages;
    assert_eq!(
        stages.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["meet-the-team", "product-training", "one-on-one"]
    );
    assert_eq!(stages[0].duration_minutes, 45);
    assert!(validated.warnings.is_empty());
}

#[test]
fn each_bad_input_names_its_field() {
    type Change = Box<dyn FnOnce(&mut ScenarioDraft)>;
    let cases: Vec<(&str, Change)> = vec![
        ("name", Box::new(|d| d.name = " ".into())),
        ("owner_email", Box::new(|d| d.owner_email = "not-an-email".into())),
        ("holidays[1]", Box::new(|d| d.holidays[1] = "2025-13-01".into())),
        ("stages", Box::new(|d| d.stages.clear())),
        ("stages[0].title", Box::new(|d| d.stages[0].title.clear())),
        ("stages[0].kind", Box::new(|d| d.stages[0].kind = "party".into())),
        ("stages[0].kind", Box::new(|d| d.stages[0].kind.clear())),
        ("stages[0].agenda", Box::new(|d| d.stages[0].agenda = "  ".into())),
        ("stages[0].goals", Box::new(|d| d.stages[0].goals.clear())),
        ("stages[0].goals[0]", Box::new(|d| d.stages[0].goals[0] = "".into())),
        ("stages[0].duration_minutes", Box::new(|d| d.stages[0].duration_minutes = 90)),
        ("stages[0].duration_minutes", Box::new(|d| d.stages[0].duration_minutes = 20)),
        ("stages[0].participant_roles", Box::new(|d| d.stages[0].participant_roles.clear())),
        ("stages[0].participant_roles[1]", Box::new(|d| d.stages[0].participant_roles[1] = "ceo".into())),
        ("stages[0].id", Box::new(|d| d.stages[0].id = "Meet The Team".into())),
        ("stages[1].id", Box::new(|d| d.stages[1].id = "meet-the-team".into())),
        ("stages[0].timing", Box::new(|d| d.stages[0].timing = Default::default())),
        ("stages[0].timing", Box::new(|d| d.stages[0].timing.weekly = d.stages[2].timing.weekly.clone())),
        (
            "stages[0].timing.offset.unit",
            Box::new(|d| d.stages[0].timing.offset.as_mut().map(|o| o.unit = "fortnights".into()).unwrap_or(())),
        ),
        (
            "stages[0].timing.offset.amount",
            Box::new(|d| d.stages[0].timing.offset.as_mut().map(|o| o.amount = 500).unwrap_or(())),
        ),
        (
            "stages[0].timing.offset.local_time",
            Box::new(|d| d.stages[0].timing.offset.as_mut().map(|o| o.local_time = "25:00".into()).unwrap_or(())),
        ),
        (
            "stages[2].timing.weekly.weekday",
            Box::new(|d| d.stages[2].timing.weekly.as_mut().map(|w| w.weekday = "saturday".into()).unwrap_or(())),
        ),
        (
            "stages[2].timing.weekly.weekday",
            Box::new(|d| d.stages[2].timing.weekly.as_mut().map(|w| w.weekday = "someday".into()).unwrap_or(())),
        ),
        (
            "stages[2].timing.weekly.occurrences",
            Box::new(|d| d.stages[2].timing.weekly.as_mut().map(|w| w.occurrences = 0).unwrap_or(())),
        ),
        (
            "stages[2].timing.weekly.occurrences",
            Box::new(|d| d.stages[2].timing.weekly.as_mut().map(|w| w.occurrences = 53).unwrap_or(())),
        ),
        (
            "stages[0].named_participants[0].email",
            Box::new(|d| d.stages[0].named_participants.push(Default::default())),
        ),
        ("stages[0].materials[0].url", Box::new(|d| d.stages[0].materials[0].url = "ftp://x".into())),
        ("stages[0].materials[0].title", Box::new(|d| d.stages[0].materials[0].title.clear())),
        ("stages[0].materials[0].kind", Box::new(|d| d.stages[0].materials[0].kind = "video".into())),
        ("stages[1].materials[1].url", Box::new(|d| d.stages[1].materials[1].url = "https://x.example.com".into())),
        ("stages[0].recording_privacy", Box::new(|d| d.stages[0].recording_privacy = "public".into())),
    ];
    for (field, change) in cases {
        assert_eq!(broken(change), [field], "expected exactly one violation on {field}");
    }
}

#[test]
fn a_named_participant_with_a_bad_time_zone_names_the_time_zone() {
    let fields = broken(|d| {
        d.stages[0].named_participants.push(crate::domain::people::PersonDraft {
            email: "cto@example.com".into(),
            name: "CTO".into(),
            time_zone: "Moon/Base".into(),
        })
    });
    assert_eq!(fields, ["stages[0].named_participants[0].time_zone"]);
}

#[test]
fn a_duration_outside_the_recommended_range_is_kept_with_the_override_and_warned_about() {
    let mut draft = example();
    draft.stages[0].duration_minutes = 90;
    draft.stages[0].allow_duration_outside_recommended = true;
    let validated = validate(&draft, Some(&hr())).expect("valid with the override");
    assert_eq!(validated.definition.stages[0].duration_minutes, 90);
    assert_eq!(validated.warnings.len(), 1);
    assert_eq!(validated.warnings[0].field, "stages[0].duration_minutes");
    draft.stages[0].duration_minutes = 600;
    assert_eq!(
        fields(validate(&draft, Some(&hr()))),
        ["stages[0].duration_minutes"],
        "beyond 480 even the override refuses"
    );
}

#[test]
fn several_mistakes_give_one_violation_per_field() {
    let fields = broken(|d| {
        d.name.clear();
        d.stages[0].agenda.clear();
        d.stages[0].goals.clear();
    });
    assert_eq!(fields, ["name", "stages[0].agenda", "stages[0].goals"]);
}

#[test]
fn the_owner_defaults_to_the_caller_and_is_required_without_one() {
    let mut draft = example();
    draft.owner_email.clear();
    assert_eq!(fields(validate(&draft, None)), ["owner_email"]);
    assert_eq!(validate(&draft, Some(&hr())).map(|v| v.definition.owner).ok(), Some(hr()));
    draft.owner_email = "Owner@Example.com".into();
    assert_eq!(
        validate(&draft, Some(&hr())).map(|v| v.definition.owner.to_string()).ok().as_deref(),
        Some("owner@example.com")
    );
}

#[test]
fn stage_ids_are_derived_and_made_unique_when_not_given() {
    let mut draft = example();
    for stage in &mut draft.stages {
        stage.id.clear();
        stage.title = "Sync".into();
    }
    let validated = validate(&draft, Some(&hr())).expect("valid");
    let ids: Vec<&str> = validated.definition.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["sync", "sync-2", "sync-3"]);
}

#[test]
fn stages_past_the_limit_are_not_looked_at() {
    let mut draft = example();
    let mut bad = draft.stages[0].clone();
    bad.id.clear();
    bad.kind.clear();
    draft.stages = vec![bad; 5_000];
    let found = fields(validate(&draft, Some(&hr())));
    assert_eq!(found[0], "stages", "the count is the first violation");
    assert_eq!(found.len(), 1 + MAX_STAGES, "only the first {MAX_STAGES} stages are checked");
}

//! Scenarios as code: the YAML form read by `ImportScenario` and written by `ExportScenario`.
//!
//! The document has the shape and field names of the gRPC `Scenario` message, with enumerations
//! as lower-case words (`kind: meeting`, `unit: business_days`, `weekday: friday`), so a
//! violation's field path reads the same in both (`stages[0].agenda`). Unknown keys are refused,
//! so a typo is an error instead of a silently ignored setting. See
//! `examples/engineering-onboarding.yaml` in this crate.

use serde::{Deserialize, Serialize};

use crate::domain::draft::{
    MaterialDraft, OffsetDraft, ScenarioDraft, StageDraft, TimingDraft, Violation, WeeklyDraft,
};
use crate::domain::people::{Person, PersonDraft};
use crate::domain::scenario::{ScenarioDefinition, Stage, StageKind};
use crate::domain::timing::{Timing, format_local_time, weekday_name};

/// Documents larger than this are refused before parsing.
pub const MAX_YAML_BYTES: usize = 256 * 1024;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioDoc {
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    owner_email: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    holidays: Vec<String>,
    #[serde(default)]
    stages: Vec<StageDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageDoc {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timing: Option<TimingDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    participant_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    named_participants: Vec<PersonDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "is_false")]
    allow_duration_outside_recommended: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    agenda: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    goals: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    materials: Vec<MaterialDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    questions: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    recording_privacy: String,
    #[serde(default, skip_serializing_if = "is_false")]
    schedule_automatically: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimingDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<OffsetDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weekly: Option<WeeklyDoc>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetDoc {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    amount: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    local_time: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeeklyDoc {
    #[serde(default)]
    weekday: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    local_time: String,
    #[serde(default)]
    occurrences: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PersonDoc {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    display_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    time_zone: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialDoc {
    #[serde(default)]
    title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    kind: String,
}

/// How documents are read: YAML 1.2 booleans only (`yes` is not `true`), and errors without a
/// copy of the surrounding document (the location is enough, and the message stays one line).
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
    }
}

/// Reads a YAML scenario into a draft; a syntax or shape error is one violation on `field`
/// carrying the parser's location.
pub fn parse(text: &str) -> Result<ScenarioDraft, Violation> {
    if text.trim().is_empty() {
        return Err(Violation::new("", "is required: a YAML scenario"));
    }
    if text.len() > MAX_YAML_BYTES {
        return Err(Violation::new("", format!("is larger than {MAX_YAML_BYTES} bytes")));
    }
    let doc: ScenarioDoc = serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
        // The messages meant for the people writing a document, not for the code reading it.
        let message = e.render_with_formatter(&serde_saphyr::UserMessageFormatter);
        Violation::new("", format!("is not a valid scenario: {message}"))
    })?;
    Ok(ScenarioDraft {
        name: doc.name,
        description: doc.description,
        owner_email: doc.owner_email,
        holidays: doc.holidays,
        stages: doc.stages.into_iter().map(stage_draft).collect(),
    })
}

fn stage_draft(s: StageDoc) -> StageDraft {
    let timing = s.timing.map(|t| TimingDraft {
        offset: t.offset.map(|o| OffsetDraft { unit: o.unit, amount: o.amount, local_time: o.local_time }),
        weekly: t.weekly.map(|w| WeeklyDraft {
            weekday: w.weekday,
            local_time: w.local_time,
            occurrences: w.occurrences,
        }),
    });
    StageDraft {
        id: s.id,
        title: s.title,
        description: s.description,
        kind: s.kind,
        timing: timing.unwrap_or_default(),
        participant_roles: s.participant_roles,
        named_participants: s
            .named_participants
            .into_iter()
            .map(|p| PersonDraft { email: p.email, name: p.display_name, time_zone: p.time_zone })
            .collect(),
        duration_minutes: s.duration_minutes.unwrap_or(0),
        allow_duration_outside_recommended: s.allow_duration_outside_recommended,
        agenda: s.agenda,
        goals: s.goals,
        materials: s
            .materials
            .into_iter()
            .map(|m| MaterialDraft { title: m.title, url: m.url, kind: m.kind })
            .collect(),
        questions: s.questions,
        recording_privacy: s.recording_privacy,
        schedule_automatically: s.schedule_automatically,
    }
}

/// Writes a scenario as YAML that [`parse`] reads back to the same definition.
pub fn render(definition: &ScenarioDefinition) -> Result<String, serde_saphyr::SerializeError> {
    let doc = ScenarioDoc {
        name: definition.name.clone(),
        description: definition.description.clone(),
        owner_email: definition.owner.to_string(),
        holidays: definition.holidays.0.iter().map(ToString::to_string).collect(),
        stages: definition.stages.iter().map(stage_doc).collect(),
    };
    serde_saphyr::to_string(&doc)
}

fn stage_doc(s: &Stage) -> StageDoc {
    let timing = match &s.timing {
        Timing::Offset { unit, amount, at } => TimingDoc {
            offset: Some(OffsetDoc {
                unit: unit.as_str().into(),
                amount: i64::from(*amount),
                local_time: format_local_time(*at),
            }),
            weekly: None,
        },
        Timing::Weekly { weekday, at, occurrences } => TimingDoc {
            offset: None,
            weekly: Some(WeeklyDoc {
                weekday: weekday_name(*weekday).into(),
                local_time: format_local_time(*at),
                occurrences: i64::from(*occurrences),
            }),
        },
    };
    let meeting = s.kind == StageKind::Meeting;
    StageDoc {
        id: s.id.clone(),
        title: s.title.clone(),
        kind: s.kind.as_str().into(),
        description: s.description.clone(),
        timing: Some(timing),
        participant_roles: s.roles.iter().map(|r| r.as_str().to_string()).collect(),
        named_participants: s.people.iter().map(person_doc).collect(),
        duration_minutes: meeting.then_some(s.duration_minutes),
        allow_duration_outside_recommended: s.duration_override,
        agenda: s.agenda.clone(),
        goals: s.goals.clone(),
        materials: s
            .materials
            .iter()
            .map(|m| MaterialDoc { title: m.title.clone(), url: m.url.clone(), kind: m.kind.as_str().into() })
            .collect(),
        questions: s.questions.clone(),
        recording_privacy: s.recording_privacy.as_str().into(),
        schedule_automatically: s.schedule_automatically,
    }
}

fn person_doc(p: &Person) -> PersonDoc {
    PersonDoc {
        email: p.email.to_string(),
        display_name: p.name.clone(),
        time_zone: p.time_zone.as_ref().map(|z| z.as_str().to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::validate;

    #[test]
    fn the_example_scenario_round_trips_through_yaml() {
        let draft = parse(crate::EXAMPLE_SCENARIO_YAML).expect("example parses");
        let owner = crate::domain::people::Email::parse("hr@example.com").ok();
        let first = validate(&draft, owner.as_ref()).expect("example is valid").definition;
        let again =
            validate(&parse(&render(&first).expect("render")).expect("reparse"), None).expect("valid").definition;
        assert_eq!(first, again);
        assert_eq!(first.stages.len(), 3);
    }

    #[test]
    fn yes_is_not_a_boolean_and_an_unquoted_time_stays_text() {
        let stage =
            "name: x\nstages:\n  - title: a\n    timing: { offset: { unit: days, amount: 1, local_time: 11:00 } }\n";
        let draft = parse(stage).expect("parses");
        assert_eq!(draft.stages[0].timing.offset.as_ref().map(|o| o.local_time.as_str()), Some("11:00"));
        let error = parse(&format!("{stage}    schedule_automatically: yes\n")).expect_err("yes is text in YAML 1.2");
        assert!(error.description.contains("line 5"), "{}", error.description);
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_location() {
        let error = parse("name: x\nstages:\n  - title: a\n    agendaa: typo\n").expect_err("unknown key");
        assert!(error.description.contains("agendaa"), "{}", error.description);
        assert!(error.description.contains("line"), "{}", error.description);
    }
}

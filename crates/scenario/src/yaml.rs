//! Scenarios as code: the YAML form read by `ImportScenario` and written by `ExportScenario`.
//!
//! The document has the shape and field names of the gRPC `Scenario` message, with enumerations
//! as lower-case words (`kind: meeting`, `unit: business_days`, `weekday: friday`), so a
//! violation's field path reads the same in both (`stages[0].agenda`). Unknown keys are refused,
//! so a typo is an error instead of a silently ignored setting. Documents over [`MAX_YAML_BYTES`]
//! or nested deeper than [`MAX_YAML_DEPTH`] are refused unread ([`YamlError::Refused`]). See
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

/// How deep a document may nest. A scenario nests five levels at most (the document, its stages,
/// a stage, its timing, the offset); a document deeper than this is refused as soon as the parser
/// reaches that depth, before anything is built from it. Deep nesting is cheap to send and costly
/// to parse, so the limit keeps the work on any document within the size limit small.
pub const MAX_YAML_DEPTH: usize = 16;

/// Why a document gave no draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlError {
    /// Refused without being read: larger than [`MAX_YAML_BYTES`] or nested deeper than
    /// [`MAX_YAML_DEPTH`]. Bad input for every call, validation included.
    Refused(Violation),
    /// Empty, or read but not a scenario: a syntax or shape error at the parser's location.
    Invalid(Violation),
}

impl YamlError {
    pub fn into_violation(self) -> Violation {
        match self {
            YamlError::Refused(violation) | YamlError::Invalid(violation) => violation,
        }
    }
}

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

/// How documents are read: at most [`MAX_YAML_DEPTH`] deep, YAML 1.2 booleans only (`yes` is
/// not `true`), and errors without a copy of the surrounding document (the location is enough,
/// and the message stays one line).
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_depth: MAX_YAML_DEPTH, flow_nesting_limit: MAX_YAML_DEPTH },
        strict_booleans: true,
        with_snippet: false,
    }
}

/// Reads a YAML scenario into a draft; a syntax or shape error is one violation on `field`
/// carrying the parser's location.
pub fn parse(text: &str) -> Result<ScenarioDraft, Violation> {
    read(text).map_err(YamlError::into_violation)
}

/// [`parse`], telling a document refused unread from one that is not a scenario.
pub fn read(text: &str) -> Result<ScenarioDraft, YamlError> {
    if text.trim().is_empty() {
        return Err(YamlError::Invalid(Violation::new("", "is required: a YAML scenario")));
    }
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError::Refused(Violation::new("", format!("is larger than {MAX_YAML_BYTES} bytes"))));
    }
    refuse_deep_nesting(text)?;
    let doc: ScenarioDoc = serde_saphyr::from_str_with_options(text, options()).map_err(read_error)?;
    Ok(ScenarioDraft {
        name: doc.name,
        description: doc.description,
        owner_email: doc.owner_email,
        holidays: doc.holidays,
        stages: doc.stages.into_iter().map(stage_draft).collect(),
    })
}

/// Walks the whole document with the parser alone, building nothing, so the depth limit holds
/// wherever the nesting is: reading into the scenario's types stops at the first value of the
/// wrong shape, which may come before the depth. Any other error is left to the real read,
/// which reports it in terms of the scenario.
fn refuse_deep_nesting(text: &str) -> Result<(), YamlError> {
    match serde_saphyr::from_str_with_options::<serde::de::IgnoredAny>(text, options()) {
        Err(error) => match too_deep(&error) {
            Some(refused) => Err(refused),
            None => Ok(()),
        },
        Ok(_) => Ok(()),
    }
}

/// The refusal when `error` is the depth limit: the budget's, or the scanner's own limit on
/// nested flow collections (it reads ahead of the events the budget counts).
fn too_deep(error: &serde_saphyr::Error) -> Option<YamlError> {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::granit_parser::ErrorKind;
    let location = match error.without_snippet() {
        serde_saphyr::Error::Budget { breach: BudgetBreach::Depth { .. }, location } => location,
        serde_saphyr::Error::ExternalMessage { source, location, .. }
            if matches!(&**source, serde_saphyr::ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded)) =>
        {
            location
        }
        _ => return None,
    };
    let at = format!("line {}, column {}", location.line(), location.column());
    let description = format!("is nested deeper than {MAX_YAML_DEPTH} levels (at {at}): a scenario needs 5");
    Some(YamlError::Refused(Violation::new("", description)))
}

fn read_error(error: serde_saphyr::Error) -> YamlError {
    if let Some(refused) = too_deep(&error) {
        return refused;
    }
    // The messages meant for the people writing a document, not for the code reading it.
    let message = error.render_with_formatter(&serde_saphyr::UserMessageFormatter);
    YamlError::Invalid(Violation::new("", format!("is not a valid scenario: {message}")))
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

    /// `stages: [{goals: [...]}]` with the goals nested to `depth` levels in all.
    fn nested(depth: usize) -> String {
        let inner = depth - 3;
        format!("stages: [{{goals: {}x{}}}]", "[".repeat(inner), "]".repeat(inner))
    }

    #[test]
    fn nesting_up_to_the_limit_is_read_and_one_level_more_is_refused_unread() {
        match read(&nested(MAX_YAML_DEPTH)) {
            Err(YamlError::Invalid(violation)) => {
                assert!(violation.description.contains("expected string"), "{}", violation.description)
            }
            other => panic!("read, and refused for its shape: {other:?}"),
        }
        match read(&nested(MAX_YAML_DEPTH + 1)) {
            Err(YamlError::Refused(violation)) => {
                assert_eq!(violation.field, "");
                assert!(violation.description.contains("nested deeper than 16"), "{}", violation.description);
                assert!(violation.description.contains("line 1"), "{}", violation.description);
            }
            other => panic!("refused for its depth: {other:?}"),
        }
    }

    #[test]
    fn the_example_in_flow_style_reads_as_the_block_style_does() {
        // JSON is YAML's flow style: every mapping and sequence in brackets, as deep as it gets.
        let block: ScenarioDoc = serde_saphyr::from_str(crate::EXAMPLE_SCENARIO_YAML).expect("block style");
        let flow = serde_json::to_string(&block).expect("json");
        assert_eq!(parse(&flow).expect("flow style"), parse(crate::EXAMPLE_SCENARIO_YAML).expect("block style"));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_location() {
        let error = parse("name: x\nstages:\n  - title: a\n    agendaa: typo\n").expect_err("unknown key");
        assert!(error.description.contains("agendaa"), "{}", error.description);
        assert!(error.description.contains("line"), "{}", error.description);
    }
}

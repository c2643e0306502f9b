//! Draft → [`ScenarioDefinition`]: every rule of a good scenario, each broken rule one
//! [`Violation`] naming its field. Nothing is stored unless this returns `Ok`.

use std::collections::{BTreeSet, HashMap};

use super::draft::{MaterialDraft, ScenarioDraft, StageDraft, TimingDraft, Violations, Warning};
use super::people::{Email, Person, PersonDraft, TimeZoneName};
use super::scenario::{
    ALLOWED_DURATION, DEFAULT_DURATION_MINUTES, Material, MaterialKind, RECOMMENDED_DURATION, RecordingPrivacy, Role,
    ScenarioDefinition, Stage, StageKind, is_valid_stage_id, slug,
};
use super::timing::{
    DEFAULT_LOCAL_TIME, Holidays, MAX_OCCURRENCES, OffsetUnit, Timing, parse_date, parse_local_time, parse_weekday,
};

const MAX_STAGES: usize = 50;
const MAX_LIST: usize = 30;
const MAX_NAME: usize = 200;
const MAX_TEXT: usize = 10_000;
const MAX_ITEM: usize = 1_000;

/// A scenario that passed validation, with the warnings to show.
#[derive(Debug, Clone)]
pub struct Validated {
    pub definition: ScenarioDefinition,
    pub warnings: Vec<Warning>,
}

/// Checks `draft`; `default_owner` is used when it names no owner (the calling HR person).
pub fn validate(
    draft: &ScenarioDraft,
    default_owner: Option<&Email>,
) -> Result<Validated, Vec<super::draft::Violation>> {
    let mut v = Violations::default();
    let mut warnings = Vec::new();
    let name = text(&mut v, "name", &draft.name, true, MAX_NAME);
    let description = text(&mut v, "description", &draft.description, false, MAX_TEXT);
    let owner = match (draft.owner_email.trim(), default_owner) {
        ("", Some(owner)) => Some(owner.clone()),
        (given, _) => Email::parse(given).map_err(|e| v.add("owner_email", e)).ok(),
    };
    let holidays = holidays(&mut v, &draft.holidays);
    if draft.stages.is_empty() {
        v.add("stages", "a scenario needs at least one stage");
    } else if draft.stages.len() > MAX_STAGES {
        v.add("stages", format!("at most {MAX_STAGES} stages"));
    }
    let mut stages = Vec::with_capacity(draft.stages.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    // Past the limit the rest is not looked at: the count is the violation, and the work on one
    // request stays bounded.
    for (index, stage) in draft.stages.iter().take(MAX_STAGES).enumerate() {
        let field = format!("stages[{index}]");
        let id = stage_id(&mut v, &field, stage, index, &mut seen);
        if let Some(stage) = validate_stage(&mut v, &mut warnings, &field, stage, id) {
            stages.push(stage);
        }
    }
    match owner {
        Some(owner) if v.is_empty() => {
            Ok(Validated { definition: ScenarioDefinition { name, description, owner, holidays, stages }, warnings })
        }
        // A missing owner always recorded its violation.
        _ => Err(v.0),
    }
}

fn text(v: &mut Violations, field: &str, value: &str, required: bool, max: usize) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        v.add(field, "is required");
    } else if value.chars().count() > max {
        v.add(field, format!("is longer than {max} characters"));
    }
    value.to_string()
}

fn list(v: &mut Violations, field: &str, values: &[String]) -> Vec<String> {
    if values.len() > MAX_LIST {
        v.add(field, format!("at most {MAX_LIST} entries"));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let item = format!("{field}[{i}]");
            text(v, &item, value, true, MAX_ITEM)
        })
        .collect()
}

fn holidays(v: &mut Violations, values: &[String]) -> Holidays {
    let mut days = BTreeSet::new();
    if values.len() > 366 {
        v.add("holidays", "at most 366 dates");
    }
    for (i, value) in values.iter().enumerate() {
        match parse_date(value) {
            Ok(day) => {
                days.insert(day);
            }
            Err(e) => v.add(format!("holidays[{i}]"), e),
        }
    }
    Holidays(days)
}

fn stage_id(
    v: &mut Violations,
    field: &str,
    stage: &StageDraft,
    index: usize,
    seen: &mut HashMap<String, usize>,
) -> String {
    let given = stage.id.trim();
    let id = if given.is_empty() {
        // A derived id takes a suffix rather than clash with an earlier stage.
        let base = slug(&stage.title);
        let mut candidate = base.clone();
        let mut n = 2;
        while seen.contains_key(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        candidate
    } else if !is_valid_stage_id(given) {
        v.add(format!("{field}.id"), format!("{given:?} must be 1–64 of a-z, 0-9 and '-'"));
        given.to_string()
    } else if let Some(first) = seen.get(given) {
        v.add(format!("{field}.id"), format!("{given:?} is already the id of stages[{first}]"));
        given.to_string()
    } else {
        given.to_string()
    };
    seen.entry(id.clone()).or_insert(index);
    id
}

fn validate_stage(
    v: &mut Violations,
    warnings: &mut Vec<Warning>,
    field: &str,
    s: &StageDraft,
    id: String,
) -> Option<Stage> {
    let title = text(v, &format!("{field}.title"), &s.title, true, MAX_NAME);
    let description = text(v, &format!("{field}.description"), &s.description, false, MAX_TEXT);
    let kind = match s.kind.trim() {
        "" => {
            v.add(format!("{field}.kind"), format!("is required: one of {}", StageKind::names()));
            None
        }
        other => StageKind::parse(other).or_else(|| {
            v.add(format!("{field}.kind"), format!("{other:?} is not one of {}", StageKind::names()));
            None
        }),
    };
    let timing = timing(v, &format!("{field}.timing"), &s.timing);
    let roles = roles(v, &format!("{field}.participant_roles"), &s.participant_roles);
    let people = people(v, &format!("{field}.named_participants"), &s.named_participants);
    let agenda = text(v, &format!("{field}.agenda"), &s.agenda, false, MAX_TEXT);
    let goals = list(v, &format!("{field}.goals"), &s.goals);
    let materials = materials(v, &format!("{field}.materials"), &s.materials);
    let questions = list(v, &format!("{field}.questions"), &s.questions);
    let recording_privacy = match s.recording_privacy.trim() {
        "" => Some(RecordingPrivacy::Participants),
        other => RecordingPrivacy::parse(other).or_else(|| {
            let names = RecordingPrivacy::names();
            v.add(format!("{field}.recording_privacy"), format!("{other:?} is not one of {names}"));
            None
        }),
    };
    if let Some(privacy) = recording_privacy {
        hidden_previous_recordings(warnings, field, s, privacy);
    }
    let is_meeting = kind == Some(StageKind::Meeting);
    let mut duration_minutes = 0;
    if is_meeting {
        if agenda.is_empty() {
            v.add(format!("{field}.agenda"), "a meeting stage needs an agenda: participants come prepared");
        }
        if goals.is_empty() {
            v.add(format!("{field}.goals"), "a meeting stage needs goals or expected results: a clear purpose");
        }
        if roles.is_empty() && people.is_empty() {
            v.add(
                format!("{field}.participant_roles"),
                "a meeting stage needs a participant role or a named participant",
            );
        }
        duration_minutes = duration(v, warnings, field, s);
    }
    Some(Stage {
        id,
        title,
        description,
        kind: kind?,
        timing: timing?,
        roles,
        people,
        duration_minutes,
        duration_override: is_meeting && s.allow_duration_outside_recommended,
        agenda,
        goals,
        materials,
        questions,
        recording_privacy: recording_privacy?,
        schedule_automatically: is_meeting && s.schedule_automatically,
    })
}

/// A `previous_recording` material on a stage whose privacy keeps the recording from later
/// cohorts stays empty for everyone but HR: accepted, since HR may still want it, but worth a
/// warning.
fn hidden_previous_recordings(warnings: &mut Vec<Warning>, field: &str, s: &StageDraft, privacy: RecordingPrivacy) {
    if privacy.opens_to_later_cohorts() {
        return;
    }
    let linked = s
        .materials
        .iter()
        .enumerate()
        .filter(|(_, m)| MaterialKind::parse(&m.kind) == Some(MaterialKind::PreviousRecording));
    for (i, _) in linked {
        warnings.push(Warning {
            field: format!("{field}.materials[{i}]"),
            message: format!(
                "links the previous recording, but recording_privacy {} keeps it from new employees: only HR will see the link (organization shares it)",
                privacy.as_str()
            ),
        });
    }
}

fn duration(v: &mut Violations, warnings: &mut Vec<Warning>, field: &str, s: &StageDraft) -> u32 {
    let minutes = if s.duration_minutes == 0 { DEFAULT_DURATION_MINUTES } else { s.duration_minutes };
    let name = format!("{field}.duration_minutes");
    let (low, high) = (RECOMMENDED_DURATION.start(), RECOMMENDED_DURATION.end());
    if !ALLOWED_DURATION.contains(&minutes) {
        let (min, max) = (ALLOWED_DURATION.start(), ALLOWED_DURATION.end());
        v.add(name, format!("{minutes} minutes is outside {min}–{max}"));
    } else if !RECOMMENDED_DURATION.contains(&minutes) {
        if s.allow_duration_outside_recommended {
            let message = format!("{minutes} minutes is outside the recommended {low}–{high}");
            warnings.push(Warning { field: name, message });
        } else {
            v.add(
                name,
                format!("{minutes} minutes is outside the recommended {low}–{high}; set allow_duration_outside_recommended to keep it"),
            );
        }
    }
    minutes
}

fn timing(v: &mut Violations, field: &str, t: &TimingDraft) -> Option<Timing> {
    match (&t.offset, &t.weekly) {
        (None, None) => {
            v.add(field, "is required: an offset or a weekly recurrence");
            None
        }
        (Some(_), Some(_)) => {
            v.add(field, "give either an offset or a weekly recurrence, not both");
            None
        }
        (Some(o), None) => {
            let at = local_time(v, &format!("{field}.offset.local_time"), &o.local_time);
            let unit = OffsetUnit::parse(o.unit.trim()).or_else(|| {
                let unit = o.unit.trim();
                v.add(format!("{field}.offset.unit"), format!("{unit:?} is not one of business_days, weeks, months"));
                None
            });
            let amount = unit.and_then(|unit| {
                let max = unit.max();
                let ok = (0..=i64::from(max)).contains(&o.amount);
                if !ok {
                    v.add(format!("{field}.offset.amount"), format!("must be 0–{max} {}", unit.as_str()));
                }
                ok.then_some(o.amount as u32)
            });
            Some(Timing::Offset { unit: unit?, amount: amount?, at: at? })
        }
        (None, Some(w)) => {
            let at = local_time(v, &format!("{field}.weekly.local_time"), &w.local_time);
            let weekday = match parse_weekday(&w.weekday) {
                Some(jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) => {
                    v.add(format!("{field}.weekly.weekday"), "must be a working day, monday to friday");
                    None
                }
                Some(day) => Some(day),
                None => {
                    v.add(
                        format!("{field}.weekly.weekday"),
                        format!("{:?} is not a weekday monday–friday", w.weekday.trim()),
                    );
                    None
                }
            };
            let ok = (1..=i64::from(MAX_OCCURRENCES)).contains(&w.occurrences);
            if !ok {
                v.add(format!("{field}.weekly.occurrences"), format!("must be 1–{MAX_OCCURRENCES}"));
            }
            Some(Timing::Weekly { weekday: weekday?, at: at?, occurrences: ok.then_some(w.occurrences as u32)? })
        }
    }
}

fn local_time(v: &mut Violations, field: &str, value: &str) -> Option<jiff::civil::Time> {
    if value.trim().is_empty() {
        return Some(DEFAULT_LOCAL_TIME);
    }
    parse_local_time(value).map_err(|e| v.add(field, e)).ok()
}

fn roles(v: &mut Violations, field: &str, values: &[String]) -> Vec<Role> {
    let mut roles = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match Role::parse(value) {
            Some(role) if !roles.contains(&role) => roles.push(role),
            Some(_) => {}
            None => v.add(format!("{field}[{i}]"), format!("{:?} is not one of {}", value.trim(), Role::names())),
        }
    }
    roles
}

/// People named in a stage or an assignment: a valid e-mail, an optional name and time zone.
pub fn people(v: &mut Violations, field: &str, values: &[PersonDraft]) -> Vec<Person> {
    if values.len() > MAX_LIST {
        v.add(field, format!("at most {MAX_LIST} people"));
    }
    values.iter().enumerate().filter_map(|(i, p)| person(v, &format!("{field}[{i}]"), p, false)).collect()
}

/// One person; `zone_required` for new employees, whose due dates depend on it.
pub fn person(v: &mut Violations, field: &str, p: &PersonDraft, zone_required: bool) -> Option<Person> {
    let email = Email::parse(&p.email).map_err(|e| v.add(format!("{field}.email"), e)).ok();
    let name = text(v, &format!("{field}.display_name"), &p.name, false, MAX_NAME);
    let time_zone = if p.time_zone.trim().is_empty() && !zone_required {
        None
    } else {
        match TimeZoneName::parse(&p.time_zone) {
            Ok(zone) => Some(zone),
            Err(e) => {
                v.add(format!("{field}.time_zone"), e);
                return None;
            }
        }
    };
    Some(Person { email: email?, name, time_zone })
}

fn materials(v: &mut Violations, field: &str, values: &[MaterialDraft]) -> Vec<Material> {
    if values.len() > MAX_LIST {
        v.add(field, format!("at most {MAX_LIST} materials"));
    }
    let mut out = Vec::new();
    for (i, m) in values.iter().enumerate() {
        let at = format!("{field}[{i}]");
        let title = text(v, &format!("{at}.title"), &m.title, true, MAX_NAME);
        let kind = match m.kind.trim() {
            "" => Some(MaterialKind::Link),
            other => MaterialKind::parse(other).or_else(|| {
                v.add(format!("{at}.kind"), format!("{other:?} is not one of {}", MaterialKind::names()));
                None
            }),
        };
        let url = m.url.trim();
        let needs_url = kind != Some(MaterialKind::PreviousRecording);
        if needs_url && !(url.starts_with("https://") || url.starts_with("http://")) {
            v.add(format!("{at}.url"), "must be an http(s) link");
        } else if !needs_url && !url.is_empty() {
            v.add(format!("{at}.url"), "leave empty: the latest recording of this stage is filled in");
        } else if url.len() > 2048 {
            v.add(format!("{at}.url"), "is longer than 2048 characters");
        }
        if let Some(kind) = kind {
            out.push(Material { title, url: url.to_string(), kind });
        }
    }
    out
}

#[cfg(test)]
#[path = "validation_tests.rs"]
mod tests;

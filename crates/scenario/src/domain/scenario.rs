//! A validated scenario: what is stored (as JSON, one document per version) and what every
//! decision reads. Built only by [`validation`](super::validation); never edited field by field.

use serde::{Deserialize, Serialize};

use super::people::{Email, Person};
use super::timing::{Holidays, Timing};

/// The recommended meeting length, and the default.
pub const DEFAULT_DURATION_MINUTES: u32 = 45;
pub const RECOMMENDED_DURATION: std::ops::RangeInclusive<u32> = 30..=60;
/// What is accepted at all, with the override flag.
pub const ALLOWED_DURATION: std::ops::RangeInclusive<u32> = 5..=480;

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text.trim())
            }

            /// "a, b, c", for error messages.
            pub fn names() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

named_enum!(
    /// What a stage is.
    StageKind { Meeting => "meeting", Task => "task", Reading => "reading" }
);

named_enum!(
    /// People of an assignment that a stage can invite by role.
    Role { Manager => "manager", Team => "team", Trainer => "trainer", Hr => "hr", Buddy => "buddy" }
);

named_enum!(
    /// Who may open a stage's archived recording.
    RecordingPrivacy {
        Participants => "participants",
        ParticipantsAndHr => "participants_and_hr",
        Organization => "organization",
        HrOnly => "hr_only",
    }
);

impl RecordingPrivacy {
    /// Whether the stage's recording may be handed to the new employees of a later cohort as
    /// their "previous recording" material. Only an organization-wide recording: under the other
    /// settings they were not among the people who may open it.
    pub fn opens_to_later_cohorts(self) -> bool {
        self == RecordingPrivacy::Organization
    }
}

named_enum!(
    /// What a material link points at.
    MaterialKind {
        Document => "document",
        Presentation => "presentation",
        Link => "link",
        PreviousRecording => "previous_recording",
    }
);

/// A titled link. For [`MaterialKind::PreviousRecording`] the url is filled in on read from the
/// stage's latest archived recording, where the stage's privacy lets the reader open it
/// ([`RecordingPrivacy::opens_to_later_cohorts`], or HR).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub title: String,
    #[serde(default)]
    pub url: String,
    pub kind: MaterialKind,
}

/// One stage of a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: StageKind,
    pub timing: Timing,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub people: Vec<Person>,
    /// Meeting stages only; 0 for the others.
    #[serde(default)]
    pub duration_minutes: u32,
    #[serde(default)]
    pub duration_override: bool,
    #[serde(default)]
    pub agenda: String,
    #[serde(default)]
    pub goals: Vec<String>,
    #[serde(default)]
    pub materials: Vec<Material>,
    #[serde(default)]
    pub questions: Vec<String>,
    pub recording_privacy: RecordingPrivacy,
    #[serde(default)]
    pub schedule_automatically: bool,
}

impl Stage {
    /// Whether its meeting is scheduled without a person pressing "start".
    pub fn schedules_meeting(&self) -> bool {
        self.kind == StageKind::Meeting && self.schedule_automatically
    }
}

/// The content of one scenario version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioDefinition {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub owner: Email,
    #[serde(default)]
    pub holidays: Holidays,
    pub stages: Vec<Stage>,
}

impl ScenarioDefinition {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    pub fn from_json(text: &str) -> Result<ScenarioDefinition, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A stage id from a title: lower-case words joined by '-', at most 64 characters.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed: String = out.trim_end_matches('-').chars().take(64).collect();
    let trimmed = trimmed.trim_end_matches('-').to_string();
    if trimmed.is_empty() { "stage".to_string() } else { trimmed }
}

/// Whether `id` is a valid stage id.
pub fn is_valid_stage_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_ids_are_derived_from_titles() {
        assert_eq!(slug("Meet the team (week 1)"), "meet-the-team-week-1");
        assert_eq!(slug("  Ünïcode!! "), "n-code");
        assert_eq!(slug("!!!"), "stage");
        assert!(is_valid_stage_id(&slug(&"long title ".repeat(20))));
    }
}

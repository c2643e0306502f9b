//! Scenario input as a client sent it, from a gRPC message or a YAML document, before any check.
//! Enumerations are kept as text so both sources reach [`validation`](super::validation) the same
//! way and an unknown value becomes a field violation, not a decoding failure.

use super::people::PersonDraft;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioDraft {
    pub name: String,
    pub description: String,
    pub owner_email: String,
    pub holidays: Vec<String>,
    pub stages: Vec<StageDraft>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageDraft {
    pub id: String,
    pub title: String,
    pub description: String,
    /// `meeting`, `task`, `reading`; empty when not given.
    pub kind: String,
    pub timing: TimingDraft,
    pub participant_roles: Vec<String>,
    pub named_participants: Vec<PersonDraft>,
    pub duration_minutes: u32,
    pub allow_duration_outside_recommended: bool,
    pub agenda: String,
    pub goals: Vec<String>,
    pub materials: Vec<MaterialDraft>,
    pub questions: Vec<String>,
    /// Empty means the default, `participants`.
    pub recording_privacy: String,
    pub schedule_automatically: bool,
}

/// Exactly one of the two must be given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimingDraft {
    pub offset: Option<OffsetDraft>,
    pub weekly: Option<WeeklyDraft>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OffsetDraft {
    pub unit: String,
    pub amount: i64,
    pub local_time: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeeklyDraft {
    pub weekday: String,
    pub local_time: String,
    pub occurrences: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MaterialDraft {
    pub title: String,
    pub url: String,
    /// Empty means `link`.
    pub kind: String,
}

/// One wrong field of the input and why; the runtime's type, so every service reports bad
/// input the same way.
pub use butterboard_runtime::error::Violation;

/// Accepted input that deserves a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub message: String,
}

/// Collects violations while a validation walks its input.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation::new(field, description));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<Violation>> {
        if self.0.is_empty() { Ok(value) } else { Err(self.0) }
    }
}

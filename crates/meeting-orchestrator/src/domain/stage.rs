//! A stage and its people as `scenario` resolved them, in the orchestrator's own terms.

/// A person, with the e-mail lower-cased and trimmed (every comparison is by e-mail).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub email: String,
    pub name: String,
    pub time_zone: String,
}

impl Person {
    pub fn new(email: &str, name: &str, time_zone: &str) -> Self {
        Self { email: normalize_email(email), name: name.trim().to_string(), time_zone: time_zone.trim().to_string() }
    }

    /// The name to show: the display name, else the e-mail's local part.
    pub fn label(&self) -> &str {
        if self.name.is_empty() { self.email.split('@').next().unwrap_or(&self.email) } else { &self.name }
    }
}

/// E-mails compare case-insensitively and without surrounding space.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    Meeting,
    Task,
    Reading,
    Unknown,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Meeting => "meeting",
            StageKind::Task => "task",
            StageKind::Reading => "reading",
            StageKind::Unknown => "unknown",
        }
    }
}

/// A weekly stage: one occurrence a week on `weekday` (1 = Monday … 7 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Weekly {
    pub weekday: u8,
    pub occurrences: u32,
}

impl Weekly {
    /// Zoom's `weekly_days` number of the weekday (1 = Sunday … 7 = Saturday).
    pub fn zoom_day(self) -> u8 {
        self.weekday % 7 + 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Material {
    pub title: String,
    pub url: String,
    pub previous_recording: bool,
}

/// What a meeting needs to know about its stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StageInfo {
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_name: String,
    pub stage_id: String,
    pub title: String,
    pub kind: StageKind,
    pub weekly: Option<Weekly>,
    pub duration_minutes: u32,
    pub agenda: String,
    pub goals: Vec<String>,
    pub materials: Vec<Material>,
    pub questions: Vec<String>,
    /// The events' `RecordingPrivacy` number.
    pub recording_privacy: i32,
    pub schedule_automatically: bool,
}

/// A person of the stage and why: roles (`manager`, `team`, …) or named by the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagePerson {
    pub person: Person,
    pub roles: Vec<String>,
    pub named: bool,
}

/// A new employee whose instance of the stage is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortMember {
    pub employee: Person,
    pub assignment_id: String,
    pub stage_instance_id: String,
    pub due_at_ms: i64,
}

/// Who takes part in a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub stage: StageInfo,
    pub people: Vec<StagePerson>,
    pub cohort: Vec<CohortMember>,
    pub hr_contacts: Vec<Person>,
}

impl Resolution {
    /// The e-mails of the stage's managers (role people with the `manager` role).
    pub fn managers(&self) -> Vec<String> {
        self.people.iter().filter(|p| p.roles.iter().any(|r| r == "manager")).map(|p| p.person.email.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_counts_weekdays_from_sunday() {
        let day = |weekday| Weekly { weekday, occurrences: 1 }.zoom_day();
        assert_eq!((day(1), day(4), day(6), day(7)), (2, 5, 7, 1));
    }
}

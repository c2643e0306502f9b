//! A meeting's status and the people it invites.

use serde::{Deserialize, Serialize};

use super::stage::Person;

/// Where a meeting stands. `Creating` is the intent recorded before Zoom is called: it is what
/// makes "one Zoom meeting per request" survive a crash (see `app::create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    Creating,
    Scheduled,
    Started,
    Ended,
    Cancelled,
}

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 5] = [
        MeetingStatus::Creating,
        MeetingStatus::Scheduled,
        MeetingStatus::Started,
        MeetingStatus::Ended,
        MeetingStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeetingStatus::Creating => "creating",
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::Started => "started",
            MeetingStatus::Ended => "ended",
            MeetingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<MeetingStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// A meeting that exists in Zoom and was not cancelled.
    pub fn is_live(self) -> bool {
        matches!(self, MeetingStatus::Scheduled | MeetingStatus::Started | MeetingStatus::Ended)
    }
}

/// Why someone is invited: a new employee of the cohort, a role of the stage, a person the stage
/// names, the host, or someone HR added later.
pub mod roles {
    pub const EMPLOYEE: &str = "employee";
    pub const NAMED: &str = "named";
    pub const HOST: &str = "host";
    pub const ADDED: &str = "added";
    pub const GUEST: &str = "guest";
}

/// One person invited to a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub person: Person,
    pub role: String,
    /// A new employee's assignment and the stage instance the meeting is for (the first one of a
    /// weekly series).
    pub assignment_id: String,
    pub stage_instance_id: String,
}

impl Invitee {
    pub fn is_employee(&self) -> bool {
        self.role == roles::EMPLOYEE
    }
}

/// A stage instance the meeting is for; in a recurring meeting, the occurrence (by position in
/// the series, 0-based) it is tied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedInstance {
    pub stage_instance_id: String,
    pub assignment_id: String,
    pub occurrence_index: Option<u32>,
}

/// The occurrence a session of a series was: the one scheduled nearest to when the session
/// started, among those no other session took. Zoom's webhooks name the session's uuid, not the
/// occurrence.
pub fn nearest_occurrence(occurrences: &[(String, i64)], taken: &[String], started_ms: i64) -> Option<String> {
    occurrences
        .iter()
        .filter(|(id, _)| !taken.contains(id))
        .min_by_key(|(id, start)| ((start - started_ms).abs(), id.clone()))
        .map(|(id, _)| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_the_free_occurrence_scheduled_nearest_to_its_start() {
        let week = 7 * 86_400_000;
        let occurrences: Vec<(String, i64)> = (0..3).map(|i| (format!("o{i}"), i * week)).collect();
        assert_eq!(nearest_occurrence(&occurrences, &[], week + 600_000).as_deref(), Some("o1"));
        assert_eq!(nearest_occurrence(&occurrences, &["o1".into()], week - 600_000).as_deref(), Some("o0"));
        assert_eq!(nearest_occurrence(&[], &[], 0), None);
    }
}

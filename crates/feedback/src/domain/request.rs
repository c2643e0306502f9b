//! What a stage event asks of this service: one feedback request per new employee and stage
//! instance, and how that employee took part in the stage's meeting.
//!
//! A meeting stage brings two events, `onboarding.meeting.ended` (with attendance) and
//! `onboarding.stage.completed` (when the attendance completed the stage, or a person did), in
//! either order and each possibly more than once. Both name the same (assignment, stage
//! instance), and a stage instance stands for one occurrence of its stage, so that pair is the
//! request's identity: whichever event comes first creates the request, the other only adds what
//! it knows ([`Sighting::merge`]) — the meeting's attendance, its id, the question template.

/// How the employee took part in the stage's meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttendanceClass {
    /// No meeting is known for the stage (a task, a reading, a meeting completed by hand).
    NoMeeting,
    /// From start to end.
    Full,
    /// Joined late or left early.
    Partial,
    /// Invited and absent.
    Missed,
}

impl AttendanceClass {
    pub const ALL: [AttendanceClass; 4] =
        [AttendanceClass::Full, AttendanceClass::Partial, AttendanceClass::Missed, AttendanceClass::NoMeeting];

    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceClass::NoMeeting => "no_meeting",
            AttendanceClass::Full => "full",
            AttendanceClass::Partial => "partial",
            AttendanceClass::Missed => "missed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// How reports label it.
    pub fn label(self) -> &'static str {
        match self {
            AttendanceClass::NoMeeting => "no meeting",
            AttendanceClass::Full => "attended",
            AttendanceClass::Partial => "late or left early",
            AttendanceClass::Missed => "missed",
        }
    }
}

/// One new employee's attendance, as `onboarding.meeting.ended` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presence {
    pub attended: bool,
    pub seconds_present: u32,
    pub joined_late: bool,
    pub left_early: bool,
}

impl Presence {
    pub fn class(&self) -> AttendanceClass {
        match (self.attended, self.joined_late || self.left_early) {
            (false, _) => AttendanceClass::Missed,
            (true, true) => AttendanceClass::Partial,
            (true, false) => AttendanceClass::Full,
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    Open,
    Answered,
    Expired,
    /// Its assignment was cancelled.
    Withdrawn,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 4] =
        [RequestStatus::Open, RequestStatus::Answered, RequestStatus::Expired, RequestStatus::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Answered => "answered",
            RequestStatus::Expired => "expired",
            RequestStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One event's view of a request it calls for: the identity, and whatever the event knows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sighting {
    pub assignment_id: String,
    pub stage_instance_id: String,
    pub stage_id: String,
    pub stage_title: String,
    /// 0 when the event does not say.
    pub occurrence: u32,
    pub meeting_id: Option<String>,
    /// From `onboarding.meeting.ended` only.
    pub presence: Option<Presence>,
    /// The stage's question template when the event carries one.
    pub questions: Option<Vec<String>>,
    /// 0 when the event does not say.
    pub scenario_version: u32,
}

impl Sighting {
    /// The attendance class a request made from this sighting gets.
    pub fn attendance(&self) -> AttendanceClass {
        self.presence.map_or(AttendanceClass::NoMeeting, |p| p.class())
    }

    /// What a later sighting of the same request adds to an earlier one: the meeting's
    /// attendance and id are kept once known; nothing else changes, so the order in which the
    /// events arrive does not matter.
    pub fn merge(self, later: &Sighting) -> Sighting {
        Sighting {
            meeting_id: self.meeting_id.or_else(|| later.meeting_id.clone()),
            presence: self.presence.or(later.presence),
            questions: self.questions.or_else(|| later.questions.clone()),
            occurrence: if self.occurrence == 0 { later.occurrence } else { self.occurrence },
            stage_title: if self.stage_title.is_empty() { later.stage_title.clone() } else { self.stage_title },
            ..self
        }
    }
}

/// A template given by an event: empty lists are "not given" (an event that does not carry the
/// template and a stage without one look alike on the wire), so the stored template decides.
pub fn given_questions(questions: &[String]) -> Option<Vec<String>> {
    let cleaned: Vec<String> = questions.iter().map(|q| q.trim().to_string()).filter(|q| !q.is_empty()).collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_is_full_partial_or_missed_and_no_meeting_without_one() {
        let full = Presence { attended: true, seconds_present: 2700, ..Presence::default() };
        let late = Presence { joined_late: true, ..full };
        let left = Presence { left_early: true, ..full };
        let missed = Presence { attended: false, joined_late: true, ..Presence::default() };
        assert_eq!(
            [full.class(), late.class(), left.class(), missed.class()],
            [AttendanceClass::Full, AttendanceClass::Partial, AttendanceClass::Partial, AttendanceClass::Missed]
        );
        assert_eq!(Sighting::default().attendance(), AttendanceClass::NoMeeting);
    }

    #[test]
    fn merging_sightings_gives_the_same_request_in_either_order() {
        let completed = Sighting {
            assignment_id: "a".into(),
            stage_instance_id: "i".into(),
            stage_id: "s".into(),
            stage_title: "Meet the team".into(),
            occurrence: 1,
            questions: Some(vec!["What was unclear?".into()]),
            ..Sighting::default()
        };
        let ended = Sighting {
            assignment_id: "a".into(),
            stage_instance_id: "i".into(),
            stage_id: "s".into(),
            meeting_id: Some("m".into()),
            presence: Some(Presence { attended: true, left_early: true, ..Presence::default() }),
            scenario_version: 2,
            ..Sighting::default()
        };
        let one = completed.clone().merge(&ended);
        let other = ended.clone().merge(&completed);
        assert_eq!((one.attendance(), other.attendance()), (AttendanceClass::Partial, AttendanceClass::Partial));
        assert_eq!((one.meeting_id.as_deref(), other.meeting_id.as_deref()), (Some("m"), Some("m")));
        assert_eq!(one.questions, other.questions);
        assert_eq!((one.occurrence, other.occurrence), (1, 1));
        assert_eq!(other.stage_title, "Meet the team");
    }

    #[test]
    fn an_empty_or_blank_template_counts_as_not_given() {
        assert_eq!(given_questions(&[]), None);
        assert_eq!(given_questions(&[" ".into()]), None);
        assert_eq!(given_questions(&[" Why? ".into(), String::new()]), Some(vec!["Why?".into()]));
    }
}

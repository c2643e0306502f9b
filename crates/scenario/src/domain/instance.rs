//! Stage instances: their status, and the decisions that move it (a person completing or skipping
//! it, a meeting that ended with or without the employee).

use super::people::Email;
use super::scenario::StageKind;

/// Where a stage instance stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageStatus {
    /// Not due yet.
    Pending,
    /// Due: `onboarding.stage.due` was published.
    Due,
    Scheduled,
    InProgress,
    Completed,
    Skipped,
    /// Due for longer than the grace period, or its meeting was missed.
    Overdue,
    /// Its assignment was cancelled before it happened.
    Cancelled,
}

impl StageStatus {
    pub const ALL: [StageStatus; 8] = [
        StageStatus::Pending,
        StageStatus::Due,
        StageStatus::Scheduled,
        StageStatus::InProgress,
        StageStatus::Completed,
        StageStatus::Skipped,
        StageStatus::Overdue,
        StageStatus::Cancelled,
    ];
    /// The statuses in which a stage is still to be done (the cohort of a stage).
    pub const OPEN: [StageStatus; 5] =
        [StageStatus::Pending, StageStatus::Due, StageStatus::Scheduled, StageStatus::InProgress, StageStatus::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Pending => "pending",
            StageStatus::Due => "due",
            StageStatus::Scheduled => "scheduled",
            StageStatus::InProgress => "in_progress",
            StageStatus::Completed => "completed",
            StageStatus::Skipped => "skipped",
            StageStatus::Overdue => "overdue",
            StageStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<StageStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// Why a person may not close a stage instance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the stage instance is already {0}")]
    Closed(&'static str),
}

/// Checks that an instance in `status` can be completed or skipped.
pub fn close(status: StageStatus) -> Result<(), TransitionError> {
    if status.is_open() { Ok(()) } else { Err(TransitionError::Closed(status.as_str())) }
}

/// Whether an employee may complete their own instance of a stage of `kind` (a meeting is
/// completed by attending it, or by HR or the manager).
pub fn employee_may_complete(kind: StageKind) -> bool {
    kind != StageKind::Meeting
}

/// What a meeting that ended means for one employee's open stage instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingOutcome {
    /// They attended: the stage is completed by this meeting.
    Attended,
    /// They were invited but did not attend: the stage stays open, marked missed and overdue.
    Missed,
}

/// Attendance as the meeting reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    pub email: String,
    pub attended: bool,
}

/// The outcome for `employee`'s instance in `status`; `None` when the instance is no longer open
/// (a redelivered or late event changes nothing).
pub fn meeting_outcome(status: StageStatus, employee: &Email, attendance: &[Attendee]) -> Option<MeetingOutcome> {
    if !status.is_open() {
        return None;
    }
    let attended = attendance.iter().any(|a| a.attended && a.email.trim().eq_ignore_ascii_case(employee.as_str()));
    Some(if attended { MeetingOutcome::Attended } else { MeetingOutcome::Missed })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anna() -> Email {
        Email::parse("anna@example.com").expect("email")
    }

    #[test]
    fn an_employee_who_attended_completes_the_stage_and_one_who_did_not_misses_it() {
        let attendance = vec![
            Attendee { email: "ANNA@example.com".into(), attended: true },
            Attendee { email: "boris@example.com".into(), attended: false },
        ];
        assert_eq!(meeting_outcome(StageStatus::Due, &anna(), &attendance), Some(MeetingOutcome::Attended));
        let boris = Email::parse("boris@example.com").expect("email");
        assert_eq!(meeting_outcome(StageStatus::Due, &boris, &attendance), Some(MeetingOutcome::Missed));
    }

    #[test]
    fn a_closed_instance_is_not_changed_by_a_meeting() {
        let attendance = vec![Attendee { email: "anna@example.com".into(), attended: true }];
        assert_eq!(meeting_outcome(StageStatus::Completed, &anna(), &attendance), None);
        assert_eq!(meeting_outcome(StageStatus::Skipped, &anna(), &attendance), None);
    }

    #[test]
    fn only_open_instances_can_be_closed() {
        assert!(close(StageStatus::Overdue).is_ok());
        assert_eq!(close(StageStatus::Completed), Err(TransitionError::Closed("completed")));
    }
}

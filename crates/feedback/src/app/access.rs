//! Who may do what: an employee their own requests and the notes left for them, never anyone
//! else's answers; a manager notes and reports over the new employees they manage, never another
//! manager's people; HR everything. Pure functions of the caller and what the row says, so each
//! rule is tested without a server.

use butterboard_runtime::auth::{Caller, Role};

use super::errors::ServiceError;
use crate::domain::anonymity::Audience;
use crate::store::assignments::AssignmentFacts;
use crate::store::requests::RequestRecord;

fn subject_is(caller: &Caller, email: &str) -> bool {
    !email.is_empty() && caller.subject.trim().eq_ignore_ascii_case(email)
}

/// The employee the request asks (with the employee role: the same e-mail as another role is not
/// acting as that employee).
pub fn owns(caller: &Caller, request: &RequestRecord) -> bool {
    caller.has(Role::Employee) && subject_is(caller, &request.employee_email)
}

/// Reading a request with its answer: its employee, or HR.
pub fn may_read_request(caller: &Caller, request: &RequestRecord) -> bool {
    caller.has(Role::Hr) || owns(caller, request)
}

pub fn manages(caller: &Caller, assignment: &AssignmentFacts) -> bool {
    caller.has(Role::Manager) && subject_is(caller, &assignment.manager_email)
}

/// Reading an assignment's manager notes: its employee, its manager, HR.
pub fn may_read_notes(caller: &Caller, assignment: &AssignmentFacts) -> bool {
    caller.has(Role::Hr)
        || manages(caller, assignment)
        || (caller.has(Role::Employee) && subject_is(caller, &assignment.employee_email))
}

/// Who reads a report, and over whom: HR over everyone; a manager over their own people, behind
/// the anonymity threshold.
pub fn report_audience(caller: &Caller, threshold: u32) -> Result<(Audience, Option<String>), ServiceError> {
    if caller.has(Role::Hr) {
        return Ok((Audience::Hr, None));
    }
    if caller.has(Role::Manager) {
        return Ok((Audience::Manager { threshold }, Some(caller.subject.trim().to_lowercase())));
    }
    Err(ServiceError::PermissionDenied("reports are for HR and managers".into()))
}

pub fn require_employee(caller: &Caller) -> Result<(), ServiceError> {
    if caller.has(Role::Employee) {
        Ok(())
    } else {
        Err(ServiceError::PermissionDenied("requires the role: employee".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller { subject: subject.into(), roles: roles.to_vec() }
    }

    fn anna() -> AssignmentFacts {
        AssignmentFacts {
            id: "a1".into(),
            employee_email: "anna@example.com".into(),
            manager_email: "oleg@example.com".into(),
            known: true,
            ..AssignmentFacts::default()
        }
    }

    #[test]
    fn notes_are_for_the_employee_their_manager_and_hr_only() {
        assert!(may_read_notes(&caller("Anna@example.com", &[Role::Employee]), &anna()));
        assert!(may_read_notes(&caller("oleg@example.com", &[Role::Manager]), &anna()));
        assert!(may_read_notes(&caller("helen@example.com", &[Role::Hr]), &anna()));
        assert!(!may_read_notes(&caller("ivan@example.com", &[Role::Manager]), &anna()), "another manager");
        assert!(!may_read_notes(&caller("boris@example.com", &[Role::Employee]), &anna()), "another employee");
        assert!(
            !may_read_notes(&caller("oleg@example.com", &[Role::Employee]), &anna()),
            "the manager's e-mail, wrong role"
        );
        assert!(!manages(&caller("", &[Role::Manager]), &AssignmentFacts::default()), "an unknown manager is nobody");
    }

    #[test]
    fn reports_are_for_hr_and_for_managers_over_their_own_people() {
        assert_eq!(
            report_audience(&caller("h@example.com", &[Role::Hr, Role::Manager]), 3).ok(),
            Some((Audience::Hr, None))
        );
        let manager = report_audience(&caller("Oleg@example.com", &[Role::Manager]), 3).ok();
        assert_eq!(manager, Some((Audience::Manager { threshold: 3 }, Some("oleg@example.com".into()))));
        assert!(report_audience(&caller("anna@example.com", &[Role::Employee]), 3).is_err());
        assert!(report_audience(&caller("meeting-orchestrator", &[Role::Service]), 3).is_err());
    }
}

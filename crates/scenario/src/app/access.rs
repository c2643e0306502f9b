//! Who may do what (ARCHITECTURE §5): `hr` everything; `manager` the assignments they manage;
//! `employee` their own assignment; `service` reads and resolves. Pure functions of the caller and
//! the assignment's people, so each rule is tested without a server.

use butterboard_runtime::auth::{Caller, Role};

use super::errors::ServiceError;
use crate::domain::assignment::AssignmentPeople;
use crate::domain::instance::employee_may_complete;
use crate::domain::scenario::{RecordingPrivacy, StageKind};
use crate::store::assignments::Visibility;

/// PERMISSION_DENIED unless the caller has one of `roles`.
pub fn require(caller: &Caller, roles: &[Role]) -> Result<(), ServiceError> {
    if roles.iter().any(|r| caller.has(*r)) {
        return Ok(());
    }
    let names = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    Err(ServiceError::PermissionDenied(format!("requires one of the roles: {names}")))
}

/// Reading scenarios: their content is not personal; employees see theirs through the assignment.
pub const SCENARIO_READERS: &[Role] = &[Role::Hr, Role::Manager, Role::Service];

fn subject_is(caller: &Caller, email: &str) -> bool {
    caller.subject.trim().eq_ignore_ascii_case(email)
}

fn manages(caller: &Caller, people: &AssignmentPeople) -> bool {
    caller.has(Role::Manager) && subject_is(caller, people.manager.email.as_str())
}

fn is_the_employee(caller: &Caller, people: &AssignmentPeople) -> bool {
    caller.has(Role::Employee) && subject_is(caller, people.employee.email.as_str())
}

pub fn may_read_assignment(caller: &Caller, people: &AssignmentPeople) -> bool {
    caller.has(Role::Hr) || caller.has(Role::Service) || manages(caller, people) || is_the_employee(caller, people)
}

/// Completing (`skip == false`) or skipping a stage instance of kind `kind`.
pub fn may_close(caller: &Caller, people: &AssignmentPeople, kind: StageKind, skip: bool) -> bool {
    caller.has(Role::Hr)
        || manages(caller, people)
        || (!skip && is_the_employee(caller, people) && employee_may_complete(kind))
}

/// Resolving the participants of one assignment's stage instance.
pub fn may_resolve_instance(caller: &Caller, people: &AssignmentPeople) -> bool {
    caller.has(Role::Hr) || caller.has(Role::Service) || manages(caller, people)
}

/// Whether the caller is handed the link to a stage's earlier recording: HR always, anyone else
/// (employees, managers, and services passing it on in invitations) only when the stage's
/// recording is open to later cohorts.
pub fn may_see_previous_recording(caller: &Caller, privacy: RecordingPrivacy) -> bool {
    caller.has(Role::Hr) || privacy.opens_to_later_cohorts()
}

/// Which assignments a list returns to this caller.
pub fn visibility(caller: &Caller) -> Result<Visibility, ServiceError> {
    if caller.has(Role::Hr) || caller.has(Role::Service) {
        return Ok(Visibility { all: true, ..Visibility::default() });
    }
    let me = caller.subject.trim().to_lowercase();
    let visible = Visibility {
        all: false,
        managed_by: caller.has(Role::Manager).then(|| me.clone()),
        employee: caller.has(Role::Employee).then_some(me),
    };
    if visible.managed_by.is_none() && visible.employee.is_none() {
        return Err(ServiceError::PermissionDenied("requires one of the roles: hr, manager, employee, service".into()));
    }
    Ok(visible)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::people::{Email, Person};

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller { subject: subject.into(), roles: roles.to_vec() }
    }

    fn person(email: &str) -> Person {
        Person { email: Email::parse(email).expect("email"), name: String::new(), time_zone: None }
    }

    fn anna() -> AssignmentPeople {
        AssignmentPeople {
            employee: person("anna@example.com"),
            manager: person("oleg@example.com"),
            team: vec![],
            trainer: None,
            hr: None,
            buddy: None,
        }
    }

    #[test]
    fn a_manager_reads_and_closes_only_the_assignments_they_manage() {
        let oleg = caller("Oleg@example.com", &[Role::Manager]);
        let other = caller("ivan@example.com", &[Role::Manager]);
        assert!(may_read_assignment(&oleg, &anna()) && may_close(&oleg, &anna(), StageKind::Meeting, true));
        assert!(!may_read_assignment(&other, &anna()) && !may_close(&other, &anna(), StageKind::Task, false));
    }

    #[test]
    fn an_employee_completes_only_their_own_non_meeting_stages_and_never_skips() {
        let anna_caller = caller("anna@example.com", &[Role::Employee]);
        assert!(may_read_assignment(&anna_caller, &anna()));
        assert!(may_close(&anna_caller, &anna(), StageKind::Reading, false));
        assert!(!may_close(&anna_caller, &anna(), StageKind::Meeting, false));
        assert!(!may_close(&anna_caller, &anna(), StageKind::Task, true));
        assert!(!may_read_assignment(&caller("boris@example.com", &[Role::Employee]), &anna()));
    }

    #[test]
    fn the_employee_role_does_not_open_someone_else_assignment_even_as_its_manager_email() {
        // Oleg's e-mail with only the employee role is not acting as a manager.
        assert!(!may_read_assignment(&caller("oleg@example.com", &[Role::Employee]), &anna()));
    }

    #[test]
    fn a_service_reads_and_resolves_but_does_not_close() {
        let service = caller("meeting-orchestrator", &[Role::Service]);
        assert!(may_read_assignment(&service, &anna()) && may_resolve_instance(&service, &anna()));
        assert!(!may_close(&service, &anna(), StageKind::Task, false));
    }

    #[test]
    fn only_hr_sees_a_previous_recording_that_is_not_open_to_the_organization() {
        let hr = caller("helen@example.com", &[Role::Hr]);
        let others = [
            caller("anna@example.com", &[Role::Employee]),
            caller("oleg@example.com", &[Role::Manager]),
            caller("meeting-orchestrator", &[Role::Service]),
        ];
        for privacy in RecordingPrivacy::ALL.iter().copied() {
            assert!(may_see_previous_recording(&hr, privacy), "{privacy:?}");
            let open = privacy == RecordingPrivacy::Organization;
            assert!(others.iter().all(|c| may_see_previous_recording(c, privacy) == open), "{privacy:?}");
        }
    }

    #[test]
    fn lists_are_scoped_to_the_callers_own_assignments() {
        assert!(visibility(&caller("hr@example.com", &[Role::Hr])).map(|v| v.all).unwrap_or(false));
        let both = visibility(&caller("Oleg@example.com", &[Role::Manager, Role::Employee])).expect("visible");
        assert_eq!(
            (both.managed_by.as_deref(), both.employee.as_deref()),
            (Some("oleg@example.com"), Some("oleg@example.com"))
        );
        assert!(visibility(&caller("nobody@example.com", &[])).is_err());
    }
}

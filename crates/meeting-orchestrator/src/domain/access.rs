//! Who may do what with meetings (docs/architecture.md, "Authentication and roles"): `hr`
//! everything; a `manager` starts meetings for the assignments they manage (every assignment a
//! meeting involves, checked against `scenario`) and sees the meetings they host, created or are
//! invited to; an `employee` sees the meetings they are invited to and never starts one;
//! `service` reads. Only the host is handed the start URL.

use butterboard_runtime::auth::{Caller, Role};

use super::stage::normalize_email;

/// The people of a meeting an access rule looks at.
#[derive(Debug, Clone, Copy)]
pub struct MeetingPeople<'a> {
    pub host: &'a str,
    pub created_by: &'a str,
    pub invitees: &'a [String],
}

fn me(caller: &Caller) -> String {
    normalize_email(&caller.subject)
}

/// Starting a meeting: HR, a manager (for their own assignments), or this service's own
/// automatic scheduling. An employee never.
pub fn may_start(caller: &Caller) -> bool {
    caller.has(Role::Hr) || caller.has(Role::Manager) || caller.has(Role::Service)
}

/// Whether the caller must show they manage every assignment involved.
pub fn must_manage_assignments(caller: &Caller) -> bool {
    !caller.has(Role::Hr) && !caller.has(Role::Service)
}

pub fn may_read(caller: &Caller, people: MeetingPeople<'_>) -> bool {
    if caller.has(Role::Hr) || caller.has(Role::Service) {
        return true;
    }
    let me = me(caller);
    let invited = people.invitees.contains(&me);
    (caller.has(Role::Manager) && (people.host == me || people.created_by == me || invited))
        || (caller.has(Role::Employee) && invited)
}

/// Moving or cancelling: HR or the host.
pub fn may_change(caller: &Caller, people: MeetingPeople<'_>) -> bool {
    caller.has(Role::Hr) || (caller.has(Role::Manager) && people.host == me(caller))
}

/// Adding and removing invitees.
pub fn may_change_invitees(caller: &Caller) -> bool {
    caller.has(Role::Hr)
}

/// The start URL goes to the host alone, and never to a caller acting only as an employee.
pub fn sees_start_url(caller: &Caller, host: &str) -> bool {
    (caller.has(Role::Hr) || caller.has(Role::Manager)) && me(caller) == host
}

/// What a list shows this caller: everything, or the meetings of `person` (hosted, created or
/// invited for a manager; invited for an employee).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    All,
    Managed(String),
    Invited(String),
}

pub fn list_scope(caller: &Caller) -> Option<ListScope> {
    if caller.has(Role::Hr) || caller.has(Role::Service) {
        Some(ListScope::All)
    } else if caller.has(Role::Manager) {
        Some(ListScope::Managed(me(caller)))
    } else if caller.has(Role::Employee) {
        Some(ListScope::Invited(me(caller)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(subject: &str, roles: &[Role]) -> Caller {
        Caller { subject: subject.into(), roles: roles.to_vec() }
    }

    #[test]
    fn an_employee_never_starts_and_reads_only_meetings_they_are_invited_to() {
        let anna = caller("Anna@x.com", &[Role::Employee]);
        let invitees = vec!["anna@x.com".to_string()];
        let people = MeetingPeople { host: "host@x.com", created_by: "helen@x.com", invitees: &invitees };
        assert!(!may_start(&anna));
        assert!(may_read(&anna, people));
        assert!(!may_read(&caller("boris@x.com", &[Role::Employee]), people));
        assert!(!sees_start_url(&caller("host@x.com", &[Role::Employee]), "host@x.com"));
    }

    #[test]
    fn a_manager_reads_what_they_host_created_or_are_invited_to_and_only_the_host_gets_the_start_url() {
        let oleg = caller("oleg@x.com", &[Role::Manager]);
        let none: Vec<String> = vec![];
        let hosted = MeetingPeople { host: "oleg@x.com", created_by: "helen@x.com", invitees: &none };
        let other = MeetingPeople { host: "ivan@x.com", created_by: "ivan@x.com", invitees: &none };
        assert!(may_read(&oleg, hosted) && may_change(&oleg, hosted) && sees_start_url(&oleg, "oleg@x.com"));
        assert!(!may_read(&oleg, other) && !may_change(&oleg, other) && !sees_start_url(&oleg, "ivan@x.com"));
        assert!(must_manage_assignments(&oleg) && !must_manage_assignments(&caller("h@x.com", &[Role::Hr])));
    }
}

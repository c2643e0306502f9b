//! Who takes part in a stage: the people filling its participant roles in the assignments
//! concerned, the people it names, and the cohort — the new employees whose instance of the stage
//! is open. Each e-mail appears once: a person holding two roles is one participant with both,
//! and a new employee in the cohort is not repeated among the participants.
//!
//! Role people are gathered with [`RolePeople`], which keeps each (role, e-mail) once: a cohort
//! of a thousand has only a few dozen distinct managers and team members.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::assignment::AssignmentPeople;
use super::instance::StageStatus;
use super::people::Person;
use super::scenario::{Role, Stage};

/// One new employee with an open instance of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortMember {
    pub employee: Person,
    pub assignment_id: String,
    pub stage_instance_id: String,
    pub due_at_ms: i64,
    pub status: StageStatus,
}

/// A role person or a named person of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub person: Person,
    pub roles: Vec<Role>,
    pub named: bool,
}

/// The resolved people of a stage. The cohort, which may be thousands, is shared (with the
/// cohort cache): cloning a `Resolved` copies only the few dozen participants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub participants: Vec<Participant>,
    pub cohort: Arc<[CohortMember]>,
    pub hr_contacts: Vec<Person>,
}

/// The people filling a stage's roles in a set of assignments, in the order they were added,
/// each (role, e-mail) once, and their HR contacts. It borrows the assignments' people and
/// compares e-mails with a fast hash: a cohort of a thousand means thousands of lookups.
#[derive(Debug, Default)]
pub struct RolePeople<'a> {
    people: Vec<(Role, &'a Person)>,
    hr: Vec<&'a Person>,
    seen: HashSet<(Role, &'a str), FastHash>,
    seen_hr: HashSet<&'a str, FastHash>,
}

type FastHash = foldhash::fast::RandomState;

impl<'a> RolePeople<'a> {
    /// Adds the people of one assignment.
    pub fn add(&mut self, roles: &[Role], people: &'a AssignmentPeople) {
        for role in roles {
            for person in people.with_role(*role) {
                if self.seen.insert((*role, person.email.as_str())) {
                    self.people.push((*role, person));
                }
            }
        }
        if let Some(hr) = &people.hr
            && self.seen_hr.insert(hr.email.as_str())
        {
            self.hr.push(hr);
        }
    }
}

/// The order of a cohort: by due time, then e-mail.
pub fn cohort_order(a: &CohortMember, b: &CohortMember) -> std::cmp::Ordering {
    a.due_at_ms.cmp(&b.due_at_ms).then_with(|| a.employee.email.cmp(&b.employee.email))
}

/// Resolves `stage` for the role people gathered in `roles` and the `cohort`, ordered by due
/// time then e-mail (sorted here unless it already is).
pub fn resolve(stage: &Stage, roles: &RolePeople<'_>, cohort: impl Into<Arc<[CohortMember]>>) -> Resolved {
    let mut cohort = cohort.into();
    if !cohort.is_sorted_by(|a, b| cohort_order(a, b).is_le()) {
        let mut sorted = cohort.to_vec();
        sorted.sort_by(cohort_order);
        cohort = sorted.into();
    }
    let employees: HashSet<&str, FastHash> = cohort.iter().map(|m| m.employee.email.as_str()).collect();
    let mut participants: Vec<Participant> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (role, person) in &roles.people {
        if employees.contains(person.email.as_str()) {
            continue;
        }
        match index.get(person.email.as_str()) {
            Some(&at) if !participants[at].roles.contains(role) => participants[at].roles.push(*role),
            Some(_) => {}
            None => {
                index.insert(person.email.as_str(), participants.len());
                participants.push(Participant { person: (*person).clone(), roles: vec![*role], named: false });
            }
        }
    }
    for person in &stage.people {
        if employees.contains(person.email.as_str()) {
            continue;
        }
        match index.get(person.email.as_str()) {
            Some(&at) => participants[at].named = true,
            None => {
                index.insert(person.email.as_str(), participants.len());
                participants.push(Participant { person: person.clone(), roles: Vec::new(), named: true });
            }
        }
    }
    let hr_contacts = roles.hr.iter().map(|p| (*p).clone()).collect();
    Resolved { participants, cohort, hr_contacts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::people::Email;
    use crate::domain::scenario::{RecordingPrivacy, StageKind};
    use crate::domain::timing::{OffsetUnit, Timing};

    fn person(email: &str) -> Person {
        Person { email: Email::parse(email).expect("email"), name: String::new(), time_zone: None }
    }

    fn people(employee: &str, manager: &str, team: &[&str]) -> AssignmentPeople {
        AssignmentPeople {
            employee: person(employee),
            manager: person(manager),
            team: team.iter().map(|t| person(t)).collect(),
            trainer: None,
            hr: Some(person("hr@example.com")),
            buddy: None,
        }
    }

    fn stage(roles: Vec<Role>, named: &[&str]) -> Stage {
        Stage {
            id: "meet".into(),
            title: "Meet the team".into(),
            description: String::new(),
            kind: StageKind::Meeting,
            timing: Timing::Offset { unit: OffsetUnit::BusinessDays, amount: 0, at: jiff::civil::time(10, 0, 0, 0) },
            roles,
            people: named.iter().map(|n| person(n)).collect(),
            duration_minutes: 45,
            duration_override: false,
            agenda: "a".into(),
            goals: vec!["g".into()],
            materials: vec![],
            questions: vec![],
            recording_privacy: RecordingPrivacy::Participants,
            schedule_automatically: false,
        }
    }

    fn member(email: &str, due: i64) -> CohortMember {
        CohortMember {
            employee: person(email),
            assignment_id: format!("a-{email}"),
            stage_instance_id: format!("i-{email}"),
            due_at_ms: due,
            status: StageStatus::Due,
        }
    }

    #[test]
    fn a_person_in_two_roles_or_two_assignments_is_one_participant() {
        let anna = people("anna@example.com", "oleg@example.com", &["ivan@example.com", "oleg@example.com"]);
        let boris = people("boris@example.com", "oleg@example.com", &["maria@example.com"]);
        let stage = stage(vec![Role::Manager, Role::Team], &["ivan@example.com", "cto@example.com"]);
        let mut roles = RolePeople::default();
        roles.add(&stage.roles, &anna);
        roles.add(&stage.roles, &boris);
        let resolved = resolve(&stage, &roles, vec![member("boris@example.com", 2), member("anna@example.com", 1)]);
        let emails: Vec<&str> = resolved.participants.iter().map(|p| p.person.email.as_str()).collect();
        assert_eq!(emails, ["oleg@example.com", "ivan@example.com", "maria@example.com", "cto@example.com"]);
        assert_eq!(resolved.participants[0].roles, [Role::Manager, Role::Team]);
        assert!(resolved.participants[1].named && resolved.participants[1].roles == [Role::Team]);
        let cohort: Vec<&str> = resolved.cohort.iter().map(|m| m.employee.email.as_str()).collect();
        assert_eq!(cohort, ["anna@example.com", "boris@example.com"], "ordered by due time");
        assert_eq!(resolved.hr_contacts.len(), 1);
    }

    #[test]
    fn a_cohort_member_is_not_repeated_among_the_participants() {
        let anna = people("anna@example.com", "oleg@example.com", &["boris@example.com"]);
        let stage = stage(vec![Role::Team], &[]);
        let mut roles = RolePeople::default();
        roles.add(&stage.roles, &anna);
        let resolved = resolve(&stage, &roles, vec![member("boris@example.com", 1)]);
        assert!(resolved.participants.is_empty(), "{:?}", resolved.participants);
    }
}

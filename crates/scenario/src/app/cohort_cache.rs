//! Stage cohorts kept between ResolveParticipants calls.
//!
//! meeting-orchestrator resolves a stage each time one of its meetings starts, and a cohort of a
//! thousand open instances changes far less often than that. A cohort is kept with the scenario's
//! change weight it was read at (`store::cohort`); a call reads the weight now — one indexed sum,
//! much cheaper than the cohort — and uses the kept cohort only while the weight is unchanged.
//! The weight grows with every committed change to the scenario's instances on any replica, so a
//! kept cohort is never older than the call's own snapshot.
//!
//! Besides the members (sorted) and their people, an entry keeps what was resolved from them for
//! each distinct set of stage roles and named people, since a scenario version can change those.
//! The cache is bounded by members held: past `MAX_MEMBERS` it starts over, which costs each
//! stage one slower call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::domain::assignment::AssignmentPeople;
use crate::domain::cohort::{CohortMember, Resolved, RolePeople, resolve};
use crate::domain::people::Person;
use crate::domain::scenario::{Role, Stage};

const MAX_MEMBERS: usize = 200_000;
/// Resolutions kept per cohort: one per stage definition in use, rarely more than two.
const MAX_RESOLUTIONS: usize = 4;

type Key = (String, String);
type FastHash = foldhash::fast::RandomState;

/// The open cohort of one stage as read at one change weight.
#[derive(Debug)]
pub struct Cohort {
    pub weight: i64,
    /// In cohort order; shared with what is resolved from it.
    pub members: Arc<[CohortMember]>,
    /// The people of each member's assignment, in the same order.
    pub people: Vec<Arc<AssignmentPeople>>,
    resolutions: Mutex<Vec<Resolution>>,
}

#[derive(Debug)]
struct Resolution {
    roles: Vec<Role>,
    named: Vec<Person>,
    resolved: Resolved,
}

impl Cohort {
    /// `members` must be in cohort order, with `people` aligned to them.
    pub fn new(weight: i64, members: Vec<CohortMember>, people: Vec<Arc<AssignmentPeople>>) -> Self {
        Self { weight, members: members.into(), people, resolutions: Mutex::new(Vec::new()) }
    }

    /// The stage's people with this whole cohort: its role people in every member's assignment,
    /// its named people, the members. Computed once per stage definition; a copy shares the
    /// members.
    pub fn resolve(&self, stage: &Stage) -> Resolved {
        let mut resolutions = self.resolutions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = resolutions.iter().find(|r| r.roles == stage.roles && r.named == stage.people) {
            return kept.resolved.clone();
        }
        // Role people are gathered in cohort order, so the answer does not depend on row order.
        let mut roles = RolePeople::default();
        for people in &self.people {
            roles.add(&stage.roles, people);
        }
        let resolved = resolve(stage, &roles, self.members.clone());
        if resolutions.len() == MAX_RESOLUTIONS {
            resolutions.remove(0);
        }
        resolutions.push(Resolution {
            roles: stage.roles.clone(),
            named: stage.people.clone(),
            resolved: resolved.clone(),
        });
        resolved
    }
}

#[derive(Debug, Clone, Default)]
pub struct CohortCache {
    entries: Arc<Mutex<Entries>>,
}

#[derive(Debug, Default)]
struct Entries {
    by_stage: HashMap<Key, Arc<Cohort>, FastHash>,
    members: usize,
}

impl CohortCache {
    /// The kept cohort of the stage if it was read at `weight`.
    pub fn get(&self, scenario_id: &str, stage_id: &str, weight: i64) -> Option<Arc<Cohort>> {
        let entries = self.lock();
        let key = (scenario_id.to_string(), stage_id.to_string());
        entries.by_stage.get(&key).filter(|cohort| cohort.weight == weight).cloned()
    }

    /// Keeps `cohort` unless a cohort read at a later weight is kept already.
    pub fn put(&self, scenario_id: &str, stage_id: &str, cohort: Arc<Cohort>) {
        let mut entries = self.lock();
        let key = (scenario_id.to_string(), stage_id.to_string());
        if entries.by_stage.get(&key).is_some_and(|kept| kept.weight > cohort.weight) {
            return;
        }
        if entries.members + cohort.members.len() > MAX_MEMBERS {
            entries.by_stage.clear();
            entries.members = 0;
        }
        entries.members += cohort.members.len();
        if let Some(replaced) = entries.by_stage.insert(key, cohort) {
            entries.members -= replaced.members.len();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves whole entries behind: keep using them.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(weight: i64, members: usize) -> Arc<Cohort> {
        let member = |n: usize| CohortMember {
            employee: Person {
                email: crate::domain::people::Email::parse(&format!("e{n}@example.com")).expect("email"),
                name: String::new(),
                time_zone: None,
            },
            assignment_id: format!("a{n}"),
            stage_instance_id: format!("i{n}"),
            due_at_ms: 0,
            status: crate::domain::instance::StageStatus::Pending,
        };
        Arc::new(Cohort::new(weight, (0..members).map(member).collect(), Vec::new()))
    }

    #[test]
    fn a_cohort_is_served_only_at_the_weight_it_was_read_at() {
        let cache = CohortCache::default();
        cache.put("s", "meet", cohort(3, 2));
        assert_eq!(cache.get("s", "meet", 3).map(|c| c.members.len()), Some(2));
        assert!(cache.get("s", "meet", 4).is_none(), "a change committed since");
        assert!(cache.get("s", "other", 3).is_none());
    }

    #[test]
    fn an_older_read_does_not_replace_a_newer_one() {
        let cache = CohortCache::default();
        cache.put("s", "meet", cohort(5, 1));
        cache.put("s", "meet", cohort(4, 1));
        assert!(cache.get("s", "meet", 5).is_some());
        cache.put("s", "meet", cohort(6, 1));
        assert!(cache.get("s", "meet", 6).is_some());
    }

    #[test]
    fn the_cache_starts_over_past_its_member_bound() {
        let cache = CohortCache::default();
        cache.put("s", "a", cohort(1, MAX_MEMBERS / 2 + 1));
        cache.put("s", "a", cohort(2, MAX_MEMBERS / 2 + 1));
        assert!(cache.get("s", "a", 2).is_some(), "a replaced entry's members are not counted twice");
        cache.put("s", "b", cohort(1, MAX_MEMBERS / 2 + 1));
        assert!(cache.get("s", "a", 2).is_none(), "over the bound: started over");
        assert!(cache.get("s", "b", 1).is_some());
    }
}

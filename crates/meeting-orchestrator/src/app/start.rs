//! StartMeeting up to the intent: who asks and for what, the stage's people from `scenario`,
//! the host, the plan, and the intent row written before Zoom is called ([`super::create`] does
//! the rest). A replayed idempotency key returns the meeting made the first time.

use std::collections::HashSet;

use butterboard_runtime::auth::Caller;

use super::MeetingApp;
use super::errors::{ServiceError, ServiceResult, Violation};
use super::read::MeetingView;
use crate::domain::access;
use crate::domain::meeting::MeetingStatus;
use crate::domain::plan::{self, MeetingOptions, PlanInput, Request, SeriesInstance, Warning};
use crate::domain::stage::{Resolution, normalize_email};
use crate::participants::Target;
use crate::store::meetings;

/// The longest idempotency key.
const MAX_KEY: usize = 128;
/// The most assignments one request may name.
const MAX_SUBSET: usize = 50;

/// A StartMeeting request, parsed.
#[derive(Debug, Clone)]
pub struct StartCommand {
    pub target: Option<Target>,
    pub request: Request,
    pub idempotency_key: String,
}

/// What StartMeeting answers.
#[derive(Debug, Clone)]
pub struct Started {
    pub view: MeetingView,
    pub warnings: Vec<Warning>,
    pub replayed: bool,
}

fn check(command: &StartCommand, now: i64) -> ServiceResult<Target> {
    let mut violations = Vec::new();
    match &command.target {
        None => violations.push(Violation::new("target", "is required: a stage or a stage instance id")),
        Some(Target::Stage { scenario_id, stage_id }) => {
            for (field, value) in [("stage.scenario_id", scenario_id), ("stage.stage_id", stage_id)] {
                if value.trim().is_empty() {
                    violations.push(Violation::new(field, "is required"));
                }
            }
        }
        Some(Target::Instance(id)) if id.trim().is_empty() => {
            violations.push(Violation::new("stage_instance_id", "is required"))
        }
        Some(Target::Instance(_)) => {}
    }
    if command.idempotency_key.chars().count() > MAX_KEY {
        violations.push(Violation::new("idempotency_key", format!("must be at most {MAX_KEY} characters")));
    }
    if command.request.assignment_ids.len() > MAX_SUBSET {
        violations.push(Violation::new("assignment_ids", format!("may name at most {MAX_SUBSET} assignments")));
    }
    violations.extend(plan::check_request(&command.request, now));
    match (violations.is_empty(), &command.target) {
        (true, Some(target)) => Ok(target.clone()),
        _ => Err(ServiceError::Invalid(violations)),
    }
}

impl MeetingApp {
    pub async fn start_meeting(&self, caller: &Caller, command: StartCommand) -> ServiceResult<Started> {
        if !access::may_start(caller) {
            return Err(ServiceError::PermissionDenied("only HR and managers start meetings".into()));
        }
        let now = self.now();
        let target = check(&command, now)?;
        let me = normalize_email(&caller.subject);
        let key = (!command.idempotency_key.is_empty()).then(|| format!("{me}:{}", command.idempotency_key));
        if let Some(key) = &key {
            let existing = meetings::by_key(&mut *self.store.pool().acquire().await?, key).await?;
            if let Some(existing) = existing {
                return self.replay(caller, &existing.id).await;
            }
        }
        let mut resolution = self.scenario.resolve(&target).await?;
        if !command.request.assignment_ids.is_empty() {
            self.narrow_people(&mut resolution, &target, &command.request.assignment_ids).await?;
        }
        let series = self.series(&resolution, &target).await?;
        if access::must_manage_assignments(caller) {
            self.require_manager(&resolution, &command.request.assignment_ids, &me).await?;
        }
        let meeting_id = uuid::Uuid::now_v7().simple().to_string();
        let host = self.choose_host(&me, !caller.has(butterboard_runtime::auth::Role::Service)).await?;
        let alternative_hosts = self.alternative_hosts(&resolution.managers(), &host.email).await?;
        let host_warnings = self.host_warnings(&host.email).await;
        let options = MeetingOptions {
            join_before_host: self.settings.join_before_host,
            waiting_room: self.settings.waiting_room,
            continuous_chat: self.settings.continuous_chat,
        };
        let mut planned = plan::plan(PlanInput {
            meeting_id: &meeting_id,
            resolution: &resolution,
            request: &command.request,
            host: plan::Host { person: host, alternative_hosts },
            options,
            series,
            now_ms: now,
        })
        .map_err(|e| super::errors::plan(e, target.field()))?;
        planned.warnings.extend(host_warnings);
        let lease_until = now + Self::ms(self.settings.create_lease);
        let mut tx = self.store.begin().await?;
        let inserted = meetings::insert_intent(&mut tx, &planned, key.as_deref(), &me, lease_until, now).await?;
        tx.commit().await?;
        if !inserted {
            // Another request with the same key got there first.
            let key = key.unwrap_or_default();
            let existing = meetings::by_key(&mut *self.store.pool().acquire().await?, &key).await?;
            return match existing {
                Some(existing) => self.replay(caller, &existing.id).await,
                None => Err(ServiceError::Internal(anyhow::anyhow!("meeting {meeting_id} was not written"))),
            };
        }
        let row = meetings::MeetingRow::intent(&planned, key.as_deref(), &me, lease_until, now);
        let (made, loaded) = self.finish_owned(row, false, true, "request").await?;
        let view = match loaded {
            // Just made: nothing happened to it yet, nothing to read back.
            Some(loaded) => {
                let host_sees = access::sees_start_url(caller, &loaded.row.host_email);
                MeetingView::fresh(loaded, made.start_url.filter(|_| host_sees))
            }
            None => self.view(caller, &meeting_id, made.start_url).await?,
        };
        Ok(Started { view, warnings: planned.warnings, replayed: false })
    }

    /// The meeting an idempotency key made, finishing it first if its request died half-way.
    async fn replay(&self, caller: &Caller, id: &str) -> ServiceResult<Started> {
        let mut start_url = None;
        let row = meetings::load(&mut *self.store.pool().acquire().await?, id).await?;
        let Some(row) = row else {
            return Err(ServiceError::NotFound(format!("meeting {id} not found")));
        };
        if row.status == MeetingStatus::Creating {
            start_url = self.finish_intent(id).await?.start_url;
        }
        let row = meetings::load(&mut *self.store.pool().acquire().await?, id).await?;
        let warnings = row.map(|r| r.plan.warnings).unwrap_or_default();
        let view = self.view(caller, id, start_url).await?;
        Ok(Started { view, warnings, replayed: true })
    }

    /// With a subset, the stage's people are those of the chosen assignments only: each one's
    /// instance is resolved (the stage resolution brings every cohort member's managers).
    async fn narrow_people(
        &self,
        resolution: &mut Resolution,
        target: &Target,
        subset: &[String],
    ) -> ServiceResult<()> {
        let mut people = Vec::new();
        let mut hr = Vec::new();
        let chosen: Vec<_> = resolution.cohort.iter().filter(|m| subset.contains(&m.assignment_id)).cloned().collect();
        for member in chosen {
            let own = Target::Instance(member.stage_instance_id.clone());
            let resolved = if &own == target { resolution.clone() } else { self.scenario.resolve(&own).await? };
            for p in resolved.people {
                if !people.iter().any(|q: &crate::domain::stage::StagePerson| q.person.email == p.person.email) {
                    people.push(p);
                }
            }
            for p in resolved.hr_contacts {
                if !hr.iter().any(|q: &crate::domain::stage::Person| q.email == p.email) {
                    hr.push(p);
                }
            }
        }
        resolution.people = people;
        resolution.hr_contacts = hr;
        Ok(())
    }

    /// For a weekly stage started from one instance: the employee's instances from it on.
    async fn series(&self, resolution: &Resolution, target: &Target) -> ServiceResult<Option<Vec<SeriesInstance>>> {
        let (Some(_), Target::Instance(id)) = (&resolution.stage.weekly, target) else {
            return Ok(None);
        };
        let Some(member) = resolution.cohort.iter().find(|m| &m.stage_instance_id == id) else {
            return Ok(None);
        };
        let series = self.scenario.series(&member.assignment_id, &resolution.stage.stage_id, id).await?;
        Ok(Some(series))
    }

    /// A manager must manage every assignment the meeting involves.
    async fn require_manager(&self, resolution: &Resolution, subset: &[String], me: &str) -> ServiceResult<()> {
        let involved: HashSet<&str> = if subset.is_empty() {
            resolution.cohort.iter().map(|m| m.assignment_id.as_str()).collect()
        } else {
            subset.iter().map(String::as_str).collect()
        };
        let managed = self.scenario.managed_assignments(&resolution.stage.scenario_id, me).await?;
        if involved.iter().all(|id| managed.contains(*id)) {
            return Ok(());
        }
        Err(ServiceError::PermissionDenied(
            "a manager starts meetings only for assignments they manage: name them in assignment_ids".into(),
        ))
    }
}

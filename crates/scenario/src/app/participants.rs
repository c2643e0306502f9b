//! ResolveParticipants: who takes part in a stage, answered while a person waits for their
//! meeting to start. Reads only: the scenario version, the stage's recording link, and the open
//! cohort — kept between calls while the scenario's change weight stays the same
//! (`cohort_cache`), else one indexed query and the cohort's people (cached: they never change).

use std::sync::Arc;

use butterboard_runtime::auth::{Caller, Role};

use super::access::{may_resolve_instance, require};
use super::cohort_cache::Cohort;
use super::errors::{ServiceError, ServiceResult};
use super::{ScenarioApp, fill_stage_recordings};
use crate::compaction;
use crate::domain::assignment::AssignmentPeople;
use crate::domain::cohort::{CohortMember, Resolved, RolePeople, cohort_order, resolve};
use crate::domain::scenario::{MaterialKind, Stage};
use crate::store::cohort::OpenInstance;
use crate::store::{assignments, cohort, instances, recordings, scenarios};

/// What to resolve.
#[derive(Debug, Clone)]
pub enum ResolveTarget {
    /// A stage of the scenario's current version.
    Stage { scenario_id: String, stage_id: String },
    /// One assignment's stage instance.
    Instance(String),
}

/// The stage (recording filled in) and its people.
#[derive(Debug, Clone)]
pub struct ResolvedStage {
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_name: String,
    pub stage: Stage,
    pub resolved: Resolved,
}

impl ScenarioApp {
    pub async fn resolve_participants(&self, caller: &Caller, target: &ResolveTarget) -> ServiceResult<ResolvedStage> {
        match target {
            ResolveTarget::Stage { scenario_id, stage_id } => self.resolve_stage(caller, scenario_id, stage_id).await,
            ResolveTarget::Instance(id) => self.resolve_instance(caller, id).await,
        }
    }

    async fn resolve_stage(&self, caller: &Caller, scenario_id: &str, stage_id: &str) -> ServiceResult<ResolvedStage> {
        require(caller, &[Role::Hr, Role::Service])?;
        let mut violations = Vec::new();
        for (field, value) in [("stage.scenario_id", scenario_id), ("stage.stage_id", stage_id)] {
            if value.trim().is_empty() {
                violations.push(crate::domain::draft::Violation::new(field, "is required"));
            }
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        let mut conn = self.store.pool().acquire().await?;
        let (scenario, weight) = scenarios::load_with_cohort_weight(&mut conn, scenario_id, None)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("scenario {scenario_id} not found")))?;
        let mut stage =
            scenario.definition.stage(stage_id).cloned().ok_or_else(|| {
                ServiceError::NotFound(format!("stage {stage_id} not found in scenario {scenario_id}"))
            })?;
        if stage.timing.is_recurring() {
            return Err(ServiceError::FailedPrecondition(format!(
                "stage {stage_id} recurs for each employee: resolve one of its stage instances"
            )));
        }
        fill_stage_recording(&mut conn, scenario_id, &mut stage, caller).await?;
        let resolved = self.cohort(&mut conn, scenario_id, stage_id, weight).await?.resolve(&stage);
        Ok(ResolvedStage {
            scenario_id: scenario.id,
            scenario_version: scenario.version,
            scenario_name: scenario.definition.name,
            stage,
            resolved,
        })
    }

    async fn resolve_instance(&self, caller: &Caller, id: &str) -> ServiceResult<ResolvedStage> {
        let id = id.trim();
        if id.is_empty() {
            return Err(ServiceError::invalid("stage_instance_id", "is required"));
        }
        let mut conn = self.store.pool().acquire().await?;
        let instance = instances::load(&mut conn, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("stage instance {id} not found")))?;
        let assignment = assignments::load(&mut conn, &instance.assignment_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stage instance {id} has no assignment")))?;
        if !may_resolve_instance(caller, &assignment.people) {
            return Err(ServiceError::PermissionDenied(
                "only HR, services and the assignment's manager may resolve it".into(),
            ));
        }
        let (scenario, weight) =
            scenarios::load_with_cohort_weight(&mut conn, &instance.scenario_id, Some(assignment.scenario_version))
                .await?
                .ok_or_else(|| {
                    ServiceError::Internal(anyhow::anyhow!("assignment {} follows a missing version", assignment.id))
                })?;
        let mut stage = scenario.definition.stage(&instance.stage_id).cloned().ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("stage {} missing from its version", instance.stage_id))
        })?;
        fill_stage_recording(&mut conn, &instance.scenario_id, &mut stage, caller).await?;
        let own = CohortMember {
            employee: assignment.people.employee.clone(),
            assignment_id: assignment.id.clone(),
            stage_instance_id: instance.id.clone(),
            due_at_ms: instance.due_at,
            status: instance.status,
        };
        // A weekly one-on-one is not a group meeting: only this employee. A one-off stage brings
        // the whole open cohort besides.
        let members: Arc<[CohortMember]> = if stage.timing.is_recurring() {
            Arc::new([own])
        } else {
            let cohort = self.cohort(&mut conn, &instance.scenario_id, &instance.stage_id, weight).await?;
            if cohort.members.iter().any(|m| m.stage_instance_id == instance.id) {
                // An open instance: the kept cohort holds it already, as current as `own`.
                cohort.members.clone()
            } else {
                let mut members = cohort.members.to_vec();
                let at = members.partition_point(|m| cohort_order(m, &own).is_lt());
                members.insert(at, own);
                members.into()
            }
        };
        let mut roles = RolePeople::default();
        roles.add(&stage.roles, &assignment.people);
        let resolved = resolve(&stage, &roles, members);
        Ok(ResolvedStage {
            scenario_id: scenario.id,
            scenario_version: scenario.version,
            scenario_name: scenario.definition.name,
            stage,
            resolved,
        })
    }

    /// The open cohort of the stage: the kept one while the scenario's change `weight` (read by
    /// the caller just now) is the one it was kept at, else read now and kept at `weight`. A
    /// change committed between the two reads is then in the cohort but not in its weight, which
    /// only makes the next call read the cohort again: a kept cohort is never older than its
    /// weight.
    async fn cohort(
        &self,
        conn: &mut sqlx::AnyConnection,
        scenario_id: &str,
        stage_id: &str,
        weight: cohort::Weight,
    ) -> anyhow::Result<Arc<Cohort>> {
        if weight.rows > compaction::MAX_ROWS {
            self.compactions.start(&self.store, scenario_id);
        }
        if let Some(kept) = self.cohorts.get(scenario_id, stage_id, weight.total) {
            return Ok(kept);
        }
        let open = cohort::open_instances(conn, scenario_id, stage_id).await?;
        let ids: Vec<&str> = open.iter().map(|o| o.assignment_id.as_str()).collect();
        let people = self.people.get_many(conn, &ids).await?;
        let mut cohort: Vec<(CohortMember, Arc<AssignmentPeople>)> =
            open.into_iter().zip(people).map(|(open, people)| (member(open, &people), people)).collect();
        cohort.sort_by(|a, b| cohort_order(&a.0, &b.0));
        let (members, people) = cohort.into_iter().unzip();
        let cohort = Arc::new(Cohort::new(weight.total, members, people));
        self.cohorts.put(scenario_id, stage_id, cohort.clone());
        Ok(cohort)
    }
}

fn member(open: OpenInstance, people: &AssignmentPeople) -> CohortMember {
    CohortMember {
        employee: people.employee.clone(),
        assignment_id: open.assignment_id,
        stage_instance_id: open.id,
        due_at_ms: open.due_at_ms,
        status: open.status,
    }
}

async fn fill_stage_recording(
    conn: &mut sqlx::AnyConnection,
    scenario_id: &str,
    stage: &mut Stage,
    caller: &Caller,
) -> anyhow::Result<()> {
    if stage.materials.iter().any(|m| m.kind == MaterialKind::PreviousRecording) {
        let links = recordings::latest(conn, scenario_id).await?;
        fill_stage_recordings(stage, links.get(&stage.id), caller);
    }
    Ok(())
}

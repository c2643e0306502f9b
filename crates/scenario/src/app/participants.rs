//! ResolveParticipants: who takes part in a stage, answered while a person waits for their
//! meeting to start. Reads only: the scenario version, the stage's recording link, one indexed
//! cohort query, and the cohort's people (cached: they never change).

use butterboard_runtime::auth::{Caller, Role};

use super::access::{may_resolve_instance, require};
use super::errors::{ServiceError, ServiceResult};
use super::{ScenarioApp, fill_stage_recordings};
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
        let scenario = scenarios::load(&mut conn, scenario_id, None)
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
        fill_stage_recording(&mut conn, scenario_id, &mut stage).await?;
        let open = cohort::open_instances(&mut conn, scenario_id, stage_id).await?;
        let ids: Vec<&str> = open.iter().map(|o| o.assignment_id.as_str()).collect();
        let people = self.people.get_many(&mut conn, &ids).await?;
        let mut cohort: Vec<(CohortMember, &AssignmentPeople)> =
            open.into_iter().zip(&people).map(|(open, people)| (member(open, people), &**people)).collect();
        cohort.sort_by(|a, b| cohort_order(&a.0, &b.0));
        // Role people are listed in cohort order, so the answer does not depend on row order.
        let mut roles = RolePeople::default();
        for (_, people) in &cohort {
            roles.add(&stage.roles, people);
        }
        let members = cohort.into_iter().map(|(member, _)| member).collect();
        let resolved = resolve(&stage, &roles, members);
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
        let scenario =
            scenarios::load(&mut conn, &instance.scenario_id, Some(assignment.scenario_version)).await?.ok_or_else(
                || ServiceError::Internal(anyhow::anyhow!("assignment {} follows a missing version", assignment.id)),
            )?;
        let mut stage = scenario.definition.stage(&instance.stage_id).cloned().ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("stage {} missing from its version", instance.stage_id))
        })?;
        fill_stage_recording(&mut conn, &instance.scenario_id, &mut stage).await?;
        let own = CohortMember {
            employee: assignment.people.employee.clone(),
            assignment_id: assignment.id.clone(),
            stage_instance_id: instance.id.clone(),
            due_at_ms: instance.due_at,
            status: instance.status,
        };
        // A weekly one-on-one is not a group meeting: only this employee. A one-off stage brings
        // the whole open cohort besides.
        let mut members = vec![own];
        if !stage.timing.is_recurring() {
            let mut open = cohort::open_instances(&mut conn, &instance.scenario_id, &instance.stage_id).await?;
            open.retain(|o| o.id != instance.id);
            let ids: Vec<&str> = open.iter().map(|o| o.assignment_id.as_str()).collect();
            let people = self.people.get_many(&mut conn, &ids).await?;
            members.extend(open.into_iter().zip(&people).map(|(open, people)| member(open, people)));
        }
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
) -> anyhow::Result<()> {
    if stage.materials.iter().any(|m| m.kind == MaterialKind::PreviousRecording) {
        let links = recordings::latest(conn, scenario_id).await?;
        fill_stage_recordings(stage, links.get(&stage.id));
    }
    Ok(())
}

//! Closing stage instances: a person completing or skipping one, and the shared step that the
//! meeting consumer uses too (guarded update plus `onboarding.stage.completed` in one transaction).

use butterboard_runtime::auth::Caller;
use sqlx::{Any, Transaction};

use super::ScenarioApp;
use super::access::may_close;
use super::errors::{ServiceError, ServiceResult};
use crate::domain::instance::{StageStatus, close};
use crate::domain::people::Person;
use crate::events;
use crate::store::instances::{self, InstanceRecord};
use crate::store::{assignments, scenarios};

/// Closes `instance` as `to` (completed or skipped) at `at` and writes its
/// `onboarding.stage.completed`; `false` (and nothing written) when it was no longer open.
pub(crate) async fn close_instance(
    tx: &mut Transaction<'static, Any>,
    instance: &mut InstanceRecord,
    employee: &Person,
    scenario_version: u32,
    to: StageStatus,
    meeting_id: Option<&str>,
    at: i64,
) -> anyhow::Result<bool> {
    if !instances::close(tx, &instance.id, to, meeting_id, at).await? {
        return Ok(false);
    }
    instance.status = to;
    instance.completed_at = Some(at);
    if let Some(meeting_id) = meeting_id {
        instance.meeting_id = Some(meeting_id.to_string());
    }
    // A version with assignments is never rewritten, so its questions are the ones this
    // employee's stage had.
    let questions = scenarios::load(tx, &instance.scenario_id, Some(scenario_version))
        .await?
        .and_then(|s| s.definition.stage(&instance.stage_id).map(|stage| stage.questions.clone()))
        .unwrap_or_default();
    let event = events::completed(instance, employee, &questions, to == StageStatus::Skipped, at);
    events::enqueue(tx, event, &instance.assignment_id).await?;
    Ok(true)
}

impl ScenarioApp {
    pub async fn complete_stage(&self, caller: &Caller, instance_id: &str) -> ServiceResult<InstanceRecord> {
        self.close_stage(caller, instance_id, StageStatus::Completed, "").await
    }

    pub async fn skip_stage(&self, caller: &Caller, instance_id: &str, reason: &str) -> ServiceResult<InstanceRecord> {
        self.close_stage(caller, instance_id, StageStatus::Skipped, reason).await
    }

    async fn close_stage(
        &self,
        caller: &Caller,
        id: &str,
        to: StageStatus,
        reason: &str,
    ) -> ServiceResult<InstanceRecord> {
        let id = id.trim();
        if id.is_empty() {
            return Err(ServiceError::invalid("stage_instance_id", "is required"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut instance = instances::load(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("stage instance {id} not found")))?;
        let assignment = assignments::load(&mut tx, &instance.assignment_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("stage instance {id} has no assignment")))?;
        if !may_close(caller, &assignment.people, instance.kind, to == StageStatus::Skipped) {
            let what = if to == StageStatus::Skipped { "skip" } else { "complete" };
            return Err(ServiceError::PermissionDenied(format!(
                "only HR or the assignment's manager may {what} this stage (employees complete their own task and reading stages)"
            )));
        }
        close(instance.status).map_err(|e| ServiceError::FailedPrecondition(e.to_string()))?;
        let employee = assignment.people.employee.clone();
        if !close_instance(&mut tx, &mut instance, &employee, assignment.scenario_version, to, None, now).await? {
            return Err(ServiceError::FailedPrecondition("the stage instance was closed meanwhile".into()));
        }
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(stage_instance_id = %id, status = to.as_str(), by = %caller.subject, reason, "stage instance closed");
        Ok(instance)
    }
}

//! `onboarding.scenario.assigned` and `onboarding.assignment.cancelled`.

use std::sync::Arc;

use async_trait::async_trait;
use butterboard_proto::events::v1 as pb;
use butterboard_runtime::clock::Clock;
use butterboard_runtime::consumer::{EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use sqlx::{Any, Transaction};

use super::{decode, unexpected};
use crate::events::ms;
use crate::store::assignments::{self, AssignmentFacts, StageFacts};
use crate::store::requests;

pub struct Assignments {
    pub clock: Arc<dyn Clock>,
}

/// The projection of an assignment event.
pub fn facts(a: &pb::ScenarioAssigned) -> (AssignmentFacts, Vec<StageFacts>) {
    let employee = a.employee.clone().unwrap_or_default();
    let facts = AssignmentFacts {
        id: a.assignment_id.clone(),
        scenario_id: a.scenario_id.clone(),
        scenario_version: a.scenario_version,
        scenario_name: a.scenario_name.clone(),
        employee_email: employee.email.trim().to_lowercase(),
        employee_name: employee.display_name,
        employee_time_zone: employee.time_zone,
        manager_email: a.manager.as_ref().map(|m| m.email.trim().to_lowercase()).unwrap_or_default(),
        start_date: a.start_date.clone(),
        cancelled_at: None,
        known: true,
    };
    let stages = a
        .stages
        .iter()
        .map(|s| StageFacts {
            stage_instance_id: s.stage_instance_id.clone(),
            stage_id: s.stage_id.clone(),
            title: s.title.clone(),
            occurrence: s.occurrence,
            kind: s.stage_kind.clone(),
            due_at: ms(s.due_at.as_ref()).unwrap_or_default(),
        })
        .collect();
    (facts, stages)
}

#[async_trait]
impl EventHandler for Assignments {
    async fn handle(
        &self,
        tx: &mut Transaction<'static, Any>,
        _subject: &str,
        event: &CloudEvent,
    ) -> Result<(), HandlerError> {
        let now = self.clock.now_ms();
        match decode(event)? {
            OnboardingEvent::ScenarioAssigned(assigned) => {
                if assigned.assignment_id.is_empty() {
                    return Err(HandlerError::Reject(anyhow::anyhow!("an assignment without an id")));
                }
                let (facts, stages) = facts(&assigned);
                assignments::upsert(tx, &facts, &stages, now).await.map_err(HandlerError::Retry)?;
            }
            OnboardingEvent::AssignmentCancelled(cancelled) => {
                if cancelled.assignment_id.is_empty() {
                    return Err(HandlerError::Reject(anyhow::anyhow!("a cancellation without an assignment id")));
                }
                let at = ms(cancelled.cancelled_at.as_ref()).unwrap_or(now);
                assignments::cancel(tx, &cancelled.assignment_id, &cancelled.scenario_id, at, now)
                    .await
                    .map_err(HandlerError::Retry)?;
                let withdrawn = requests::withdraw_assignment(tx, &cancelled.assignment_id, now)
                    .await
                    .map_err(HandlerError::Retry)?;
                tracing::info!(assignment_id = %cancelled.assignment_id, withdrawn = withdrawn.len(), "assignment cancelled");
            }
            _ => return Err(unexpected(event)),
        }
        Ok(())
    }
}

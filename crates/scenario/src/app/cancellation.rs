//! Cancelling an assignment: HR only; the assignment is marked, its open stage instances closed as
//! cancelled and `onboarding.assignment.cancelled` written, all in one transaction.

use butterboard_runtime::auth::{Caller, Role};

use super::ScenarioApp;
use super::access::require;
use super::errors::{ServiceError, ServiceResult};
use crate::app::AssignmentView;
use crate::events;
use crate::store::{assignments, cancellation};

/// Longest reason kept, in characters.
const MAX_REASON_CHARS: usize = 500;

impl ScenarioApp {
    pub async fn cancel_assignment(&self, caller: &Caller, id: &str, reason: &str) -> ServiceResult<AssignmentView> {
        require(caller, &[Role::Hr])?;
        let id = id.trim();
        let reason = reason.trim();
        let mut violations = Vec::new();
        if id.is_empty() {
            violations.push(butterboard_runtime::error::Violation::new("id", "is required"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            violations.push(butterboard_runtime::error::Violation::new(
                "reason",
                format!("must be at most {MAX_REASON_CHARS} characters"),
            ));
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let assignment = assignments::load(&mut tx, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("assignment {id} not found")))?;
        if !cancellation::cancel(&mut tx, id, &caller.subject, reason, now).await? {
            return Err(ServiceError::FailedPrecondition(format!("assignment {id} is already cancelled")));
        }
        let closed = cancellation::close_open_instances(&mut tx, id, now).await?;
        events::enqueue(&mut tx, events::cancelled(&assignment, reason, now), id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(assignment_id = %id, closed, by = %caller.subject, "assignment cancelled");
        self.get_assignment(caller, id).await
    }
}

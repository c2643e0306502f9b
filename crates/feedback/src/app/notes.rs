//! Managers' notes: a manager's feedback for their new employee after a stage.

use butterboard_runtime::auth::Caller;
use uuid::Uuid;

use super::access::{manages, may_read_notes};
use super::errors::{ServiceError, ServiceResult};
use super::{FeedbackApp, required};
use crate::domain::answer::check_note;
use crate::events;
use crate::store::assignments::{self, AssignmentFacts};
use crate::store::notes::{self, NoteRecord};

impl FeedbackApp {
    async fn known_assignment(&self, conn: &mut sqlx::AnyConnection, id: &str) -> ServiceResult<AssignmentFacts> {
        assignments::load(conn, id)
            .await?
            .filter(|a| a.known)
            .ok_or_else(|| ServiceError::NotFound(format!("assignment {id} not found")))
    }

    /// Leaves a note on an assignment the caller manages (optionally on one of its stage
    /// instances) and publishes `onboarding.feedback.manager_note` with ids only.
    pub async fn leave_note(
        &self,
        caller: &Caller,
        assignment_id: &str,
        stage_instance_id: &str,
        rating: u32,
        comment: &str,
    ) -> ServiceResult<NoteRecord> {
        let assignment_id = required("assignment_id", assignment_id)?;
        let stage_instance_id = stage_instance_id.trim();
        let mut tx = self.store.begin().await?;
        let assignment = self.known_assignment(&mut tx, &assignment_id).await?;
        if !manages(caller, &assignment) {
            return Err(ServiceError::PermissionDenied("only the assignment's manager may leave a note".into()));
        }
        let note = check_note(rating, comment).map_err(ServiceError::Invalid)?;
        let stage_id = if stage_instance_id.is_empty() {
            None
        } else {
            match assignments::stage_instance(&mut tx, stage_instance_id).await? {
                Some((owner, stage)) if owner == assignment.id => Some(stage.stage_id),
                _ => {
                    return Err(ServiceError::invalid(
                        "stage_instance_id",
                        "is not a stage instance of the assignment",
                    ));
                }
            }
        };
        let record = NoteRecord {
            id: Uuid::now_v7().to_string(),
            assignment_id: assignment.id.clone(),
            stage_instance_id: stage_id.as_ref().map(|_| stage_instance_id.to_string()),
            stage_id,
            manager_email: caller.subject.trim().to_lowercase(),
            rating: note.rating,
            comment: note.comment,
            created_at: self.now(),
        };
        notes::insert(&mut tx, &record).await?;
        events::enqueue(&mut tx, vec![events::manager_note(&record, &assignment.scenario_id)]).await?;
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(assignment_id = %record.assignment_id, note_id = %record.id, "manager note left");
        Ok(record)
    }

    pub async fn list_notes(&self, caller: &Caller, assignment_id: &str) -> ServiceResult<Vec<NoteRecord>> {
        let assignment_id = required("assignment_id", assignment_id)?;
        let mut conn = self.store.pool().acquire().await?;
        let assignment = self.known_assignment(&mut conn, &assignment_id).await?;
        if !may_read_notes(caller, &assignment) {
            return Err(ServiceError::PermissionDenied(
                "only the employee, their manager and HR may read these notes".into(),
            ));
        }
        Ok(notes::of_assignment(&mut conn, &assignment_id).await?)
    }
}

//! An employee's requests: listing, reading and answering them.

use butterboard_runtime::auth::Caller;

use super::access::{may_read_request, owns, require_employee};
use super::errors::{ServiceError, ServiceResult};
use super::{FeedbackApp, required};
use crate::domain::answer::check_answer;
use crate::domain::request::RequestStatus;
use crate::events;
use crate::store::requests::{self, RequestRecord};
use crate::store::responses::{self, Response};

/// A request, with its answer where the caller may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub request: RequestRecord,
    pub response: Option<Response>,
}

impl FeedbackApp {
    /// The caller's own requests, newest first.
    pub async fn list_my_requests(&self, caller: &Caller, include_closed: bool) -> ServiceResult<Vec<RequestView>> {
        require_employee(caller)?;
        let mut conn = self.store.pool().acquire().await?;
        let found = requests::of_employee(&mut conn, &caller.subject, include_closed).await?;
        let mut views = Vec::with_capacity(found.len());
        for request in found {
            let response = match request.status {
                RequestStatus::Answered => responses::load(&mut conn, &request.id).await?,
                _ => None,
            };
            views.push(RequestView { request, response });
        }
        Ok(views)
    }

    pub async fn get_request(&self, caller: &Caller, id: &str) -> ServiceResult<RequestView> {
        let id = required("id", id)?;
        let mut conn = self.store.pool().acquire().await?;
        let request = requests::load(&mut conn, &id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("request {id} not found")))?;
        if !may_read_request(caller, &request) {
            return Err(ServiceError::PermissionDenied("only its employee and HR may read this request".into()));
        }
        let response = responses::load(&mut conn, &id).await?;
        Ok(RequestView { request, response })
    }

    /// Answers an open request of the caller's own: checked in full, stored once, published as
    /// `onboarding.feedback.submitted` (ratings and ids) in the same transaction.
    pub async fn submit(
        &self,
        caller: &Caller,
        id: &str,
        rating: u32,
        comment: &str,
        answers: &[String],
    ) -> ServiceResult<RequestView> {
        let id = required("request_id", id)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut request = requests::load(&mut tx, &id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("request {id} not found")))?;
        if !owns(caller, &request) {
            return Err(ServiceError::PermissionDenied("only the employee asked may answer this request".into()));
        }
        match request.status {
            RequestStatus::Open if request.due_at <= now => {
                return Err(ServiceError::FailedPrecondition(format!("request {id} has expired")));
            }
            RequestStatus::Open => {}
            other => return Err(ServiceError::FailedPrecondition(format!("request {id} is {}", other.as_str()))),
        }
        let answer = check_answer(&request.questions, rating, comment, answers).map_err(ServiceError::Invalid)?;
        if !requests::mark_answered(&mut tx, &id, answer.rating, now).await? {
            return Err(ServiceError::FailedPrecondition(format!("request {id} was closed meanwhile")));
        }
        let response = Response {
            request_id: id.clone(),
            rating: answer.rating,
            comment: answer.comment,
            answers: answer.answers,
            submitted_at: now,
        };
        responses::insert(&mut tx, &response).await?;
        events::enqueue(&mut tx, vec![events::submitted(&request, answer.rating, now)]).await?;
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(request_id = %id, rating = answer.rating, "feedback submitted");
        request.status = RequestStatus::Answered;
        request.rating = Some(answer.rating);
        request.answered_at = Some(now);
        request.closed_at = Some(now);
        request.next_reminder_at = None;
        Ok(RequestView { request, response: Some(response) })
    }
}

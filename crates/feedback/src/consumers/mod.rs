//! What this service consumes, each as a durable consumer `feedback-<purpose>` through the
//! runtime's consumer, which claims the event id in the inbox in the handler's transaction (a
//! redelivery changes nothing):
//!
//! - `feedback-assignments`: `onboarding.scenario.assigned` (who the employee and the manager are,
//!   the start month, the stage instances) and `onboarding.assignment.cancelled` (open requests
//!   withdrawn, no new ones).
//! - `feedback-requests`: `onboarding.meeting.ended` and `onboarding.stage.completed`, which ask
//!   for one request per new employee and stage instance ([`requests`]). The handler is
//!   idempotent on its own too (the unique (assignment, stage instance)), so the two events of a
//!   meeting stage, their redeliveries, re-publications under new ids and several workers or
//!   replicas at once still make one request.

mod assignments;
pub mod requests;
pub mod sightings;

use butterboard_runtime::bus::ConsumerSpec;
use butterboard_runtime::consumer::HandlerError;
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::{ServiceContext, Task};

pub use assignments::Assignments;
pub use requests::Requests;

pub const ASSIGNMENTS: &str = "feedback-assignments";
pub const REQUESTS: &str = "feedback-requests";

/// The consumers as tasks: one for assignments, `workers` for stage events (one durable consumer
/// that several pull from, as replicas do).
pub fn tasks(ctx: &ServiceContext, requests: Requests, workers: usize) -> Vec<Task> {
    let mut tasks = vec![ctx.consumer(
        ConsumerSpec::new(ASSIGNMENTS, &["onboarding.scenario.assigned", "onboarding.assignment.cancelled"]),
        Assignments { clock: ctx.clock.clone() },
    )];
    for _ in 0..workers.max(1) {
        let spec = ConsumerSpec::new(REQUESTS, &["onboarding.meeting.ended", "onboarding.stage.completed"]);
        tasks.push(ctx.consumer(spec, requests.clone()));
    }
    tasks
}

fn decode(event: &CloudEvent) -> Result<OnboardingEvent, HandlerError> {
    OnboardingEvent::decode(event).map_err(|e| HandlerError::Reject(e.into()))
}

fn unexpected(event: &CloudEvent) -> HandlerError {
    HandlerError::Reject(anyhow::anyhow!("unexpected event type {}", event.ty))
}

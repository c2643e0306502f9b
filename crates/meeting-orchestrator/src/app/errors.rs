//! The service's boundary errors are the runtime's one table ([`ServiceError`]); this module
//! says what a provider failure or a planning refusal becomes in it. Zoom's validation errors
//! name the request field they come from where there is one.

use std::time::Duration;

pub use butterboard_runtime::error::{ServiceError, ServiceResult, Violation};

use crate::conferencing::ProviderError;
use crate::domain::plan::PlanError;

/// The request field behind a field of Zoom's meeting body.
fn request_field(zoom_field: &str) -> String {
    let field = match zoom_field {
        "duration" => "duration_minutes",
        "start_time" => "start_time",
        "topic" | "agenda" => "stage",
        f if f.starts_with("settings.meeting_invitees") => "invitees",
        f if f.starts_with("settings.alternative_hosts") => "host",
        f => return format!("zoom.{f}"),
    };
    field.to_string()
}

pub fn provider(error: ProviderError, now_ms: i64) -> ServiceError {
    match error {
        ProviderError::Invalid { field, message } => ServiceError::invalid(request_field(&field), message),
        ProviderError::DailyLimit { reset_at_ms } => {
            let at = time::OffsetDateTime::from_unix_timestamp(reset_at_ms.div_euclid(1000))
                .ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                .unwrap_or_default();
            ServiceError::ResourceExhausted {
                message: format!("the host's daily Zoom meeting limit is reached; it resets at {at}"),
                retry_after: Some(Duration::from_millis(u64::try_from(reset_at_ms - now_ms).unwrap_or(0))),
            }
        }
        ProviderError::RateLimited { retry_after } => ServiceError::ResourceExhausted {
            message: "Zoom's rate limit is reached".into(),
            retry_after: Some(retry_after),
        },
        ProviderError::NotFound => {
            ServiceError::FailedPrecondition("the meeting or its host no longer exists in Zoom".into())
        }
        e @ (ProviderError::Unavailable(_) | ProviderError::Uncertain(_)) => ServiceError::unavailable("zoom", e),
        e @ ProviderError::Other(_) => ServiceError::Internal(e.into()),
    }
}

pub fn plan(error: PlanError, target_field: &str) -> ServiceError {
    match error {
        PlanError::Invalid(violations) => ServiceError::Invalid(violations),
        e @ (PlanError::NotAMeeting(..) | PlanError::EmptyCohort(_)) => {
            ServiceError::FailedPrecondition(format!("{target_field}: {e}"))
        }
    }
}

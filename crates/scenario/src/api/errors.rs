//! [`ServiceError`] → gRPC status. Bad input carries a `google.rpc.BadRequest` with one field
//! violation per field; internal errors are logged with their cause and answered with a fixed
//! message.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::app::errors::ServiceError;

pub fn status(error: ServiceError) -> Status {
    match error {
        ServiceError::Invalid(violations) => {
            let summary =
                violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ");
            let details = ErrorDetails::with_bad_request(
                violations.into_iter().map(|v| FieldViolation::new(v.field, v.description)).collect::<Vec<_>>(),
            );
            Status::with_error_details(Code::InvalidArgument, format!("invalid request: {summary}"), details)
        }
        ServiceError::NotFound(message) => Status::not_found(message),
        ServiceError::AlreadyExists(message) => Status::already_exists(message),
        ServiceError::FailedPrecondition(message) => Status::failed_precondition(message),
        ServiceError::PermissionDenied(message) => Status::permission_denied(message),
        ServiceError::Internal(error) => {
            tracing::error!(error = format!("{error:#}"), "scenario call failed");
            Status::internal("internal error")
        }
    }
}

//! The one table of boundary errors: what a service's call can answer, and the gRPC status each
//! becomes (docs/architecture.md, "gRPC").
//!
//! Every service returns [`ServiceError`] from its application layer, so the same failure reads
//! the same in every API: bad input is `INVALID_ARGUMENT` with one `google.rpc.BadRequest` field
//! violation per field, a store or peer that cannot be reached is `UNAVAILABLE` (callers retry),
//! a provider's quota is `RESOURCE_EXHAUSTED` with a `google.rpc.RetryInfo`, and anything else
//! unexpected is `INTERNAL`. The cause of `UNAVAILABLE` and `INTERNAL` is logged with its chain and
//! never returned: it may name hosts, SQL or tokens.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// One field of a request that is wrong, and why. `field` is the request's path to it
/// (`scenario.stages[2].duration_minutes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }

    /// The same violation under `prefix` (e.g. `scenario.`).
    pub fn prefixed(self, prefix: &str) -> Self {
        Self { field: format!("{prefix}{}", self.field), description: self.description }
    }
}

/// Why a call did not succeed: a small closed set, mapped to gRPC codes by `From<ServiceError>
/// for Status`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input, one violation per field. Nothing was written.
    #[error("invalid argument")]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// Valid, but the state does not allow it (an archived scenario, a task stage).
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// A quota ran out (Zoom's daily meeting limit); `retry_after` says when it resets.
    #[error("{message}")]
    ResourceExhausted { message: String, retry_after: Option<Duration> },
    /// A dependency (the store, the bus, another service, Zoom, Drive) cannot be reached now;
    /// `what` names it for the caller, the cause is logged.
    #[error("{what} unavailable")]
    Unavailable {
        what: &'static str,
        #[source]
        cause: anyhow::Error,
    },
    /// Logged with its cause; callers see a fixed message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![Violation::new(field, description)])
    }

    pub fn unavailable(what: &'static str, cause: impl Into<anyhow::Error>) -> Self {
        ServiceError::Unavailable { what, cause: cause.into() }
    }

    /// Puts the violations' fields under `prefix` (`scenario.` for a request's message field);
    /// an empty field becomes the prefix itself without its dot.
    pub fn prefixed(self, prefix: &str) -> Self {
        match self {
            ServiceError::Invalid(violations) => ServiceError::Invalid(
                violations
                    .into_iter()
                    .map(|v| {
                        if v.field.is_empty() {
                            Violation::new(prefix.trim_end_matches('.'), v.description)
                        } else {
                            v.prefixed(prefix)
                        }
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// The gRPC code this error is answered with.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::Invalid(_) => Code::InvalidArgument,
            ServiceError::NotFound(_) => Code::NotFound,
            ServiceError::AlreadyExists(_) => Code::AlreadyExists,
            ServiceError::FailedPrecondition(_) => Code::FailedPrecondition,
            ServiceError::PermissionDenied(_) => Code::PermissionDenied,
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::ResourceExhausted { .. } => Code::ResourceExhausted,
            ServiceError::Unavailable { .. } => Code::Unavailable,
            ServiceError::Internal(_) => Code::Internal,
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        if crate::store::is_unavailable(&error) {
            ServiceError::unavailable("store", error)
        } else {
            ServiceError::Internal(error.into())
        }
    }
}

impl From<anyhow::Error> for ServiceError {
    /// An error whose chain holds a store outage is `UNAVAILABLE`, like the bare `sqlx::Error`.
    fn from(error: anyhow::Error) -> Self {
        let store_down =
            error.chain().any(|cause| cause.downcast_ref::<sqlx::Error>().is_some_and(crate::store::is_unavailable));
        if store_down { ServiceError::unavailable("store", error) } else { ServiceError::Internal(error) }
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Status {
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
            ServiceError::Unauthenticated(message) => Status::unauthenticated(message),
            ServiceError::ResourceExhausted { message, retry_after } => match retry_after {
                Some(delay) => Status::with_error_details(
                    Code::ResourceExhausted,
                    format!("{message} (retry in {} s)", delay.as_secs()),
                    ErrorDetails::with_retry_info(Some(delay)),
                ),
                None => Status::resource_exhausted(message),
            },
            ServiceError::Unavailable { what, cause } => {
                tracing::warn!(dependency = what, error = format!("{cause:#}"), "call failed: dependency unavailable");
                Status::unavailable(format!("{what} unavailable, try again"))
            }
            ServiceError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "call failed");
                Status::internal("internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_that_cannot_be_reached_is_unavailable_and_its_cause_is_not_returned() {
        let status = Status::from(ServiceError::from(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(status.message(), "store unavailable, try again");
        let wrapped = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("loading the scenario");
        assert_eq!(Status::from(ServiceError::from(wrapped)).code(), Code::Unavailable);
    }

    #[test]
    fn an_unexpected_error_is_internal_with_a_fixed_message() {
        let status = Status::from(ServiceError::from(anyhow::anyhow!("row 7 of table secrets had token abc")));
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
        let decode = sqlx::Error::ColumnNotFound("x".into());
        assert_eq!(Status::from(ServiceError::from(decode)).code(), Code::Internal);
    }

    #[test]
    fn bad_input_names_each_field_and_quotas_say_when_to_retry() {
        let status = Status::from(ServiceError::invalid("start_time", "is in the past").prefixed("meeting."));
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> = status
            .get_details_bad_request()
            .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["meeting.start_time"]);
        let exhausted = ServiceError::ResourceExhausted {
            message: "daily meeting limit reached".into(),
            retry_after: Some(Duration::from_secs(3600)),
        };
        let status = Status::from(exhausted);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert_eq!(status.get_details_retry_info().and_then(|r| r.retry_delay), Some(Duration::from_secs(3600)));
    }
}

//! The service's boundary errors: a small closed set, mapped to gRPC codes in `api::errors`.

use crate::domain::draft::Violation;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: one violation per field. Nothing was written.
    #[error("invalid argument")]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    /// The request is valid but the state does not allow it (an archived scenario, a closed
    /// stage instance, a stale expected version).
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    PermissionDenied(String),
    /// Logged with its cause; callers see a fixed message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ServiceError::Invalid(vec![Violation::new(field, description)])
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
}

impl From<anyhow::Error> for ServiceError {
    fn from(error: anyhow::Error) -> Self {
        ServiceError::Internal(error)
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(error: sqlx::Error) -> Self {
        ServiceError::Internal(error.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

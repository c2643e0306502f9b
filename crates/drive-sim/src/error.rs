//! Errors in Google's JSON shape.
//!
//! Drive v3 answers every failure with
//! `{"error":{"code":…,"message":…,"errors":[{"domain","reason","message","location","locationType"}],"status":…}}`.
//! Clients branch on `errors[0].reason` (`notFound`, `storageQuotaExceeded`, `rateLimitExceeded`…),
//! so the reasons here are the ones Google documents, not our own inventions.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One Drive API failure, rendered as Google renders it.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub domain: &'static str,
    pub reason: &'static str,
    pub message: String,
    /// `(location, locationType)`: the parameter or header the error is about.
    pub location: Option<(String, &'static str)>,
    pub retry_after_secs: Option<u64>,
    /// 401s carry `WWW-Authenticate`, as Google's do.
    pub www_authenticate: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            domain: "global",
            reason,
            message: message.into(),
            location: None,
            retry_after_secs: None,
            www_authenticate: false,
        }
    }

    /// Names the parameter (`locationType: parameter`) the error is about.
    pub fn at_parameter(mut self, name: &str) -> Self {
        self.location = Some((name.to_owned(), "parameter"));
        self
    }

    /// Drive's answer for a file that does not exist *or that the caller may not see*: both are 404,
    /// which is why a missing `supportsAllDrives=true` looks exactly like a missing file.
    pub fn file_not_found(id: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("File not found: {id}.")).at_parameter("fileId")
    }

    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, reason, message)
    }

    /// A query parameter with a value Drive does not accept.
    pub fn invalid_parameter(name: &str, message: impl Into<String>) -> Self {
        ApiError::bad_request("invalid", message).at_parameter(name)
    }

    pub fn forbidden(reason: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, reason, message)
    }

    pub fn insufficient_file_permissions(id: &str) -> Self {
        ApiError::forbidden(
            "insufficientFilePermissions",
            format!("The user does not have sufficient permissions for file {id}."),
        )
    }

    /// A token whose scopes do not allow the call (e.g. `drive.readonly` trying to write).
    pub fn insufficient_scopes() -> Self {
        ApiError::forbidden("insufficientPermissions", "Request had insufficient authentication scopes.")
    }

    /// Google's exact wording for a service account writing a file into a My-Drive folder.
    pub fn storage_quota_exceeded() -> Self {
        ApiError::forbidden(
            "storageQuotaExceeded",
            "Service Accounts do not have storage quota. Leverage shared drives \
             (https://developers.google.com/workspace/drive/api/guides/about-shareddrives), \
             or use OAuth delegation (http://support.google.com/a/answer/7281227) instead.",
        )
    }

    pub fn login_required() -> Self {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "required", "Login Required.");
        error.location = Some(("Authorization".to_owned(), "header"));
        error.www_authenticate = true;
        error
    }

    pub fn invalid_credentials() -> Self {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "authError", "Invalid Credentials");
        error.location = Some(("Authorization".to_owned(), "header"));
        error.www_authenticate = true;
        error
    }

    /// Something went wrong on our side: the cause is logged, the client sees Google's `backendError`.
    pub fn internal(cause: anyhow::Error) -> Self {
        tracing::error!(error = format!("{cause:#}"), "drive simulator internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "backendError", "Internal Error")
    }

    fn status_text(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ALREADY_EXISTS",
            413 => "OUT_OF_RANGE",
            429 => "RESOURCE_EXHAUSTED",
            503 => "UNAVAILABLE",
            500..=599 => "INTERNAL",
            _ => "UNKNOWN",
        }
    }

    /// The JSON body, also used by the fault injector.
    pub fn body(&self) -> serde_json::Value {
        let mut detail = json!({
            "message": self.message,
            "domain": self.domain,
            "reason": self.reason,
        });
        if let Some((location, kind)) = &self.location {
            detail["location"] = json!(location);
            detail["locationType"] = json!(kind);
        }
        json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "errors": [detail],
                "status": self.status_text(),
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body();
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.www_authenticate {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""),
            );
        }
        response
    }
}

/// Handlers return this; `?` on an `anyhow` error becomes a logged `backendError`.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl From<anyhow::Error> for ApiError {
    fn from(cause: anyhow::Error) -> Self {
        ApiError::internal(cause)
    }
}

impl From<std::io::Error> for ApiError {
    fn from(cause: std::io::Error) -> Self {
        ApiError::internal(cause.into())
    }
}

//! What a call to Zoom can end with. Zoom's own errors keep its `code` and `message`; the daily
//! create/update limit is its own variant with the time it resets, since retrying before then is
//! pointless.

use std::time::Duration;

use time::OffsetDateTime;

/// A failed call to Zoom. Messages never contain tokens or secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    /// Zoom answered with an error body `{"code": n, "message": "…"}` (or without one).
    #[error("zoom answered {status}: code {code:?}: {message}")]
    Api { status: u16, code: Option<i64>, message: String },
    /// A per-second rate limit that did not clear within the retry policy.
    #[error("zoom rate limit reached; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration, message: String },
    /// The per-user daily meeting create/update limit (100 a day; or an account's daily quota);
    /// it resets at `reset_at` (00:00 UTC, or Zoom's `Retry-After`). Never retried: waiting
    /// until then is the caller's decision.
    #[error("zoom daily meeting create/update limit reached; resets at {reset_at}")]
    DailyLimit { reset_at: OffsetDateTime, message: String },
    /// The token endpoint refused the app's credentials or account.
    #[error("zoom oauth refused the credentials ({status}): {reason}")]
    OAuth { status: u16, reason: String },
    /// No answer within the call's timeout.
    #[error("zoom did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke.
    #[error("cannot reach zoom: {0}")]
    Transport(String),
    /// An answer that does not have the expected shape.
    #[error("unexpected answer from zoom: {0}")]
    Decode(String),
    /// A download URL, or a redirect of one, outside the allowed download origins (see
    /// `ClientConfig::download_origins`): nothing was sent to it, no token in particular.
    #[error("refusing to download from {origin}: not an allowed zoom download origin")]
    DownloadRefused { origin: String },
    /// The call could not be built (bad URL, bad argument).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ZoomError {
    /// The fields a validation error (400, code 300) names, in order.
    pub fn invalid_fields(&self) -> Vec<String> {
        let ZoomError::Api { status: 400, message, .. } = self else {
            return Vec::new();
        };
        message
            .split("Invalid field: ")
            .skip(1)
            .filter_map(|rest| rest.split(':').next())
            .map(|field| field.trim().to_string())
            .filter(|field| !field.is_empty())
            .collect()
    }

    /// Zoom's error code, when it sent one.
    pub fn code(&self) -> Option<i64> {
        match self {
            ZoomError::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// The HTTP status Zoom answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ZoomError::Api { status, .. } | ZoomError::OAuth { status, .. } => Some(*status),
            ZoomError::RateLimited { .. } | ZoomError::DailyLimit { .. } => Some(429),
            _ => None,
        }
    }

    /// 404: no such meeting, user or recording.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Whether trying again later can succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ZoomError::Api { status, .. } => *status >= 500,
            ZoomError::RateLimited { .. } | ZoomError::Timeout(_) | ZoomError::Transport(_) => true,
            _ => false,
        }
    }

    pub(crate) fn transport(error: &reqwest::Error) -> Self {
        // reqwest's Display may include the URL; ours carry no secrets (tokens travel in headers).
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        ZoomError::Transport(text)
    }
}

/// Zoom's error body.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ErrorBody {
    pub code: Option<i64>,
    pub message: Option<String>,
    /// OAuth errors use `reason` and `error`.
    pub reason: Option<String>,
    pub error: Option<String>,
    /// Validation errors name each bad field here (`"Validation Failed."` alone says nothing).
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One entry of a validation error's `errors`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct FieldError {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub message: String,
}

impl ErrorBody {
    pub fn read(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or(ErrorBody {
            code: None,
            message: None,
            reason: None,
            error: None,
            errors: Vec::new(),
        })
    }

    /// The message, with every field of `errors` it does not name yet appended as
    /// `Invalid field: <field>: <message>`, so the field reaches whoever reads the error.
    pub fn message(&self, status: u16) -> String {
        let mut text = self
            .message
            .clone()
            .or_else(|| self.reason.clone())
            .or_else(|| self.error.clone())
            .unwrap_or_else(|| format!("http {status}"));
        for e in self.errors.iter().filter(|e| !e.field.is_empty()) {
            let named = format!("Invalid field: {}:", e.field);
            if !text.contains(&named) {
                text.push_str(&format!(" {named} {}", e.message));
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_error_names_its_fields_whether_zoom_put_them_in_the_message_or_in_errors() {
        let zoom = br#"{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.meeting_invitees[0].email","message":"Invalid email"}]}"#;
        let body = ErrorBody::read(zoom);
        let error = ZoomError::Api { status: 400, code: body.code, message: body.message(400) };
        assert_eq!(error.invalid_fields(), ["settings.meeting_invitees[0].email"]);
        let sim = br#"{"code":300,"message":"Validation Failed. Invalid field: duration: too long","errors":[{"field":"duration","message":"too long"}]}"#;
        let body = ErrorBody::read(sim);
        assert_eq!(body.message(400), "Validation Failed. Invalid field: duration: too long");
        let error = ZoomError::Api { status: 400, code: body.code, message: body.message(400) };
        assert_eq!(error.invalid_fields(), ["duration"]);
    }
}

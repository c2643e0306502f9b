//! Query parameters as Drive reads them: booleans are `true`/`false`, unknown parameters are
//! ignored, and a bad value is a 400 naming the parameter (never axum's plain-text rejection).

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::{ApiError, ApiResult};

/// The request's query string, decoded.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    values: HashMap<String, String>,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        let values = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { values }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A boolean parameter; `aliases` are the deprecated Team-Drive names Drive still accepts
    /// (`supportsTeamDrives`, `includeTeamDriveItems`).
    pub fn flag(&self, name: &str, aliases: &[&str]) -> ApiResult<bool> {
        let mut result = false;
        for key in std::iter::once(&name).chain(aliases) {
            match self.get(key) {
                None => {}
                Some("true") => result = true,
                Some("false") => {}
                Some(_) => {
                    return Err(ApiError::invalid_parameter(
                        key,
                        format!("Invalid value for parameter {key}: expected true or false"),
                    ));
                }
            }
        }
        Ok(result)
    }

    /// `supportsAllDrives` (or the deprecated `supportsTeamDrives`).
    pub fn supports_all_drives(&self) -> ApiResult<bool> {
        self.flag("supportsAllDrives", &["supportsTeamDrives"])
    }

    /// An integer parameter within `min..=max`.
    pub fn int(&self, name: &str, min: u64, max: u64) -> ApiResult<Option<u64>> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid_parameter(
                name,
                format!("Invalid value '{text}'. Values must be within the range: [{min}, {max}]"),
            )),
        }
    }

    /// Every parameter, for rebuilding a URL (the session URI keeps the request's own).
    pub fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.values.iter().map(|(k, v)| (k.clone(), v.clone()))
    }

    /// A comma-separated list parameter (`addParents`, `removeParents`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::parse(parts.uri.query()))
    }
}

/// Parses a JSON request body into `T`, answering Drive's `parseError` on bad JSON.
pub(crate) fn json_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("parseError", format!("Invalid JSON payload received. {e}")))
}

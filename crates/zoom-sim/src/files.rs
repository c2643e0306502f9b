//! Downloading recording files. `download_url` (`/rec/download/{fileId}`) wants a bearer token — the
//! event's `download_token`, a `download_access_token` or an API token — and answers **302** to a
//! short-lived signed URL (`/rec/file/{fileId}?expires=&sig=`) that serves the bytes with `Range`
//! support. Media bytes come from [`crate::synthetic`]; text files are served as stored.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::ApiError;
use crate::meetings::segment;
use crate::state::{AppState, bearer, lock};
use crate::store::{RecordingFile, TokenKind};
use crate::synthetic;

fn file_mac(key: &[u8; 32], file_id: &str, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac accepts keys of any length");
    mac.update(format!("{file_id}:{expires}").as_bytes());
    mac
}

/// `GET /rec/download/{fileId}`: checks the token, then redirects to the signed file URL.
pub(crate) async fn download(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file_id = segment(path)?;
    // Zoom also takes the token as `?access_token=`.
    let token = bearer(&headers).or(query.get("access_token").map(String::as_str)).ok_or(ApiError::InvalidToken)?;
    let now = state.now_ms();
    {
        let store = lock(&state.store);
        let (rec, _) = store.file(&file_id).filter(|(r, _)| !r.trashed).ok_or(ApiError::RecordingNotFound)?;
        let granted = store.tokens.get(token).ok_or(ApiError::InvalidToken)?;
        let allowed = match &granted.kind {
            TokenKind::Api => true,
            TokenKind::Download { uuid } => *uuid == rec.uuid,
        };
        if !allowed {
            return Err(ApiError::InvalidToken);
        }
        if granted.expires_ms <= now {
            return Err(ApiError::ExpiredToken);
        }
    }
    let ttl = i64::try_from(state.config.signed_url_ttl.as_secs()).unwrap_or(i64::MAX);
    let expires = (now / 1000).saturating_add(ttl);
    let sig = hex::encode(file_mac(&state.file_key, &file_id, expires).finalize().into_bytes());
    let location = format!("{}/rec/file/{}?expires={expires}&sig={sig}", state.base_url, file_id);
    tracing::debug!(file_id, "download redirected to signed url");
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

/// `GET /rec/file/{fileId}?expires=&sig=`: the bytes, whole or one `Range`.
pub(crate) async fn file(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let file_id = segment(path)?;
    let expires: i64 = query.get("expires").and_then(|e| e.parse().ok()).ok_or(ApiError::BadSignature)?;
    let sig = query.get("sig").and_then(|s| hex::decode(s).ok()).ok_or(ApiError::BadSignature)?;
    if file_mac(&state.file_key, &file_id, expires).verify_slice(&sig).is_err() {
        return Err(ApiError::BadSignature);
    }
    if expires.saturating_mul(1000) <= state.now_ms() {
        return Err(ApiError::SignedUrlExpired);
    }
    let file = {
        let store = lock(&state.store);
        let (_, file) = store.file(&file_id).filter(|(r, _)| !r.trashed).ok_or(ApiError::RecordingNotFound)?;
        file.clone()
    };
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, end) = match parse_range(range, file.size)? {
        None => (StatusCode::OK, 0, file.size),
        Some((start, last)) => (StatusCode::PARTIAL_CONTENT, start, last + 1),
    };
    let mut response = Response::new(body(&file, start, end));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file.file_type)));
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"{}.{}\"", file.id, file.file_extension.to_lowercase()))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{}", end - 1, file.size))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    Ok(response)
}

/// `GET /rec/play/{fileId}`: a placeholder for Zoom's web player.
pub(crate) async fn play(path: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let file_id = segment(path)?;
    let page = format!("<!doctype html><title>zoom-sim player</title><p>recording file {file_id}</p>");
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response())
}

fn body(file: &RecordingFile, start: u64, end: u64) -> Body {
    match &file.content {
        Some(text) => {
            let bytes = text.as_bytes();
            let slice = bytes.get(start as usize..end as usize).unwrap_or_default();
            Body::from(slice.to_vec())
        }
        None => Body::from_stream(synthetic::stream(&file.id, start, end)),
    }
}

fn content_type(file_type: &str) -> &'static str {
    match file_type {
        "MP4" => "video/mp4",
        "M4A" => "audio/mp4",
        "TRANSCRIPT" | "CC" => "text/vtt; charset=utf-8",
        "CHAT" => "text/plain; charset=utf-8",
        "TIMELINE" => "application/json",
        _ => "application/octet-stream",
    }
}

/// A single `bytes=` range as `(first, last)` inclusive; `None` serves the whole file. Other units
/// are ignored (RFC 9110); a malformed, multiple or unsatisfiable byte range answers 416.
pub(crate) fn parse_range(header: Option<&str>, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = header.map(str::trim) else {
        return Ok(None);
    };
    let Some(spec) = spec.strip_prefix("bytes=") else {
        return Ok(None);
    };
    let bad = || ApiError::RangeNotSatisfiable { size };
    let (first, last) = spec.trim().split_once('-').ok_or_else(bad)?;
    if spec.contains(',') {
        return Err(bad());
    }
    let range = match (first.trim(), last.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| bad())?;
            if n == 0 || size == 0 {
                return Err(bad());
            }
            (size - n.min(size), size - 1)
        }
        (first, "") => {
            let first: u64 = first.parse().map_err(|_| bad())?;
            (first, size.saturating_sub(1))
        }
        (first, last) => {
            let first: u64 = first.parse().map_err(|_| bad())?;
            let last: u64 = last.parse().map_err(|_| bad())?;
            if last < first {
                return Err(bad());
            }
            (first, last.min(size.saturating_sub(1)))
        }
    };
    if range.0 >= size {
        return Err(bad());
    }
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_like_rfc_9110_says() {
        assert_eq!(parse_range(None, 100).ok(), Some(None));
        assert_eq!(parse_range(Some("bytes=0-9"), 100).ok(), Some(Some((0, 9))));
        assert_eq!(parse_range(Some("bytes=90-"), 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=-10"), 100).ok(), Some(Some((90, 99))));
        assert_eq!(parse_range(Some("bytes=50-500"), 100).ok(), Some(Some((50, 99))));
        assert_eq!(parse_range(Some("items=0-1"), 100).ok(), Some(None));
        assert!(parse_range(Some("bytes=100-"), 100).is_err());
        assert!(parse_range(Some("bytes=9-2"), 100).is_err());
        assert!(parse_range(Some("bytes=a-b"), 100).is_err());
        assert!(parse_range(Some("bytes=0-1,4-5"), 100).is_err());
    }
}

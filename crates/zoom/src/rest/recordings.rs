//! Cloud recordings: get a session's recording, list a user's recordings for a period, move a
//! session's recordings to the trash, and download a file as a byte stream.
//!
//! A `download_url` wants a bearer token (the webhook's `download_token`, or an API token) and
//! answers **302** to a short-lived signed URL that serves the bytes, with `Range` support. The
//! token goes only to an allowed download origin ([`origins`](super::origins)); the client
//! follows the redirect itself so the token is never sent to the signed URL's host, and hands the
//! body on chunk by chunk: a multi-gigabyte file is never held in memory.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::encoding::encode_path_segment;
use super::errors::{ErrorBody, ZoomError};
use crate::models::RecordingMeeting;
use crate::webhook::events::DownloadToken;

/// How many redirects a download follows.
const MAX_REDIRECTS: usize = 5;

/// How much of a failed download's body is read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// One page of `GET /users/{userId}/recordings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingList {
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub page_size: Option<u32>,
    #[serde(default)]
    pub total_records: Option<u64>,
    /// Empty on the last page.
    #[serde(default)]
    pub next_page_token: String,
    #[serde(default)]
    pub meetings: Vec<RecordingMeeting>,
}

/// A byte range to download: `start..=end`, or from `start` to the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    pub fn from(start: u64) -> Self {
        Self { start, end: None }
    }

    pub fn inclusive(start: u64, end: u64) -> Self {
        Self { start, end: Some(end) }
    }

    fn header(&self) -> String {
        match self.end {
            Some(end) => format!("bytes={}-{end}", self.start),
            None => format!("bytes={}-", self.start),
        }
    }
}

/// A `Content-Range: bytes first-last/total` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub first: u64,
    pub last: u64,
    pub total: Option<u64>,
}

impl ContentRange {
    fn parse(value: &str) -> Option<Self> {
        let rest = value.trim().strip_prefix("bytes ")?;
        let (range, total) = rest.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        Some(Self { first: first.parse().ok()?, last: last.parse().ok()?, total: total.parse().ok() })
    }
}

/// A download in progress: what the server said, and the body as a stream of chunks.
pub struct Download {
    /// 200 for the whole file, 206 for a range.
    pub status: u16,
    pub content_length: Option<u64>,
    pub content_range: Option<ContentRange>,
    pub content_type: Option<String>,
    pub body: Pin<Box<dyn Stream<Item = Result<Bytes, ZoomError>> + Send>>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("content_length", &self.content_length)
            .field("content_range", &self.content_range)
            .finish_non_exhaustive()
    }
}

impl ZoomClient {
    /// `GET /meetings/{id or uuid}/recordings`; a uuid names one session, an id the latest.
    /// `with_download_token` asks for a `download_access_token` valid longer than the webhook's.
    pub async fn get_recordings(
        &self,
        meeting: &str,
        with_download_token: bool,
    ) -> Result<RecordingMeeting, ZoomError> {
        let mut call = ApiCall::new(
            Method::GET,
            format!("/meetings/{}/recordings", encode_path_segment(meeting)),
            Category::Light,
        );
        if with_download_token {
            call = call.query("include_fields", "download_access_token");
        }
        self.send_json(call).await
    }

    /// One page of a user's recordings whose sessions started between `from` and `to` (at most a
    /// month apart); pass the previous page's `next_page_token` to continue.
    pub async fn list_user_recordings(
        &self,
        user_id: &str,
        from: Date,
        to: Date,
        page_token: Option<&str>,
    ) -> Result<RecordingList, ZoomError> {
        let day = format_description!("[year]-[month]-[day]");
        let format = |d: Date| d.format(day).map_err(|e| ZoomError::InvalidRequest(e.to_string()));
        let mut call =
            ApiCall::new(Method::GET, format!("/users/{}/recordings", encode_path_segment(user_id)), Category::Medium)
                .query("from", format(from)?)
                .query("to", format(to)?)
                .query("page_size", "300");
        if let Some(token) = page_token.filter(|t| !t.is_empty()) {
            call = call.query("next_page_token", token);
        }
        self.send_json(call).await
    }

    /// Moves a session's recordings to the trash (`DELETE …/recordings?action=trash`).
    pub async fn trash_recordings(&self, meeting_uuid: &str) -> Result<(), ZoomError> {
        let call = ApiCall::new(
            Method::DELETE,
            format!("/meetings/{}/recordings", encode_path_segment(meeting_uuid)),
            Category::Light,
        )
        .query("action", "trash");
        self.send(call).await.map(drop)
    }

    /// Starts downloading `download_url` with `token` (the webhook's `download_token`; the
    /// account's API token when `None`), optionally one `range`. The answer's headers are
    /// checked; the body streams. To resume after a broken stream, call again with
    /// `ByteRange::from(bytes already written)`.
    pub async fn download(
        &self,
        download_url: &str,
        token: Option<&DownloadToken>,
        range: Option<ByteRange>,
    ) -> Result<Download, ZoomError> {
        let policy = self.inner.config.retry.clone();
        let mut attempt = 1;
        loop {
            match self.download_once(download_url, token, range).await {
                Ok(download) => return Ok(download),
                Err(error) if error.is_transient() && attempt < policy.max_attempts => {
                    let delay = match &error {
                        ZoomError::RateLimited { retry_after, .. } if *retry_after <= policy.max_retry_after => {
                            *retry_after
                        }
                        _ => policy.backoff(attempt),
                    };
                    tracing::debug!(attempt, delay_ms = delay.as_millis() as u64, error = %error, "retrying zoom download");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn download_once(
        &self,
        download_url: &str,
        token: Option<&DownloadToken>,
        range: Option<ByteRange>,
    ) -> Result<Download, ZoomError> {
        let config = &self.inner.config;
        let mut url =
            reqwest::Url::parse(download_url).map_err(|e| ZoomError::InvalidRequest(format!("download url: {e}")))?;
        // Checked before anything is sent, the request for an API token included.
        self.inner.download_origins.check(&url, 0)?;
        let api_token;
        let bearer: &str = match token {
            Some(token) => token.expose(),
            None => {
                api_token = self.access_token().await?;
                &api_token
            }
        };
        for hop in 0..=MAX_REDIRECTS {
            let with_token = self.inner.download_origins.check(&url, hop)?;
            let mut request = self.inner.http.get(url.clone());
            if with_token {
                request = request.bearer_auth(bearer);
            }
            if let Some(range) = range {
                request = request.header(RANGE, range.header());
            }
            // Only the headers are bounded by the call timeout; the body by the idle timeout.
            let response = match tokio::time::timeout(config.request_timeout, request.send()).await {
                Err(_) => return Err(ZoomError::Timeout(config.request_timeout)),
                Ok(Err(error)) => return Err(ZoomError::transport(&error)),
                Ok(Ok(response)) => response,
            };
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                let location = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| ZoomError::Decode("redirect without a location".into()))?;
                // The signed URL carries its own authorisation: the next hop goes without the token.
                url = url.join(location).map_err(|e| ZoomError::Decode(format!("redirect location: {e}")))?;
                continue;
            }
            if status == 200 || status == 206 {
                return Ok(into_download(response, status, config.download_idle_timeout));
            }
            return Err(download_error(response, status, config.request_timeout).await);
        }
        Err(ZoomError::Decode(format!("more than {MAX_REDIRECTS} redirects")))
    }
}

fn into_download(response: reqwest::Response, status: u16, idle: Duration) -> Download {
    let header = |name| {
        response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_string)
    };
    let content_length = header(CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let content_range = header(CONTENT_RANGE).as_deref().and_then(ContentRange::parse);
    let content_type = header(CONTENT_TYPE);
    let chunks = response.bytes_stream();
    let body = futures::stream::unfold(Some(Box::pin(chunks)), move |state| async move {
        let mut chunks = state?;
        match tokio::time::timeout(idle, chunks.next()).await {
            Err(_) => Some((Err(ZoomError::Timeout(idle)), None)),
            Ok(None) => None,
            Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(chunks))),
            Ok(Some(Err(error))) => Some((Err(ZoomError::transport(&error)), None)),
        }
    });
    Download { status, content_length, content_range, content_type, body: Box::pin(body) }
}

async fn download_error(response: reqwest::Response, status: u16, timeout: Duration) -> ZoomError {
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(super::retry::RetryAfter::parse);
    let body = error_body(response, timeout).await;
    let error = ErrorBody::read(&body);
    if status == 429 {
        let retry_after =
            retry_after.map(|r| r.delay_from(time::OffsetDateTime::now_utc())).unwrap_or(Duration::from_secs(1));
        return ZoomError::RateLimited { retry_after, message: error.message(status) };
    }
    ZoomError::Api { status, code: error.code, message: error.message(status) }
}

/// At most [`MAX_ERROR_BODY`] bytes of an error body, read within `timeout`: Zoom's are a line of
/// JSON, and a server that sends more, or never stops, is not waited for. What arrived by then is
/// what the error is read from.
async fn error_body(mut response: reqwest::Response, timeout: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    let read = async {
        while body.len() < MAX_ERROR_BODY {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(MAX_ERROR_BODY - body.len())]),
                Ok(None) | Err(_) => break,
            }
        }
    };
    if tokio::time::timeout(timeout, read).await.is_err() {
        tracing::debug!(read = body.len(), "zoom download error body cut at the timeout");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_are_read_with_or_without_a_total() {
        assert_eq!(
            ContentRange::parse("bytes 10-19/100"),
            Some(ContentRange { first: 10, last: 19, total: Some(100) })
        );
        assert_eq!(ContentRange::parse("bytes 10-19/*"), Some(ContentRange { first: 10, last: 19, total: None }));
        assert_eq!(ContentRange::parse("items 1-2/3"), None);
        assert_eq!(ByteRange::inclusive(5, 9).header(), "bytes=5-9");
        assert_eq!(ByteRange::from(5).header(), "bytes=5-");
    }
}

//! Chunks and status queries on a resumable session (`PUT <session URI>`), per FACTS:
//!
//! - `Content-Range: bytes a-b/total` (or `/*` while the total is unknown) carries bytes; every
//!   chunk but the last is a multiple of 256 KiB, otherwise 400.
//! - `308 Resume Incomplete` with `Range: bytes=0-N` says what is stored — no `Range` when
//!   nothing is. Only stored bytes count: a chunk that starts past the stored offset is ignored,
//!   one that overlaps stored bytes has the overlap skipped.
//! - `Content-Range: bytes */total` with an empty body asks for the status (after a crash or 5xx).
//! - The last byte completes the file: 200 with the file resource. An expired session is 404.
//!
//! Bytes stream straight to the part file with a 1 MiB buffer; the MD5 is computed as they pass.
//! A connection that dies mid-chunk keeps only whole 256 KiB blocks (the worse case of what
//! Google keeps), which a status query then reports.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use md5::Digest;
use tokio::io::{AsyncSeekExt, AsyncWriteExt, BufWriter};

use crate::error::{ApiError, ApiResult};
use crate::faults::ChunkFault;
use crate::params::Params;
use crate::server::ConnControl;
use crate::state::{AppState, SharedState};
use crate::upload_session::{GRANULE, Session, md5_of_file};

/// How long a chunk's body may pause before the connection counts as dropped.
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A parsed `Content-Range`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    Status { total: Option<u64> },
    Bytes { start: u64, len: u64, total: Option<u64> },
}

fn bad_range(text: &str) -> ApiError {
    ApiError::bad_request("badContent", format!("Failed to parse Content-Range header: {text:?}"))
        .at_parameter("Content-Range")
}

fn parse_range(headers: &HeaderMap) -> ApiResult<Range> {
    let content_length =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let Some(text) = headers.get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok()) else {
        // No Content-Range: the body is the whole file.
        let len = content_length.ok_or_else(|| {
            ApiError::bad_request("badContent", "A chunk needs Content-Range (or Content-Length for the whole file).")
        })?;
        return Ok(Range::Bytes { start: 0, len, total: Some(len) });
    };
    let spec = text.trim().strip_prefix("bytes ").ok_or_else(|| bad_range(text))?.trim();
    let (span, total) = spec.split_once('/').ok_or_else(|| bad_range(text))?;
    let total = match total {
        "*" => None,
        n => Some(n.parse::<u64>().map_err(|_| bad_range(text))?),
    };
    if span == "*" {
        return Ok(Range::Status { total });
    }
    let (a, b) = span.split_once('-').ok_or_else(|| bad_range(text))?;
    let (start, end) = (a.parse::<u64>().map_err(|_| bad_range(text))?, b.parse::<u64>().map_err(|_| bad_range(text))?);
    // Drive caps files at 5 TB; anything near u64::MAX is nonsense and must not overflow below.
    if end < start || end >= 1 << 62 || total.is_some_and(|t| end >= t) {
        return Err(bad_range(text));
    }
    let len = end - start + 1;
    if content_length.is_some_and(|cl| cl != len) {
        return Err(ApiError::bad_request(
            "badContent",
            format!("Content-Length {} does not match Content-Range {text}", content_length.unwrap_or_default()),
        ));
    }
    Ok(Range::Bytes { start, len, total })
}

/// `308 Resume Incomplete`, with `Range` only when something is stored.
fn resume_incomplete(upload_id: &str, offset: u64) -> Response {
    let mut response =
        (StatusCode::PERMANENT_REDIRECT, [("x-guploader-uploadid", upload_id.to_owned())]).into_response();
    if offset > 0
        && let Ok(value) = format!("bytes=0-{}", offset - 1).parse()
    {
        response.headers_mut().insert(header::RANGE, value);
    }
    response
}

fn session_gone(upload_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "notFound",
        format!("Upload session {upload_id} does not exist or has expired: start a new upload."),
    )
    .at_parameter("upload_id")
}

/// `PUT` (or `POST`) on a session URI.
pub(crate) async fn chunk(State(state): State<SharedState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let params = Params::parse(parts.uri.query());
    let conn = parts.extensions.get::<ConnControl>().cloned();
    let fault = parts.extensions.get::<ChunkFault>().copied().unwrap_or_default();
    let result = handle(&state, &params, &parts.headers, body, conn, fault).await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn handle(
    state: &AppState,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
    conn: Option<ConnControl>,
    fault: ChunkFault,
) -> ApiResult<Response> {
    let upload_id = params.get("upload_id").unwrap_or_default().to_owned();
    let session = state.sessions.get(&upload_id).ok_or_else(|| session_gone(&upload_id))?;
    let mut s = session.lock().await;
    if state.clock.now_ms() >= s.meta.expires_ms {
        drop(s);
        state.sessions.remove(&upload_id).await;
        tracing::debug!(upload_id = %upload_id, "expired upload session refused");
        return Err(session_gone(&upload_id));
    }
    if let Some(file_id) = s.meta.completed.clone() {
        return completed(state, params, &file_id, &s).await;
    }
    let range = parse_range(headers)?;
    let total = match range {
        Range::Status { total } | Range::Bytes { total, .. } => total,
    };
    if let (Some(declared), Some(now)) = (s.meta.total, total)
        && declared != now
    {
        return Err(ApiError::bad_request(
            "badContent",
            format!("The upload's total size is {declared} bytes, not {now}."),
        ));
    }
    if s.meta.total.is_none() && total.is_some() {
        s.meta.total = total;
        state.sessions.save(&s.meta).await?;
    }
    let Range::Bytes { start, len, .. } = range else {
        return finish_or_continue(state, params, &mut s).await;
    };
    let is_last = s.meta.total.is_some_and(|t| start + len == t);
    if !is_last && len % GRANULE != 0 {
        return Err(ApiError::bad_request(
            "badContent",
            format!("Every chunk but the last must be a multiple of 262144 bytes (256 KiB); this one has {len} bytes."),
        ));
    }
    if start > s.offset {
        // A gap: nothing of this chunk can be stored. Answer what is really there.
        drain(body).await;
        return Ok(resume_incomplete(&upload_id, s.offset));
    }
    let skip = s.offset - start;
    let wanted = len.saturating_sub(skip);
    let accept = fault.accept_bytes.map_or(wanted, |a| a.min(wanted));
    let outcome = receive(state, &mut s, body, len, skip, accept, fault.drop_after).await?;
    if outcome.dropped {
        if let Some(conn) = conn {
            conn.kill();
        }
        tracing::debug!(upload_id = %upload_id, offset = s.offset, "connection dropped mid-chunk by fault injection");
    }
    if let Some(error) = outcome.error {
        return Err(error);
    }
    finish_or_continue(state, params, &mut s).await
}

/// Answers 200 with the file if all bytes are stored, else 308.
async fn finish_or_continue(state: &AppState, params: &Params, s: &mut Session) -> ApiResult<Response> {
    if s.meta.total != Some(s.offset) {
        return Ok(resume_incomplete(&s.meta.upload_id, s.offset));
    }
    let part = state.sessions.part_path(&s.meta.upload_id);
    let md5 = match s.md5.take() {
        Some(hasher) => hex::encode(hasher.finalize()),
        None => md5_of_file(part.clone()).await?,
    };
    tokio::fs::File::open(&part).await?.sync_all().await?;
    let id = crate::upload::finish(state, &s.meta.planned, part, s.offset, md5).await?;
    s.meta.completed = Some(id.clone());
    state.sessions.save(&s.meta).await?;
    tracing::debug!(upload_id = %s.meta.upload_id, file_id = %id, size = s.offset, "resumable upload completed");
    completed(state, params, &id, s).await
}

async fn completed(state: &AppState, params: &Params, file_id: &str, s: &Session) -> ApiResult<Response> {
    let fields = crate::fields::Selection::from_param(
        params.get("fields"),
        crate::files::DEFAULT_FILE_FIELDS,
        &crate::fields::FILE,
    )?;
    let store = state.store.lock().await;
    let body = crate::files::file_response(state, &store, file_id, &s.meta.initiator, &fields)?;
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    while let Some(Ok(_)) = stream.next().await {}
}

struct Outcome {
    dropped: bool,
    error: Option<ApiError>,
}

/// Streams the chunk into the part file: skips the first `skip` bytes (already stored), stores
/// the next `accept`, discards the rest. Leaves `s.offset` and the part file agreeing.
async fn receive(
    state: &AppState,
    s: &mut Session,
    body: Body,
    len: u64,
    skip: u64,
    accept: u64,
    drop_after: Option<u64>,
) -> ApiResult<Outcome> {
    let part = state.sessions.part_path(&s.meta.upload_id);
    let mut file = tokio::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&part).await?;
    file.set_len(s.offset).await?;
    file.seek(std::io::SeekFrom::Start(s.offset)).await?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let (mut pos, mut stored) = (0u64, 0u64);
    let mut outcome = Outcome { dropped: false, error: None };
    let mut broken = false;
    let mut stream = body.into_data_stream();
    loop {
        // A client that stalls mid-chunk would hold the session's lock forever; Google drops
        // such connections too.
        let frame = match tokio::time::timeout(IDLE_TIMEOUT, stream.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                tracing::debug!(upload_id = %s.meta.upload_id, "chunk body stalled, treating it as a dropped connection");
                broken = true;
                break;
            }
        };
        let Ok(bytes) = frame else {
            broken = true;
            break;
        };
        let frame_len = bytes.len() as u64;
        // The part of this frame that falls in [skip, skip + accept).
        let from = skip.saturating_sub(pos).min(frame_len);
        let to = (skip + accept).saturating_sub(pos).min(frame_len);
        if to > from {
            let slice = &bytes[from as usize..to as usize];
            writer.write_all(slice).await?;
            if let Some(hasher) = s.md5.as_mut() {
                hasher.update(slice);
            }
            stored += to - from;
        }
        pos += frame_len;
        if drop_after.is_some_and(|limit| pos >= limit) {
            outcome.dropped = true;
            break;
        }
        if pos > len {
            outcome.error = Some(ApiError::bad_request("badContent", "The body is longer than its Content-Range."));
            break;
        }
    }
    if !broken && !outcome.dropped && outcome.error.is_none() && pos < len {
        outcome.error = Some(ApiError::bad_request("badContent", "The body is shorter than its Content-Range."));
    }
    writer.flush().await?;
    let complete = s.meta.total.is_some_and(|t| s.offset + stored == t);
    let keep = if outcome.error.is_some() {
        0
    } else if (broken || outcome.dropped) && !complete {
        // Google keeps no partial 256 KiB block of an interrupted chunk (worse case).
        stored / GRANULE * GRANULE
    } else {
        stored
    };
    if keep != stored {
        writer.get_mut().set_len(s.offset + keep).await?;
        if stored > 0 {
            s.md5 = None;
        }
    }
    s.offset += keep;
    Ok(outcome)
}

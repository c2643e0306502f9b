//! `POST /upload/drive/v3/files`: opening a resumable session, and the two simple upload types
//! (`media`: bytes only; `multipart`: metadata and bytes in one `multipart/related` body).
//!
//! The session URI in `Location` is the request's own URL plus `upload_id`, as Google's is, so
//! the flags given when opening (`supportsAllDrives`, `fields`) travel with every chunk.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;

use crate::auth::Caller;
use crate::create::{Content, FileMetadata, PlannedFile, commit, plan};
use crate::error::{ApiError, ApiResult};
use crate::fields::{FILE, Selection};
use crate::files::{DEFAULT_FILE_FIELDS, file_response};
use crate::model::{is_binary_mime, random_hex};
use crate::params::{Params, json_body};
use crate::state::{AppState, SharedState};
use crate::upload_session::SessionMeta;

/// Multipart bodies are buffered (Google recommends them for files up to 5 MB); past this, use
/// a resumable upload.
const MULTIPART_LIMIT: usize = 32 << 20;

/// `POST /upload/drive/v3/files`: a chunk if it carries `upload_id` (some clients, like the
/// `google-drive3` crate, send chunks with POST), otherwise a new upload.
pub(crate) async fn post(State(state): State<SharedState>, request: Request) -> Response {
    let params = Params::parse(request.uri().query());
    if params.get("upload_id").is_some() {
        return crate::upload_chunk::chunk(State(state), request).await;
    }
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    let result = match params.get("uploadType") {
        Some("resumable") => initiate(&state, &caller, &params, &parts.headers, body).await,
        Some("media") => {
            simple(
                &state,
                &caller,
                &params,
                header_str(&parts.headers, header::CONTENT_TYPE),
                FileMetadata::default(),
                body,
            )
            .await
        }
        Some("multipart" | "related") => multipart(&state, &caller, &params, &parts.headers, body).await,
        Some(other) => Err(ApiError::invalid_parameter("uploadType", format!("Invalid upload type: {other}"))),
        None => Err(ApiError::bad_request("required", "Media upload requires the uploadType parameter.")
            .at_parameter("uploadType")),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Opens a resumable session: 200, empty body, the session URI in `Location`.
async fn initiate(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let metadata = axum::body::to_bytes(body, 1 << 20).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "badRequest", "The metadata is larger than 1 MiB.")
    })?;
    let meta: FileMetadata = json_body(&metadata)?;
    let content_type = header_str(headers, "x-upload-content-type");
    let total = match header_str(headers, "x-upload-content-length") {
        None => None,
        Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
            ApiError::bad_request("invalid", format!("Invalid X-Upload-Content-Length: {text}"))
                .at_parameter("X-Upload-Content-Length")
        })?),
    };
    let supports = params.supports_all_drives()?;
    Selection::from_param(params.get("fields"), DEFAULT_FILE_FIELDS, &FILE)?;
    let now = state.clock.now_ms();
    let planned = {
        let mut store = state.store.lock().await;
        let planned =
            plan(&mut store, caller, meta, supports, Some(content_type.as_deref().unwrap_or("")), now).await?;
        store.persist().await?;
        planned
    };
    let upload_id = format!("ADsim{}", random_hex(24));
    let ttl_ms = i64::try_from(state.config.session_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let meta = SessionMeta {
        upload_id: upload_id.clone(),
        planned,
        initiator: caller.email.clone(),
        total,
        created_ms: now,
        expires_ms: now.saturating_add(ttl_ms),
        completed: None,
    };
    state.sessions.create(meta).await?;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params_without_upload_id(params))
        .append_pair("upload_id", &upload_id)
        .finish();
    let location = format!("{}upload/drive/v3/files?{query}", state.base_url);
    tracing::debug!(upload_id = %upload_id, total = ?total, "resumable session opened");
    Ok((
        StatusCode::OK,
        [(header::LOCATION, location), (header::HeaderName::from_static("x-guploader-uploadid"), upload_id)],
    )
        .into_response())
}

fn params_without_upload_id(params: &Params) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = params.pairs().filter(|(k, _)| k != "upload_id").collect();
    pairs.sort();
    pairs
}

/// Stores a completed upload: the part file moves into place, the record joins the index.
/// A text upload converted into a Google Doc keeps its text on disk but has no size or md5.
pub(crate) async fn finish(
    state: &AppState,
    planned: &PlannedFile,
    part: std::path::PathBuf,
    size: u64,
    md5: String,
) -> ApiResult<String> {
    let (size, md5) = if is_binary_mime(&planned.mime_type) { (Some(size), Some(md5)) } else { (None, None) };
    let now = state.clock.now_ms();
    let mut store = state.store.lock().await;
    let id = commit(&mut store, planned, Content::Upload(part), size, md5, now).await?;
    store.persist().await?;
    Ok(id)
}

async fn respond_with_file(state: &AppState, id: &str, caller: &str, params: &Params) -> ApiResult<Response> {
    let fields = Selection::from_param(params.get("fields"), DEFAULT_FILE_FIELDS, &FILE)?;
    let store = state.store.lock().await;
    Ok(axum::Json(file_response(state, &store, id, caller, &fields)?).into_response())
}

/// `uploadType=media` (and the media half of multipart): streams the body into a part file.
async fn simple(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    content_type: Option<String>,
    meta: FileMetadata,
    body: Body,
) -> ApiResult<Response> {
    let supports = params.supports_all_drives()?;
    let planned = {
        let mut store = state.store.lock().await;
        plan(&mut store, caller, meta, supports, Some(content_type.as_deref().unwrap_or("")), state.clock.now_ms())
            .await?
    };
    let part = state.sessions.part_path(&format!("simple-{}", random_hex(12)));
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(&part).await?);
    let (mut hasher, mut size) = (Md5::new(), 0u64);
    let mut stream = body.into_data_stream();
    while let Some(frame) = stream.next().await {
        let Ok(bytes) = frame else {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(ApiError::bad_request("badRequest", "The upload body ended early."));
        };
        hasher.update(&bytes);
        size += bytes.len() as u64;
        file.write_all(&bytes).await?;
    }
    file.flush().await?;
    file.get_ref().sync_all().await?;
    drop(file);
    let id = match finish(state, &planned, part.clone(), size, hex::encode(hasher.finalize())).await {
        Ok(id) => id,
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(e);
        }
    };
    respond_with_file(state, &id, &caller.email, params).await
}

/// `uploadType=multipart`: a `multipart/related` body with the JSON metadata then the media.
async fn multipart(
    state: &AppState,
    caller: &Caller,
    params: &Params,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let content_type = header_str(headers, header::CONTENT_TYPE).unwrap_or_default();
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"').to_owned())
        .ok_or_else(|| {
            ApiError::bad_request("badContent", "A multipart upload needs Content-Type: multipart/related; boundary=…")
        })?;
    let bytes = axum::body::to_bytes(body, MULTIPART_LIMIT).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "uploadTooLarge",
            "Multipart uploads are limited to 32 MiB here: use a resumable upload.",
        )
    })?;
    let parts = crate::multipart::split(&bytes, &boundary)
        .ok_or_else(|| ApiError::bad_request("badContent", "The multipart body has no metadata and media parts."))?;
    let meta: FileMetadata = json_body(parts.metadata)?;
    let media = Body::from(bytes.slice_ref(parts.media));
    simple(state, caller, params, parts.media_type, meta, media).await
}

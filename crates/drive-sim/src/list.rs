//! `files.list`, `about.get` and `drives.list`/`drives.get`.
//!
//! Two Drive habits are kept on purpose: Shared-Drive items appear in a list only with
//! `supportsAllDrives=true&includeItemsFromAllDrives=true`, and trashed items are listed unless
//! the query says `trashed = false`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::access::role_for;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::fields::{ABOUT, FILE_LIST, Schema, Selection};
use crate::list_query::{Candidate, Query};
use crate::model::{FileRecord, Role};
use crate::params::Params;
use crate::render;
use crate::state::SharedState;
use crate::storage::Store;

const DEFAULT_LIST_FIELDS: &str = "kind,nextPageToken,incompleteSearch,files(kind,id,name,mimeType)";

/// Which items a list may return, from `corpora`, `driveId` and the all-drives flags.
struct Scope {
    include_shared_drives: bool,
    only_drive: Option<String>,
}

fn scope(store: &Store, caller: &Caller, params: &Params) -> ApiResult<Scope> {
    let supports = params.supports_all_drives()?;
    let include = params.flag("includeItemsFromAllDrives", &["includeTeamDriveItems"])?;
    let drive_id = params.get("driveId").or_else(|| params.get("teamDriveId")).map(str::to_owned);
    let corpora = params.get("corpora").unwrap_or(if drive_id.is_some() { "drive" } else { "user" });
    match corpora {
        "user" | "domain" | "allDrives" => {}
        "drive" => {
            let Some(drive) = &drive_id else {
                return Err(ApiError::invalid_parameter(
                    "driveId",
                    "The driveId parameter is required when corpora is drive.",
                ));
            };
            if !(supports && include) {
                return Err(ApiError::invalid_parameter(
                    "includeItemsFromAllDrives",
                    "The includeItemsFromAllDrives and supportsAllDrives parameters must be true when driveId is specified.",
                ));
            }
            let member = store
                .get(drive)
                .filter(|r| r.root && r.drive_id.is_some())
                .and_then(|_| role_for(store, &caller.email, drive));
            if member.is_none() {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "notFound",
                    format!("Shared drive not found: {drive}"),
                )
                .at_parameter("driveId"));
            }
        }
        other => return Err(ApiError::invalid_parameter("corpora", format!("Invalid value for corpora: {other}"))),
    }
    if corpora == "allDrives" && !(supports && include) {
        return Err(ApiError::invalid_parameter(
            "includeItemsFromAllDrives",
            "includeItemsFromAllDrives must be true when corpora is allDrives.",
        ));
    }
    Ok(Scope {
        include_shared_drives: supports && include,
        only_drive: (corpora == "drive").then_some(drive_id).flatten(),
    })
}

/// `GET /drive/v3/files`.
pub(crate) async fn list(State(state): State<SharedState>, caller: Caller, params: Params) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let fields = Selection::from_param(params.get("fields"), DEFAULT_LIST_FIELDS, &FILE_LIST)?;
    let query = Query::parse(params.get("q"))?;
    let page_size = params.int("pageSize", 1, 1000)?.unwrap_or(100) as usize;
    let offset = match params.get("pageToken") {
        None => 0,
        Some(token) => decode_page_token(token).ok_or_else(|| {
            ApiError::invalid_parameter("pageToken", "Invalid Value: the page token is not one this server issued.")
        })?,
    };
    let store = state.store.lock().await;
    let scope = scope(&store, &caller, &params)?;
    let mut matches: Vec<&FileRecord> = store
        .index
        .files
        .values()
        .filter(|r| !r.root)
        .filter(|r| match (&r.drive_id, &scope.only_drive) {
            (_, Some(only)) => r.drive_id.as_ref() == Some(only),
            (Some(_), None) => scope.include_shared_drives,
            (None, None) => true,
        })
        .filter(|r| role_for(&store, &caller.email, &r.id).is_some())
        .filter(|r| query.matches(&Candidate { record: r, trashed: store.effectively_trashed(&r.id) }))
        .collect();
    sort(&mut matches, params.get("orderBy"))?;
    let page: Vec<Value> = matches
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|r| render::file(&store, r, &state.base_url, &caller.email))
        .collect();
    let mut out = json!({ "kind": "drive#fileList", "incompleteSearch": false, "files": page });
    if offset.saturating_add(page_size) < matches.len() {
        out["nextPageToken"] = json!(URL_SAFE_NO_PAD.encode(format!("o{}", offset + page_size)));
    }
    Ok(Json(fields.project(&out)))
}

fn decode_page_token(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix('o')?.parse().ok()
}

/// `orderBy`: `folder`, `name`, `createdTime`, `modifiedTime`, each optionally `desc`; creation
/// order otherwise.
fn sort(items: &mut [&FileRecord], order_by: Option<&str>) -> ApiResult<()> {
    let mut keys = Vec::new();
    for part in order_by.unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, desc) = match part.split_once(' ') {
            Some((key, "desc")) => (key, true),
            None => (part, false),
            Some(_) => return Err(ApiError::invalid_parameter("orderBy", format!("Invalid orderBy: {part}"))),
        };
        if !["folder", "name", "name_natural", "createdTime", "modifiedTime"].contains(&key) {
            return Err(ApiError::invalid_parameter("orderBy", format!("The simulator cannot sort by {key}")));
        }
        keys.push((key.to_owned(), desc));
    }
    items.sort_by(|a, b| {
        for (key, desc) in &keys {
            let ordering = match key.as_str() {
                "folder" => b.is_folder().cmp(&a.is_folder()),
                "name" | "name_natural" => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                "createdTime" => a.created_ms.cmp(&b.created_ms),
                _ => a.modified_ms.cmp(&b.modified_ms),
            };
            let ordering = if *desc { ordering.reverse() } else { ordering };
            if ordering.is_ne() {
                return ordering;
            }
        }
        a.seq.cmp(&b.seq)
    });
    Ok(())
}

/// `GET /drive/v3/about`. Drive requires `fields` here.
pub(crate) async fn about(State(state): State<SharedState>, caller: Caller, params: Params) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let Some(fields) = params.get("fields") else {
        return Err(ApiError::bad_request("required", "The 'fields' parameter is required for this method.")
            .at_parameter("fields"));
    };
    let fields = Selection::parse(fields, &ABOUT)?;
    let store = state.store.lock().await;
    let owned = store
        .index
        .files
        .values()
        .filter(|r| r.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(&caller.email)));
    let (mut usage, mut trash) = (0u64, 0u64);
    for record in owned {
        let size = record.size.unwrap_or(0);
        usage += size;
        if store.effectively_trashed(&record.id) {
            trash += size;
        }
    }
    let mut quota = json!({ "usage": usage.to_string(), "usageInDrive": usage.to_string(), "usageInDriveTrash": trash.to_string() });
    // Service accounts have no storage quota (FACTS); a person gets the usual 15 GiB.
    quota["limit"] = json!(if caller.service_account { "0".to_owned() } else { (15u64 << 30).to_string() });
    let out = json!({
        "kind": "drive#about",
        "user": render::user(&caller.email, true),
        "storageQuota": quota,
        "maxUploadSize": "5242880000000",
        "canCreateDrives": !caller.service_account,
        "appInstalled": false,
    });
    Ok(Json(fields.project(&out)))
}

fn drive_json(record: &FileRecord) -> Value {
    json!({ "kind": "drive#drive", "id": record.id, "name": record.name, "createdTime": crate::model::rfc3339_ms(record.created_ms) })
}

/// `GET /drive/v3/drives`: the Shared Drives the caller is a member of.
pub(crate) async fn drives(State(state): State<SharedState>, caller: Caller, params: Params) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let fields = Selection::from_param(params.get("fields"), "kind,nextPageToken,drives", &Schema::Leaf)?;
    let store = state.store.lock().await;
    let drives: Vec<Value> = store
        .index
        .files
        .values()
        .filter(|r| r.root && r.drive_id.is_some())
        .filter(|r| role_for(&store, &caller.email, &r.id).is_some_and(|role| role >= Role::Reader))
        .map(drive_json)
        .collect();
    Ok(Json(fields.project(&json!({ "kind": "drive#driveList", "drives": drives }))))
}

/// `GET /drive/v3/drives/{driveId}`.
pub(crate) async fn drive(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let store = state.store.lock().await;
    store
        .get(&id)
        .filter(|r| r.root && r.drive_id.is_some() && role_for(&store, &caller.email, &id).is_some())
        .map(|r| Json(drive_json(r)))
        .ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "notFound", format!("Shared drive not found: {id}"))
                .at_parameter("driveId")
        })
}

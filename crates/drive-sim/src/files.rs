//! `files.create` (metadata only), `files.get` (metadata or `alt=media`), `files.update` and
//! `files.generateIds`.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{resolve_alias, visible, writable};
use crate::auth::Caller;
use crate::create::{Content, FileMetadata, commit, plan};
use crate::error::{ApiError, ApiResult};
use crate::fields::{FILE, Selection};
use crate::model::{EMPTY_MD5, FOLDER_MIME, is_binary_mime};
use crate::params::{Params, json_body};
use crate::render;
use crate::state::{AppState, SharedState};
use crate::storage::Store;

/// What Drive returns for a file when `fields` is not given.
pub(crate) const DEFAULT_FILE_FIELDS: &str = "kind,id,name,mimeType";

/// Renders one file with the request's `fields`.
pub(crate) fn file_response(
    state: &AppState,
    store: &Store,
    id: &str,
    caller: &str,
    fields: &Selection,
) -> ApiResult<Value> {
    let record = store.get(id).ok_or_else(|| ApiError::file_not_found(id))?;
    Ok(fields.project(&render::file(store, record, &state.base_url, caller)))
}

/// `POST /drive/v3/files`: folders and metadata-only files.
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let meta: FileMetadata = json_body(&body)?;
    let supports = params.supports_all_drives()?;
    let fields = Selection::from_param(params.get("fields"), DEFAULT_FILE_FIELDS, &FILE)?;
    let now = state.clock.now_ms();
    let mut store = state.store.lock().await;
    let planned = plan(&mut store, &caller, meta, supports, None, now).await?;
    let (content, size, md5) = if planned.mime_type == FOLDER_MIME {
        (Content::Folder, None, None)
    } else if is_binary_mime(&planned.mime_type) {
        (Content::Empty, Some(0), Some(EMPTY_MD5.to_owned()))
    } else {
        (Content::Empty, None, None)
    };
    let id = commit(&mut store, &planned, content, size, md5, now).await?;
    store.persist().await?;
    Ok(Json(file_response(&state, &store, &id, &caller.email, &fields)?))
}

/// `GET /drive/v3/files/{fileId}`: metadata, or the bytes with `alt=media`.
pub(crate) async fn get(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    caller.require_read()?;
    let supports = params.supports_all_drives()?;
    let fields = Selection::from_param(params.get("fields"), DEFAULT_FILE_FIELDS, &FILE)?;
    let mut store = state.store.lock().await;
    let id = resolve_alias(&mut store, &caller, &id, state.clock.now_ms()).await?;
    let (record, _) = visible(&store, &caller, &id, supports)?;
    if params.get("alt") != Some("media") {
        return Ok(Json(file_response(&state, &store, &id, &caller.email, &fields)?).into_response());
    }
    if !record.is_binary() {
        return Err(ApiError::forbidden(
            "fileNotDownloadable",
            "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
        )
        .at_parameter("alt"));
    }
    let mime = record.mime_type.clone();
    let path = store.disk_path(&id).ok_or_else(|| ApiError::file_not_found(&id))?;
    drop(store);
    let file = tokio::fs::File::open(&path).await?;
    let length = file.metadata().await?.len();
    // Streamed from disk: downloads of GiB-sized recordings never sit in memory.
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024));
    Ok(([(header::CONTENT_TYPE, mime), (header::CONTENT_LENGTH, length.to_string())], body).into_response())
}

/// The metadata `files.update` can change.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateMetadata {
    name: Option<String>,
    trashed: Option<bool>,
    description: Option<String>,
    app_properties: Option<std::collections::BTreeMap<String, String>>,
}

/// `PATCH /drive/v3/files/{fileId}`: rename, move (`addParents`/`removeParents`), trash.
pub(crate) async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require_write()?;
    let meta: UpdateMetadata = json_body(&body)?;
    let supports = params.supports_all_drives()?;
    let fields = Selection::from_param(params.get("fields"), DEFAULT_FILE_FIELDS, &FILE)?;
    let now = state.clock.now_ms();
    let mut store = state.store.lock().await;
    let record = writable(&store, &caller, &id, supports)?;
    if record.root {
        return Err(ApiError::insufficient_file_permissions(&id));
    }
    let current_parent = record.parent.clone().unwrap_or_default();
    let new_parent = new_parent(&mut store, &caller, &params, &current_parent, supports, now).await?;
    let target_parent = new_parent.clone().unwrap_or_else(|| current_parent.clone());
    if let Some(parent) = &new_parent {
        check_move(&store, &id, parent)?;
    }
    let new_name = meta.name.clone().filter(|n| !n.is_empty());
    if new_name.is_some() || new_parent.is_some() {
        move_on_disk(&mut store, &id, &target_parent, new_name.as_deref()).await?;
    }
    let record = store.get_mut(&id).ok_or_else(|| ApiError::file_not_found(&id))?;
    if let Some(name) = new_name {
        record.name = name;
    }
    record.parent = Some(target_parent);
    if let Some(trashed) = meta.trashed {
        record.trashed = trashed;
    }
    if let Some(description) = meta.description {
        record.description = Some(description);
    }
    if let Some(props) = meta.app_properties {
        record.app_properties.extend(props);
    }
    record.modified_ms = now;
    store.persist().await?;
    Ok(Json(file_response(&state, &store, &id, &caller.email, &fields)?))
}

/// Drive's single-parent model: a move removes the one parent and adds one; adding a second
/// parent is refused (`cannotAddParent`).
async fn new_parent(
    store: &mut Store,
    caller: &Caller,
    params: &Params,
    current: &str,
    supports: bool,
    now: i64,
) -> ApiResult<Option<String>> {
    let add = params.list("addParents");
    let remove = params.list("removeParents");
    if add.is_empty() && remove.is_empty() {
        return Ok(None);
    }
    if add.len() > 1 || (add.len() == 1 && !remove.iter().any(|r| r == current)) {
        return Err(ApiError::forbidden("cannotAddParent", "Increasing the number of parents is not allowed."));
    }
    if let Some(unknown) = remove.iter().find(|r| *r != current) {
        return Err(ApiError::invalid_parameter("removeParents", format!("{unknown} is not a parent of this item.")));
    }
    let Some(target) = add.first() else {
        return Err(ApiError::forbidden(
            "cannotRemoveParent",
            "An item must keep one parent: use addParents with removeParents.",
        ));
    };
    let target = resolve_alias(store, caller, target, now).await?;
    let parent = writable(store, caller, &target, supports)?;
    if !parent.is_folder() {
        return Err(ApiError::invalid_parameter("addParents", format!("The parent {target} is not a folder.")));
    }
    Ok(Some(target))
}

fn check_move(store: &Store, id: &str, target: &str) -> ApiResult<()> {
    if store.chain(target).iter().any(|r| r.id == id) {
        return Err(ApiError::invalid_parameter(
            "addParents",
            "An item cannot be moved into itself or its descendants.",
        ));
    }
    let from = store.get(id).and_then(|r| r.drive_id.clone());
    let to = store.get(target).and_then(|r| r.drive_id.clone());
    if from != to {
        return Err(ApiError::bad_request("badRequest", "The simulator does not move items between drives."));
    }
    Ok(())
}

/// Renames or moves the item's file or directory on disk, then records its new disk name.
async fn move_on_disk(store: &mut Store, id: &str, parent: &str, name: Option<&str>) -> ApiResult<()> {
    let old_path = store.disk_path(id).ok_or_else(|| ApiError::file_not_found(id))?;
    let wanted = name.map(str::to_owned).or_else(|| store.get(id).map(|r| r.name.clone())).unwrap_or_default();
    let disk_name = store.unique_disk_name(Some(parent), &wanted, Some(id));
    let new_path = store.disk_path(parent).ok_or_else(|| ApiError::file_not_found(parent))?.join(&disk_name);
    if new_path != old_path {
        tokio::fs::rename(&old_path, &new_path).await?;
    }
    if let Some(record) = store.get_mut(id) {
        record.disk_name = disk_name;
    }
    Ok(())
}

/// `GET /drive/v3/files/generateIds`: ids a client may use in a later create, which is what
/// makes that create idempotent (a retry gets 409).
pub(crate) async fn generate_ids(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let count = params.int("count", 1, 1000)?.unwrap_or(10);
    let space = params.get("space").unwrap_or("drive");
    if space != "drive" {
        return Err(ApiError::invalid_parameter(
            "space",
            format!("The simulator generates ids for space 'drive', not '{space}'."),
        ));
    }
    let ids: Vec<String> = (0..count).map(|_| crate::model::new_file_id()).collect();
    let mut store = state.store.lock().await;
    store.index.generated_ids.extend(ids.iter().cloned());
    store.persist().await?;
    Ok(Json(json!({ "kind": "drive#generatedIds", "space": "drive", "ids": ids })))
}

//! Creating an item, shared by `files.create` and every upload type: where it may go, who owns
//! it, and the rules Drive enforces before a single byte is stored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::access::{resolve_alias, writable};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::{DOC_MIME, FOLDER_MIME, is_google_native};
use crate::storage::Store;

/// The metadata a client sends with `files.create` or an upload.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileMetadata {
    pub id: Option<String>,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    pub parents: Option<Vec<String>>,
    pub description: Option<String>,
    pub app_properties: Option<BTreeMap<String, String>>,
}

/// A creation that passed every check, waiting for its content (persisted with upload sessions).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlannedFile {
    pub id: String,
    /// The id came from `files.generateIds`, so it is consumed on commit.
    pub client_supplied_id: bool,
    pub name: String,
    pub mime_type: String,
    pub parent: String,
    pub drive_id: Option<String>,
    pub owner: Option<String>,
    pub description: Option<String>,
    pub app_properties: BTreeMap<String, String>,
}

/// What goes on disk for a new item.
pub(crate) enum Content {
    Folder,
    /// A metadata-only file (an empty file on disk, so a person still sees it).
    Empty,
    /// A finished upload to move into place.
    Upload(PathBuf),
}

/// Google's 409 when a client retries a create with an id it already used (FACTS: this is what
/// makes a create idempotent: the retry fails and the client looks up the id).
pub(crate) fn duplicate_id() -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "duplicate", "A file already exists with the provided ID.").at_parameter("id")
}

/// Checks a creation: the id, the parent, the caller's rights and the storage-quota rule.
/// `content_type` is the media's type for uploads (`None` for metadata-only creates).
pub(crate) async fn plan(
    store: &mut Store,
    caller: &Caller,
    meta: FileMetadata,
    supports_all_drives: bool,
    content_type: Option<&str>,
    now_ms: i64,
) -> ApiResult<PlannedFile> {
    caller.require_write()?;
    let client_supplied_id = meta.id.is_some();
    let id = match meta.id {
        Some(id) if store.get(&id).is_some() => return Err(duplicate_id()),
        Some(id) if !store.index.generated_ids.contains(&id) => {
            return Err(ApiError::bad_request("invalid", "The provided file ID is not usable.").at_parameter("id"));
        }
        Some(id) => id,
        None => crate::model::new_file_id(),
    };
    let parents = meta.parents.unwrap_or_default();
    if parents.len() > 1 {
        return Err(ApiError::forbidden("cannotAddParent", "Increasing the number of parents is not allowed."));
    }
    let parent_id = match parents.first() {
        Some(parent) => resolve_alias(store, caller, parent, now_ms).await?,
        None => store.my_drive_root(&caller.email, now_ms).await?,
    };
    let parent = writable(store, caller, &parent_id, supports_all_drives)?;
    if !parent.is_folder() {
        return Err(ApiError::bad_request("invalid", format!("The parent {parent_id} is not a folder."))
            .at_parameter("parents"));
    }
    let mime_type = target_mime(meta.mime_type.as_deref(), content_type)?;
    // FACTS: service accounts have no storage quota. Drive refuses files they would own in a My
    // Drive; folders hold no bytes and are allowed. Designed for the worse case: metadata-only
    // files and Google Docs are refused too.
    if parent.drive_id.is_none() && caller.service_account && mime_type != FOLDER_MIME {
        tracing::debug!(parent = %parent_id, "service account write into my drive refused");
        return Err(ApiError::storage_quota_exceeded());
    }
    Ok(PlannedFile {
        id,
        client_supplied_id,
        name: meta.name.filter(|n| !n.is_empty()).unwrap_or_else(|| "Untitled".to_owned()),
        mime_type,
        drive_id: parent.drive_id.clone(),
        owner: parent.drive_id.is_none().then(|| caller.email.clone()),
        parent: parent_id,
        description: meta.description,
        app_properties: meta.app_properties.unwrap_or_default(),
    })
}

/// The stored mime type: the metadata's, else the media's; uploading text with the Google Docs
/// type converts it into a Doc (FACTS), other conversions are refused.
fn target_mime(requested: Option<&str>, content_type: Option<&str>) -> ApiResult<String> {
    let media = content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
    match (requested, media) {
        (Some(FOLDER_MIME), Some(_)) => {
            Err(ApiError::bad_request("invalid", "A folder cannot have content.").at_parameter("mimeType"))
        }
        (Some(DOC_MIME), Some(media)) if !convertible_to_doc(&media) => Err(ApiError::bad_request(
            "badRequest",
            format!("Conversion of {media} into a Google Docs document is not supported."),
        )),
        (Some(native), Some(_)) if is_google_native(native) && native != DOC_MIME => Err(ApiError::bad_request(
            "badRequest",
            format!("The simulator converts uploads only into {DOC_MIME}, not {native}."),
        )),
        (Some(requested), _) => Ok(requested.to_owned()),
        (None, Some(media)) if !media.is_empty() => Ok(media),
        (None, _) => Ok("application/octet-stream".to_owned()),
    }
}

/// Text converts; an upload without a declared type is given the benefit of the doubt, as
/// Drive sniffs the content.
fn convertible_to_doc(media: &str) -> bool {
    media.is_empty()
        || media.starts_with("text/")
        || media == "application/rtf"
        || media == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        || media == "application/octet-stream"
}

/// Stores a planned item: its record in the index and its directory or bytes on disk. The caller
/// persists the index afterwards.
pub(crate) async fn commit(
    store: &mut Store,
    planned: &PlannedFile,
    content: Content,
    size: Option<u64>,
    md5: Option<String>,
    now_ms: i64,
) -> ApiResult<String> {
    if store.get(&planned.id).is_some() {
        return Err(duplicate_id());
    }
    let parent_path = store.disk_path(&planned.parent).ok_or_else(|| ApiError::file_not_found(&planned.parent))?;
    let disk_name = store.unique_disk_name(Some(&planned.parent), &planned.name, None);
    let path = parent_path.join(&disk_name);
    match content {
        Content::Folder => tokio::fs::create_dir_all(&path).await?,
        Content::Empty => {
            tokio::fs::write(&path, b"").await?;
        }
        Content::Upload(part) => tokio::fs::rename(&part, &path).await?,
    }
    let mut record =
        store.new_record(&planned.id, &planned.name, &planned.mime_type, Some(planned.parent.clone()), now_ms);
    record.drive_id = planned.drive_id.clone();
    record.owner = planned.owner.clone();
    record.disk_name = disk_name;
    record.size = size;
    record.md5 = md5;
    record.description = planned.description.clone();
    record.app_properties = planned.app_properties.clone();
    store.index.files.insert(planned.id.clone(), record);
    if planned.client_supplied_id {
        store.index.generated_ids.remove(&planned.id);
    }
    tracing::debug!(file_id = %planned.id, path = %path.display(), "item created");
    Ok(planned.id.clone())
}

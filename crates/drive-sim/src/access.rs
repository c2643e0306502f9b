//! Who may see and change what, and the 404-not-403 rules that make Drive confusing.
//!
//! Drive hides what a caller may not see behind the same 404 as a missing file. Two cases bite:
//! an item in a Shared Drive requested without `supportsAllDrives=true` (the app "does not support
//! shared drives", so they do not exist for it), and an item the caller has no permission on.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::model::{FileRecord, Role};
use crate::storage::Store;

/// The strongest role `email` has on `id`: ownership, direct permissions, and permissions
/// inherited from every folder above it (a Shared Drive's members are permissions on its root).
pub(crate) fn role_for(store: &Store, email: &str, id: &str) -> Option<Role> {
    let mut best: Option<Role> = None;
    for (depth, record) in store.chain(id).into_iter().enumerate() {
        if record.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(email)) {
            // The owner of a folder can edit what others put in it, but owns only their own items.
            let role = if depth == 0 { Role::Owner } else { Role::Writer };
            best = best.max(Some(role));
        }
        for permission in record.permissions.iter().filter(|p| p.matches(email)) {
            best = best.max(Some(permission.role));
        }
    }
    best
}

/// An item the caller may see, with their role on it — or Drive's 404.
pub(crate) fn visible<'a>(
    store: &'a Store,
    caller: &Caller,
    id: &str,
    supports_all_drives: bool,
) -> ApiResult<(&'a FileRecord, Role)> {
    let record = store.get(id).ok_or_else(|| ApiError::file_not_found(id))?;
    if record.drive_id.is_some() && !supports_all_drives {
        tracing::debug!(file_id = id, "shared drive item requested without supportsAllDrives");
        return Err(ApiError::file_not_found(id));
    }
    let role = role_for(store, &caller.email, id).ok_or_else(|| ApiError::file_not_found(id))?;
    Ok((record, role))
}

/// Like [`visible`], and the caller must be allowed to change the item.
pub(crate) fn writable<'a>(
    store: &'a Store,
    caller: &Caller,
    id: &str,
    supports_all_drives: bool,
) -> ApiResult<&'a FileRecord> {
    let (record, role) = visible(store, caller, id, supports_all_drives)?;
    if role < Role::Writer {
        return Err(ApiError::insufficient_file_permissions(id));
    }
    Ok(record)
}

/// `'root'` is the caller's own My Drive, created on first use.
pub(crate) async fn resolve_alias(store: &mut Store, caller: &Caller, id: &str, now_ms: i64) -> ApiResult<String> {
    if id == "root" { Ok(store.my_drive_root(&caller.email, now_ms).await?) } else { Ok(id.to_owned()) }
}

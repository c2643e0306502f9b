//! Records rendered as Drive's JSON resources (`drive#file`, `drive#permission`, `drive#user`).
//!
//! Each renderer produces the full resource; [`crate::fields::Selection`] then keeps what the
//! request asked for.

use serde_json::{Value, json};

use crate::access::role_for;
use crate::model::{FileRecord, Grantee, PermissionRecord, Role, permission_id_for, rfc3339_ms};
use crate::storage::Store;

/// A `drive#user` for an e-mail address.
pub(crate) fn user(email: &str, me: bool) -> Value {
    let display = email.split('@').next().unwrap_or(email);
    json!({
        "kind": "drive#user",
        "displayName": display,
        "emailAddress": email,
        "permissionId": permission_id_for(email),
        "me": me,
    })
}

/// The full `drive#file` resource as `caller` sees it.
pub(crate) fn file(store: &Store, record: &FileRecord, base_url: &str, caller: &str) -> Value {
    let mut out = json!({
        "kind": "drive#file",
        "id": record.id,
        "name": record.name,
        "mimeType": record.mime_type,
        "trashed": store.effectively_trashed(&record.id),
        "explicitlyTrashed": record.trashed,
        "createdTime": rfc3339_ms(record.created_ms),
        "modifiedTime": rfc3339_ms(record.modified_ms),
        "spaces": ["drive"],
        "starred": false,
        "version": record.modified_ms.to_string(),
    });
    if let Some(parent) = &record.parent {
        out["parents"] = json!([parent]);
    }
    if let Some(drive) = &record.drive_id {
        out["driveId"] = json!(drive);
        out["teamDriveId"] = json!(drive);
    }
    // FACTS: size and md5Checksum exist only for binary files (never folders or Google Docs).
    if record.is_binary() {
        let size = record.size.unwrap_or(0);
        out["size"] = json!(size.to_string());
        out["quotaBytesUsed"] = json!(size.to_string());
        if let Some(md5) = &record.md5 {
            out["md5Checksum"] = json!(md5);
        }
        out["originalFilename"] = json!(record.name);
        if let Some((_, ext)) = record.name.rsplit_once('.') {
            out["fileExtension"] = json!(ext);
            out["fullFileExtension"] = json!(ext);
        }
        out["webContentLink"] = json!(format!("{base_url}uc?id={}&export=download", record.id));
    }
    if let Some(description) = &record.description {
        out["description"] = json!(description);
    }
    if !record.app_properties.is_empty() {
        out["appProperties"] = json!(record.app_properties);
    }
    let link = if record.is_folder() {
        format!("{base_url}drive/folders/{}", record.id)
    } else {
        format!("{base_url}file/d/{}/view?usp=drivesdk", record.id)
    };
    out["webViewLink"] = json!(link);
    if let Some(owner) = &record.owner {
        let me = owner.eq_ignore_ascii_case(caller);
        out["owners"] = json!([user(owner, me)]);
        out["ownedByMe"] = json!(me);
    }
    let permissions = effective_permissions(store, record);
    out["shared"] = json!(permissions.iter().any(|(p, _)| p.role != Role::Owner));
    out["permissionIds"] = json!(permissions.iter().map(|(p, _)| p.id.clone()).collect::<Vec<_>>());
    // Drive does not populate `permissions` on Shared-Drive items; use permissions.list there.
    if record.drive_id.is_none() {
        let rendered: Vec<Value> = permissions.iter().map(|(p, from)| permission(p, from.as_deref(), None)).collect();
        out["permissions"] = json!(rendered);
    }
    let role = role_for(store, caller, &record.id);
    let can_edit = role.is_some_and(|r| r >= Role::Writer);
    out["capabilities"] = json!({
        "canEdit": can_edit,
        "canShare": can_edit,
        "canAddChildren": can_edit && record.is_folder(),
        "canTrash": can_edit,
        "canDownload": role.is_some(),
    });
    out
}

/// Every permission that applies to `record`: its owner, its own, and those inherited from the
/// folders above it (with the id of the item each was inherited from).
pub(crate) fn effective_permissions(store: &Store, record: &FileRecord) -> Vec<(PermissionRecord, Option<String>)> {
    let mut out: Vec<(PermissionRecord, Option<String>)> = Vec::new();
    if let Some(owner) = &record.owner
        && !record.root
    {
        out.push((crate::storage::user_permission(owner, Role::Owner), None));
    }
    for (depth, item) in store.chain(&record.id).into_iter().enumerate() {
        // A My-Drive root's owner is implicit and not shared down.
        let inherited_from = (depth > 0).then(|| item.id.clone());
        for p in &item.permissions {
            match out.iter_mut().find(|(existing, _)| existing.id == p.id) {
                Some((existing, _)) if existing.role >= p.role => {}
                Some(slot) => *slot = (p.clone(), inherited_from.clone()),
                None => out.push((p.clone(), inherited_from.clone())),
            }
        }
    }
    out
}

/// A `drive#permission`. `shared_drive` (the item's drive) adds `permissionDetails`, which only
/// Shared-Drive items have: drive members show as `member` permissions inherited from the drive.
pub(crate) fn permission(p: &PermissionRecord, inherited_from: Option<&str>, shared_drive: Option<&str>) -> Value {
    let mut out = json!({
        "kind": "drive#permission",
        "id": p.id,
        "type": p.grantee.as_str(),
        "role": p.role.as_str(),
        "deleted": false,
    });
    if let Some(email) = &p.email {
        out["emailAddress"] = json!(email);
        out["displayName"] = json!(email.split('@').next().unwrap_or(email));
    }
    if let Some(domain) = &p.domain {
        out["domain"] = json!(domain);
        out["displayName"] = json!(domain);
    }
    if matches!(p.grantee, Grantee::Domain | Grantee::Anyone) {
        out["allowFileDiscovery"] = json!(p.allow_file_discovery);
    }
    if let Some(drive) = shared_drive {
        let member = inherited_from == Some(drive);
        let mut detail = json!({
            "permissionType": if member { "member" } else { "file" },
            "role": p.role.as_str(),
            "inherited": inherited_from.is_some(),
        });
        if let Some(from) = inherited_from {
            detail["inheritedFrom"] = json!(from);
        }
        out["permissionDetails"] = json!([detail]);
    }
    out
}

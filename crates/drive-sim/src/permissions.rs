//! `permissions.create` and `permissions.list`.
//!
//! Sharing a second time with the same person (or domain, or anyone) does not add a twin: Drive
//! keeps one permission per grantee and the last role written wins (FACTS: concurrent changes on
//! one file are not supported — the last wins). `anyone` can be refused by the organisation's
//! policy; the exact reason Google uses for that varies by policy, the simulator answers 403
//! `publishOutNotPermitted`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::{visible, writable};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::fields::{PERMISSION, PERMISSION_LIST, Selection};
use crate::model::{Grantee, PermissionRecord, Role, permission_id_for};
use crate::params::{Params, json_body};
use crate::render;
use crate::state::SharedState;
use crate::storage::Notification;

/// The body of `permissions.create`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewPermission {
    #[serde(rename = "type")]
    grantee: Option<String>,
    role: Option<String>,
    email_address: Option<String>,
    domain: Option<String>,
    allow_file_discovery: Option<bool>,
}

fn required(field: &str) -> ApiError {
    ApiError::bad_request("required", format!("The permission {field} field is required."))
        .at_parameter(&format!("permission.{field}"))
}

/// Turns the request into a permission record, or a 400 naming the offending field.
fn validate(body: NewPermission, in_shared_drive: bool) -> ApiResult<PermissionRecord> {
    let grantee_text = body.grantee.ok_or_else(|| required("type"))?;
    let grantee = Grantee::parse(&grantee_text).ok_or_else(|| {
        ApiError::bad_request("invalid", format!("Invalid permission type: {grantee_text}"))
            .at_parameter("permission.type")
    })?;
    let role_text = body.role.ok_or_else(|| required("role"))?;
    let role = Role::parse(&role_text).ok_or_else(|| {
        ApiError::bad_request("invalid", format!("Invalid permission role: {role_text}"))
            .at_parameter("permission.role")
    })?;
    if role == Role::Owner {
        return Err(ApiError::forbidden(
            "forbidden",
            "The transferOwnership parameter must be enabled when the permission role is 'owner'. \
             (The simulator does not transfer ownership.)",
        ));
    }
    if matches!(role, Role::Organizer | Role::FileOrganizer) && !in_shared_drive {
        return Err(ApiError::bad_request(
            "invalidSharingRequest",
            format!("The role {role_text} exists only for items in shared drives."),
        ));
    }
    let (id, email, domain) = match grantee {
        Grantee::User | Grantee::Group => {
            let email = body.email_address.filter(|e| !e.is_empty()).ok_or_else(|| required("emailAddress"))?;
            if !email.contains('@') {
                return Err(ApiError::bad_request("invalid", format!("Invalid email address: {email}"))
                    .at_parameter("permission.emailAddress"));
            }
            (permission_id_for(&email), Some(email), None)
        }
        Grantee::Domain => {
            let domain = body.domain.filter(|d| !d.is_empty()).ok_or_else(|| required("domain"))?;
            (format!("{}d", permission_id_for(&domain)), None, Some(domain))
        }
        Grantee::Anyone => {
            let id = if body.allow_file_discovery.unwrap_or(false) { "anyone" } else { "anyoneWithLink" };
            (id.to_owned(), None, None)
        }
    };
    Ok(PermissionRecord {
        id,
        grantee,
        role,
        email,
        domain,
        allow_file_discovery: body.allow_file_discovery.unwrap_or(false),
    })
}

/// `POST /drive/v3/files/{fileId}/permissions`.
pub(crate) async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require_write()?;
    let body: NewPermission = json_body(&body)?;
    let supports = params.supports_all_drives()?;
    let fields = Selection::from_param(params.get("fields"), "kind,id,type,role", &PERMISSION)?;
    // Drive notifies users and groups unless told not to.
    let notify = params.get("sendNotificationEmail").is_none_or(|v| v == "true");
    let mut store = state.store.lock().await;
    let record = writable(&store, &caller, &id, supports)?;
    let drive = record.drive_id.clone();
    let permission = validate(body, drive.is_some())?;
    if permission.grantee == Grantee::Anyone && state.config.refuse_anyone_permissions {
        tracing::debug!(file_id = %id, "anyone permission refused by policy");
        return Err(ApiError::forbidden(
            "publishOutNotPermitted",
            "The organisation's sharing policy does not allow sharing with anyone.",
        )
        .at_parameter("permission.type"));
    }
    let now = state.clock.now_ms();
    let record = store.get_mut(&id).ok_or_else(|| ApiError::file_not_found(&id))?;
    match record.permissions.iter_mut().find(|p| p.id == permission.id) {
        Some(existing) => *existing = permission.clone(),
        None => record.permissions.push(permission.clone()),
    }
    record.modified_ms = now;
    if notify && let (Grantee::User | Grantee::Group, Some(email)) = (permission.grantee, &permission.email) {
        store.index.notifications.push(Notification {
            file_id: id.clone(),
            email: email.clone(),
            role: permission.role.as_str().to_owned(),
            at_ms: now,
        });
    }
    store.persist().await?;
    let inherited = (drive.as_deref() == Some(id.as_str())).then_some(id.as_str());
    Ok(Json(fields.project(&render::permission(&permission, inherited, drive.as_deref()))))
}

/// `GET /drive/v3/files/{fileId}/permissions`: the owner, direct and inherited permissions
/// (Shared-Drive members appear as inherited `member` permissions).
pub(crate) async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.require_read()?;
    let supports = params.supports_all_drives()?;
    let fields = Selection::from_param(
        params.get("fields"),
        "kind,nextPageToken,permissions(kind,id,type,role)",
        &PERMISSION_LIST,
    )?;
    let page_size = params.int("pageSize", 1, 100)?.unwrap_or(100) as usize;
    let offset: usize = match params.get("pageToken") {
        None => 0,
        Some(token) => {
            token.parse().map_err(|_| ApiError::invalid_parameter("pageToken", "Invalid Value: unknown page token."))?
        }
    };
    let store = state.store.lock().await;
    let (record, _) = visible(&store, &caller, &id, supports)?;
    let drive = record.drive_id.as_deref();
    let all: Vec<Value> = render::effective_permissions(&store, record)
        .iter()
        .map(|(p, from)| {
            // On a drive's root, its members are the drive's own `member` permissions.
            let from = from.as_deref().or((drive == Some(id.as_str())).then_some(id.as_str()));
            render::permission(p, from, drive)
        })
        .collect();
    let page: Vec<Value> = all.iter().skip(offset).take(page_size).cloned().collect();
    let mut out = json!({ "kind": "drive#permissionList", "permissions": page });
    if offset.saturating_add(page_size) < all.len() {
        out["nextPageToken"] = json!((offset + page_size).to_string());
    }
    Ok(Json(fields.project(&out)))
}

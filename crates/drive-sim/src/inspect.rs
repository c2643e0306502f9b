//! What tests and people can see and steer: the tree with permissions, upload sessions, the
//! request log, faults, the clock, key files. Served under `/_sim/…` (no token needed: the
//! simulator listens on loopback) and mirrored by methods on [`crate::DriveSim`].

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::faults::{FaultLabel, FaultRule};
use crate::model::{FileRecord, rfc3339_ms};
use crate::params::Params;
use crate::state::SharedState;
use crate::storage::Store;

/// One request as the simulator saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestRecord {
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    /// The faults applied, if any (`"server_error 503"`, `"partial_chunk 262144"`, …).
    pub fault: Option<String>,
    pub millis: u64,
}

/// The last requests, oldest first.
pub(crate) struct RequestLog {
    entries: std::sync::Mutex<VecDeque<RequestRecord>>,
    capacity: usize,
}

impl RequestLog {
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog { entries: std::sync::Mutex::new(VecDeque::new()), capacity: capacity.max(1) }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<RequestRecord>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, record: RequestRecord) {
        let mut entries = self.entries();
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(record);
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.entries().iter().cloned().collect()
    }
}

/// Middleware recording every API request (not the `/_sim` ones). Tokens are never recorded:
/// only method, path, query and outcome.
pub(crate) async fn record(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(redact_query);
    if path.starts_with("/_sim") {
        return next.run(request).await;
    }
    let started = Instant::now();
    let response = next.run(request).await;
    state.log.push(RequestRecord {
        at: rfc3339_ms(state.clock.now_ms()),
        method,
        path,
        query,
        status: response.status().as_u16(),
        fault: response.extensions().get::<FaultLabel>().map(|l| l.0.clone()),
        millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    });
    response
}

/// Google also accepts `?access_token=`: keep its value out of the log.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| if pair.starts_with("access_token=") { "access_token=[redacted]" } else { pair })
        .collect::<Vec<_>>()
        .join("&")
}

/// A permission as the tree shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PermissionView {
    pub id: String,
    #[serde(rename = "type")]
    pub grantee: String,
    pub role: String,
    pub email: Option<String>,
    pub domain: Option<String>,
}

/// One item of the tree: a Shared Drive, a My Drive, a folder or a file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TreeNode {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    /// `shared_drive`, `my_drive`, `folder` or `file`.
    pub kind: String,
    /// Where it is, relative to `<data>/drive/`.
    pub disk_path: String,
    pub size: Option<u64>,
    pub md5: Option<String>,
    pub trashed: bool,
    pub owner: Option<String>,
    /// Direct permissions (drive members on a Shared Drive's root).
    pub permissions: Vec<PermissionView>,
    pub children: Vec<TreeNode>,
}

impl TreeNode {
    /// Depth-first search by name (the node itself included).
    pub fn find(&self, name: &str) -> Option<&TreeNode> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// Every node named `name` under and including this one (twins!).
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a TreeNode>) {
        if self.name == name {
            out.push(self);
        }
        for child in &self.children {
            child.find_all(name, out);
        }
    }
}

/// The whole tree, Shared Drives first.
pub(crate) fn tree(store: &Store) -> Vec<TreeNode> {
    let mut children: HashMap<&str, Vec<&FileRecord>> = HashMap::new();
    for record in store.index.files.values() {
        if let Some(parent) = &record.parent {
            children.entry(parent.as_str()).or_default().push(record);
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|r| r.seq);
    }
    let mut roots: Vec<&FileRecord> = store.index.files.values().filter(|r| r.root).collect();
    roots.sort_by_key(|r| (r.drive_id.is_none(), r.seq));
    roots.iter().map(|r| node(store, r, &children, 0)).collect()
}

fn node(store: &Store, record: &FileRecord, children: &HashMap<&str, Vec<&FileRecord>>, depth: usize) -> TreeNode {
    let kind = match (record.root, record.drive_id.is_some(), record.is_folder()) {
        (true, true, _) => "shared_drive",
        (true, false, _) => "my_drive",
        (false, _, true) => "folder",
        (false, _, false) => "file",
    };
    let disk_path = store
        .disk_path(&record.id)
        .and_then(|p| p.strip_prefix(&store.drive_dir).ok().map(|p| p.display().to_string()))
        .unwrap_or_default();
    let kids = if depth < 64 { children.get(record.id.as_str()).cloned().unwrap_or_default() } else { Vec::new() };
    TreeNode {
        id: record.id.clone(),
        name: record.name.clone(),
        mime_type: record.mime_type.clone(),
        kind: kind.to_owned(),
        disk_path,
        size: record.size,
        md5: record.md5.clone(),
        trashed: record.trashed,
        owner: record.owner.clone(),
        permissions: record
            .permissions
            .iter()
            .map(|p| PermissionView {
                id: p.id.clone(),
                grantee: p.grantee.as_str().to_owned(),
                role: p.role.as_str().to_owned(),
                email: p.email.clone(),
                domain: p.domain.clone(),
            })
            .collect(),
        children: kids.into_iter().map(|c| node(store, c, children, depth + 1)).collect(),
    }
}

#[derive(Debug, Deserialize)]
struct ClockAdvance {
    advance_secs: u64,
}

#[derive(Debug, Default, Deserialize)]
struct KeyRequest {
    email: Option<String>,
}

/// The `/_sim` routes.
pub(crate) fn routes() -> Router<SharedState> {
    Router::new()
        .route("/_sim/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route(
            "/_sim/tree",
            get(|State(state): State<SharedState>| async move { Json(tree(&*state.store.lock().await)) }),
        )
        .route(
            "/_sim/uploads",
            get(|State(state): State<SharedState>| async move { Json(state.sessions.infos().await) }),
        )
        .route("/_sim/requests", get(|State(state): State<SharedState>| async move { Json(state.log.snapshot()) }))
        .route(
            "/_sim/notifications",
            get(|State(state): State<SharedState>| async move {
                Json(state.store.lock().await.index.notifications.clone())
            }),
        )
        .route("/_sim/faults", get(list_faults).post(add_faults).delete(clear_faults))
        .route("/_sim/clock", post(advance_clock))
        .route("/_sim/service-account-key", post(new_key))
}

async fn list_faults(State(state): State<SharedState>) -> Json<Vec<FaultRule>> {
    Json(state.faults.list())
}

/// Accepts one rule or a list of rules.
async fn add_faults(State(state): State<SharedState>, body: axum::body::Bytes) -> ApiResult<Json<Vec<FaultRule>>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<FaultRule>),
        One(FaultRule),
    }
    let rules = match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::Many(rules)) => rules,
        Ok(OneOrMany::One(rule)) => vec![rule],
        Err(e) => {
            return Err(ApiError::bad_request("parseError", format!("Not a fault rule (or a list of them): {e}")));
        }
    };
    for rule in rules {
        tracing::info!(rule = ?rule, "fault rule added");
        state.faults.add(rule);
    }
    Ok(Json(state.faults.list()))
}

async fn clear_faults(State(state): State<SharedState>) -> Json<Vec<FaultRule>> {
    state.faults.clear();
    Json(Vec::new())
}

async fn advance_clock(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> ApiResult<Json<serde_json::Value>> {
    let advance: ClockAdvance = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("parseError", format!("Expected {{\"advance_secs\": n}}: {e}")))?;
    state.clock.advance(Duration::from_secs(advance.advance_secs));
    Ok(Json(json!({ "now": rfc3339_ms(state.clock.now_ms()) })))
}

/// A fresh key file for a configured service account (`{"email": …}`, default the first).
async fn new_key(State(state): State<SharedState>, params: Params, body: axum::body::Bytes) -> ApiResult<Response> {
    let request: KeyRequest = crate::params::json_body(&body)?;
    let email = request
        .email
        .or_else(|| params.get("email").map(str::to_owned))
        .or_else(|| state.config.service_accounts.first().map(|sa| sa.email.clone()))
        .ok_or_else(|| ApiError::bad_request("invalid", "No service account is configured."))?;
    if state.config.service_account(&email).is_none() {
        return Err(ApiError::bad_request("invalid", format!("{email} is not a configured service account."))
            .at_parameter("email"));
    }
    let key = crate::token::create_key(&state, &email).await?;
    Ok(Json(key).into_response())
}

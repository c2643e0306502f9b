//! The users of the simulated account. A `userId` in a path is a user id or an e-mail; `me` means
//! "the token's user", which a Server-to-Server token does not have, so Zoom answers 1001 for it.
//! [`api`] serves `GET /users/{userId}` and its settings; [`settings`] holds the settings model.

pub(crate) mod api;
pub(crate) mod settings;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::clock::zoom_time;
use crate::error::ApiError;
use crate::ids;
use crate::store::{Store, User};

/// Finds the user a `{userId}` path segment names, provisioning an e-mail when `provision` allows.
pub(crate) fn resolve(store: &mut Store, user_ref: &str, provision: bool) -> Result<User, ApiError> {
    if user_ref.eq_ignore_ascii_case("me") {
        return Err(ApiError::UserNotFound(user_ref.to_string()));
    }
    if let Some(user) = store.users.get(user_ref) {
        return Ok(user.clone());
    }
    if !ids::is_email(user_ref) {
        return Err(ApiError::UserNotFound(user_ref.to_string()));
    }
    if let Some(user) = store.user_by_email(user_ref) {
        return Ok(user.clone());
    }
    if !provision {
        return Err(ApiError::UserNotFound(user_ref.to_string()));
    }
    Ok(add(store, user_ref, 0))
}

/// Adds a user with a fresh id (or returns the one already there), named after the e-mail's local
/// part (`oleg.ivanov@…` is Oleg Ivanov), licensed and active.
pub(crate) fn add(store: &mut Store, email: &str, now_ms: i64) -> User {
    if let Some(user) = store.user_by_email(email) {
        return user.clone();
    }
    let name = display_name(email);
    let (first_name, last_name) = match name.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (name.clone(), String::new()),
    };
    let user = User {
        id: ids::user_id(),
        email: email.to_ascii_lowercase(),
        first_name,
        last_name,
        kind: 2,
        timezone: String::new(),
        status: "active".into(),
        created_at_ms: now_ms,
        settings: serde_json::Map::new(),
    };
    store.users.insert(user.id.clone(), user.clone());
    tracing::debug!(user_id = %user.id, "user provisioned");
    user
}

/// A display name made from an e-mail's local part: `anna.smirnova@…` gives "Anna Smirnova".
pub(crate) fn display_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The user's full name as Zoom shows it.
pub(crate) fn full_name(user: &User) -> String {
    format!("{} {}", user.first_name, user.last_name).trim().to_string()
}

/// A stable ten-digit personal meeting id for the user.
fn pmi(user: &User) -> i64 {
    let digest = Sha256::digest(user.id.as_bytes());
    let n = u64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
    1_000_000_000 + (n % 8_999_999_999) as i64
}

/// `GET /users/{userId}` in Zoom's shape.
pub(crate) fn user_json(user: &User, default_timezone: &str, account_id: &str, base_url: &str) -> Value {
    let pmi = pmi(user);
    let timezone = if user.timezone.is_empty() { default_timezone } else { &user.timezone };
    json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": full_name(user),
        "email": user.email,
        "type": user.kind,
        "role_name": "Member",
        "pmi": pmi,
        "use_pmi": false,
        "personal_meeting_url": format!("{base_url}/j/{pmi}"),
        "timezone": timezone,
        "verified": 1,
        "dept": "",
        "created_at": zoom_time(user.created_at_ms),
        "user_created_at": zoom_time(user.created_at_ms),
        "language": "en-US",
        "phone_number": "",
        "status": user.status,
        "role_id": "2",
        "account_id": account_id,
        "group_ids": [],
        "login_types": [100],
    })
}

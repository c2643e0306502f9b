//! The users of the simulated account. A `userId` in a path is a user id or an e-mail; `me` means
//! "the token's user", which a Server-to-Server token does not have, so Zoom answers 1001 for it.

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
    Ok(add(store, user_ref))
}

/// Adds a user with a fresh id (or returns the one already there).
pub(crate) fn add(store: &mut Store, email: &str) -> User {
    if let Some(user) = store.user_by_email(email) {
        return user.clone();
    }
    let user = User { id: ids::user_id(), email: email.to_ascii_lowercase() };
    store.users.insert(user.id.clone(), user.clone());
    tracing::debug!(user_id = %user.id, "user provisioned");
    user
}

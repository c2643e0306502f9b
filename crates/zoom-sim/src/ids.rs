//! Identifiers the way Zoom shapes them, and the path rule for meeting uuids.
//!
//! Meeting ids are int64 of 10–11 digits. Meeting uuids are 24 base64 characters ending in `==`
//! and may contain `/` and `+`. Zoom's front end collapses `//` and a leading `/`, so a uuid that
//! starts with `/` or contains `//` must be percent-encoded **twice** in a path; single-encoded it
//! answers 404 "Meeting does not exist". Any uuid may be double-encoded.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use percent_encoding::percent_decode_str;
use rand::Rng;

use crate::error::ApiError;

/// A new meeting id: 10 or 11 digits, as Zoom's are.
pub(crate) fn meeting_id() -> i64 {
    rand::rng().random_range(1_000_000_000..=99_999_999_999)
}

/// The `n`th uuid the simulator makes (counting from 1). Every `every`th one starts with `/` or
/// contains `//` (alternately) so clients meet the double-encoding rule; the others have no `/`.
pub(crate) fn meeting_uuid(n: u64, every: u32) -> String {
    let bytes: [u8; 16] = rand::rng().random();
    // 16 bytes give 22 significant characters and "==".
    let mut chars: Vec<char> = STANDARD.encode(bytes).replace('/', "+").chars().collect();
    if every > 0 && n > 0 && n.is_multiple_of(u64::from(every)) {
        if (n / u64::from(every)) % 2 == 1 {
            chars[0] = '/';
        } else {
            chars[8] = '/';
            chars[9] = '/';
        }
    }
    chars.into_iter().collect()
}

/// Whether a uuid needs double percent-encoding in a path.
pub fn needs_double_encoding(uuid: &str) -> bool {
    uuid.starts_with('/') || uuid.contains("//")
}

/// A random URL-safe token with `prefix`, e.g. for access and download tokens.
pub(crate) fn token(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A Zoom-looking user id (22 URL-safe characters).
pub(crate) fn user_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes).replace(['-', '_'], "x")
}

/// A meeting passcode: six letters and digits.
pub(crate) fn passcode() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// What a `{meetingId}` path segment names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MeetingRef {
    Id(i64),
    Uuid(String),
}

/// Reads a `{meetingId}` path segment that the router has percent-decoded once.
///
/// A value that still starts with `/` or contains `//` after one decoding was encoded only once:
/// Zoom answers 404 for it. A value that still holds `%` was encoded twice and is decoded again.
pub(crate) fn meeting_ref(decoded_once: &str) -> Result<MeetingRef, ApiError> {
    if needs_double_encoding(decoded_once) {
        return Err(ApiError::MeetingNotFound(decoded_once.to_string()));
    }
    let value = if decoded_once.contains('%') {
        percent_decode_str(decoded_once).decode_utf8_lossy().into_owned()
    } else {
        decoded_once.to_string()
    };
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i64>() {
            Ok(id) => Ok(MeetingRef::Id(id)),
            Err(_) => Err(ApiError::MeetingNotFound(value)),
        };
    }
    Ok(MeetingRef::Uuid(value))
}

/// A loose e-mail check, enough to tell an e-mail `userId` from a user id.
pub(crate) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_third_uuid_needs_double_encoding_and_the_others_have_no_slash() {
        for n in 1..=60u64 {
            let uuid = meeting_uuid(n, 3);
            assert_eq!(uuid.len(), 24, "{uuid}");
            assert!(uuid.ends_with("=="), "{uuid}");
            assert!(STANDARD.decode(&uuid).is_ok(), "{uuid}");
            assert_eq!(needs_double_encoding(&uuid), n % 3 == 0, "{n}: {uuid}");
            if n % 3 != 0 {
                assert!(!uuid.contains('/'));
            }
        }
    }

    #[test]
    fn a_single_encoded_slash_uuid_is_refused_and_a_double_encoded_one_is_read() {
        assert!(meeting_ref("/abc==").is_err());
        assert!(meeting_ref("ab//c==").is_err());
        assert_eq!(meeting_ref("%2Fabc%3D%3D").ok(), Some(MeetingRef::Uuid("/abc==".into())));
        assert_eq!(meeting_ref("ab/c==").ok(), Some(MeetingRef::Uuid("ab/c==".into())));
        assert_eq!(meeting_ref("84512390771").ok(), Some(MeetingRef::Id(84512390771)));
    }
}

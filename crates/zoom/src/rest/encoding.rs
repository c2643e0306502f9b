//! Meeting ids and uuids in URL paths.
//!
//! A uuid may contain `/`, `+` and `=`. Zoom's front end collapses `//` and a leading `/` before
//! routing, so a uuid that starts with `/` or contains `//` must be percent-encoded **twice**
//! (`/` → `%2F` → `%252F`), or Zoom answers 404. Other uuids are encoded once.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Whether Zoom needs `uuid` double-encoded in a path.
pub fn needs_double_encoding(uuid: &str) -> bool {
    uuid.starts_with('/') || uuid.contains("//")
}

/// `value` (a meeting id, uuid, user id or e-mail) as one path segment.
pub fn encode_path_segment(value: &str) -> String {
    let once = utf8_percent_encode(value, SEGMENT).to_string();
    if needs_double_encoding(value) { utf8_percent_encode(&once, SEGMENT).to_string() } else { once }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_with_a_leading_slash_or_double_slash_is_encoded_twice() {
        assert_eq!(encode_path_segment("/ajXp112QmuoKj4854875=="), "%252FajXp112QmuoKj4854875%253D%253D");
        assert_eq!(encode_path_segment("ab//cd=="), "ab%252F%252Fcd%253D%253D");
    }

    #[test]
    fn other_uuids_and_ids_are_encoded_once() {
        assert_eq!(encode_path_segment("4444AAAiAAAAAiAiAiiAii=="), "4444AAAiAAAAAiAiAiiAii%3D%3D");
        assert_eq!(encode_path_segment("a/b+c=="), "a%2Fb%2Bc%3D%3D");
        assert_eq!(encode_path_segment("84512390771"), "84512390771");
        assert_eq!(encode_path_segment("o.ivanov@butterboard.online"), "o.ivanov%40butterboard.online");
    }
}

//! Just enough `multipart/related` for Drive's multipart upload: a JSON metadata part, then the
//! media part with its own `Content-Type`.

/// The two parts of a multipart upload, borrowed from the body.
pub(crate) struct Parts<'a> {
    pub metadata: &'a [u8],
    pub media: &'a [u8],
    pub media_type: Option<String>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..].windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// A part's headers, names lowercased.
type Headers = Vec<(String, String)>;

/// One part: its headers and its body.
fn part(body: &[u8]) -> Option<(Headers, &[u8])> {
    let body = body.strip_prefix(b"\r\n").unwrap_or(body);
    let split = find(body, b"\r\n\r\n", 0)?;
    let headers = std::str::from_utf8(&body[..split])
        .ok()?
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((headers, &body[split + 4..]))
}

/// Splits `body` at `boundary`; `None` unless there are at least two parts.
pub(crate) fn split<'a>(body: &'a [u8], boundary: &str) -> Option<Parts<'a>> {
    let delimiter = format!("--{boundary}");
    let closing = format!("\r\n--{boundary}");
    let mut start = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    let mut parts = Vec::new();
    while parts.len() < 2 {
        let end = find(body, closing.as_bytes(), start)?;
        parts.push(part(&body[start..end])?);
        start = end + closing.len();
    }
    let mut parts = parts.into_iter();
    let (_, metadata) = parts.next()?;
    let (media_headers, media) = parts.next()?;
    let media_type = media_headers.into_iter().find(|(k, _)| k == "content-type").map(|(_, v)| v);
    Some(Parts { metadata, media, media_type })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drive_multipart_body_splits_into_metadata_and_media() {
        let body = b"--xyz\r\nContent-Type: application/json\r\n\r\n{\"name\":\"a.txt\"}\r\n--xyz\r\nContent-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n";
        let parts = split(body, "xyz").expect("two parts");
        assert_eq!(parts.metadata, b"{\"name\":\"a.txt\"}");
        assert_eq!(parts.media, b"hello");
        assert_eq!(parts.media_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn a_body_without_the_media_part_is_refused() {
        assert!(split(b"--xyz\r\nContent-Type: application/json\r\n\r\n{}\r\n--xyz--", "xyz").is_none());
    }
}

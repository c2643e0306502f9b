//! Zoom's paging: `page_size` (default 30, at most 300) and an opaque `next_page_token`, empty on
//! the last page. A token Zoom does not recognise is code 300 "The next page token is invalid or
//! expired."; the simulator's tokens are the offset, opaque to clients.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::error::ApiError;

/// The page a request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    pub size: usize,
    pub offset: usize,
}

/// Reads `page_size` and `next_page_token` from a query.
pub(crate) fn request(query: &HashMap<String, String>) -> Result<PageRequest, ApiError> {
    let size = match query.get("page_size").filter(|p| !p.is_empty()).map(|p| p.parse::<usize>()) {
        None => 30,
        Some(Ok(n @ 1..=300)) => n,
        Some(_) => return Err(ApiError::invalid("page_size", "must be a number from 1 to 300")),
    };
    let offset = match query.get("next_page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => decode(t).ok_or(ApiError::InvalidPageToken)?,
    };
    Ok(PageRequest { size, offset })
}

/// One page of `items` with Zoom's counters.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub page_count: usize,
    pub page_size: usize,
    pub total_records: usize,
    pub next_page_token: String,
    #[serde(skip)]
    pub items: Vec<T>,
}

impl PageRequest {
    /// Cuts this page out of `all`.
    pub fn cut<T>(&self, all: Vec<T>) -> Page<T> {
        let total = all.len();
        let items: Vec<T> = all.into_iter().skip(self.offset).take(self.size).collect();
        let end = self.offset + items.len();
        Page {
            page_count: total.div_ceil(self.size),
            page_size: self.size,
            total_records: total,
            next_page_token: if end < total { encode(end) } else { String::new() },
            items,
        }
    }
}

fn encode(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim:{offset}"))
}

fn decode(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("sim:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_each_other_until_an_empty_token() {
        let query =
            |token: &str| HashMap::from([("page_size".into(), "2".into()), ("next_page_token".into(), token.into())]);
        let first = request(&query("")).expect("first").cut(vec![1, 2, 3, 4, 5]);
        assert_eq!((first.items.clone(), first.page_count, first.total_records), (vec![1, 2], 3, 5));
        let second = request(&query(&first.next_page_token)).expect("second").cut(vec![1, 2, 3, 4, 5]);
        let third = request(&query(&second.next_page_token)).expect("third").cut(vec![1, 2, 3, 4, 5]);
        assert_eq!((second.items, third.items.clone()), (vec![3, 4], vec![5]));
        assert!(third.next_page_token.is_empty());
        assert!(matches!(request(&query("garbage")), Err(ApiError::InvalidPageToken)));
    }
}

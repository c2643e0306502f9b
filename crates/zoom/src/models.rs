//! Shapes shared by webhooks and the REST API: ids that Zoom sends as a string in one place and a
//! number in another, and a meeting's cloud recording with its files.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// A meeting uuid (base64-like; may contain `/`, `+`, `=`). Paths need
/// [`encode_path_segment`](crate::rest::encoding::encode_path_segment).
pub type MeetingUuid = String;

/// Reads an int64 id given as a JSON number or as a string of digits (`payload.object.id` is a
/// string in `meeting.*` events and a number in `recording.*` events).
pub fn id_from_string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i64),
        Text(String),
    }
    match Raw::deserialize(deserializer)? {
        Raw::Number(n) => Ok(n),
        Raw::Text(text) => {
            parse_id(&text).ok_or_else(|| serde::de::Error::custom(format!("id {text:?} is not an int64")))
        }
    }
}

/// [`id_from_string_or_number`] for an optional field.
pub fn opt_id_from_string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "id_from_string_or_number")] i64);
    Ok(Option::<Wrapped>::deserialize(deserializer)?.map(|Wrapped(n)| n))
}

fn parse_id(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A meeting session's cloud recording: the answer of `GET /meetings/{id}/recordings`, an entry of
/// a user's recording list, and `payload.object` of `recording.*` webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingMeeting {
    /// The meeting id (a number here; accepted as a string too).
    #[serde(deserialize_with = "id_from_string_or_number")]
    pub id: i64,
    /// The session's uuid: each session of a recurring meeting has its own.
    pub uuid: MeetingUuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_url: Option<String>,
    /// The recording's passcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Several segments of one type when the recording was paused and restarted.
    #[serde(default)]
    pub recording_files: Vec<RecordingFile>,
    /// Present when asked for with `include_fields=download_access_token`; a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_access_token: Option<String>,
    /// Fields this model does not name, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One file of a cloud recording. Only `download_url` and `file_type` are always there, and
/// `file_type` is empty while Zoom is still processing the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The meeting **uuid** (not the numeric id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_end: Option<String>,
    /// `MP4`, `M4A`, `TIMELINE`, `TRANSCRIPT`, `CHAT`, `CC`, `CSV`, `SUMMARY`, …; empty while processing.
    #[serde(default)]
    pub file_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_extension: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Absent for some file types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub play_url: Option<String>,
    pub download_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RecordingFile {
    /// Whether Zoom is done with the file (it has a type and is not marked as processing).
    pub fn is_ready(&self) -> bool {
        !self.file_type.is_empty() && self.status.as_deref().is_none_or(|s| s == "completed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "id_from_string_or_number")]
        id: i64,
    }

    #[test]
    fn an_id_is_read_from_a_number_or_a_string_of_digits() {
        let read = |json: &str| serde_json::from_str::<Holder>(json).map(|h| h.id).ok();
        assert_eq!(read(r#"{"id":84512390771}"#), Some(84_512_390_771));
        assert_eq!(read(r#"{"id":"84512390771"}"#), Some(84_512_390_771));
        assert_eq!(read(r#"{"id":"84x"}"#), None);
        assert_eq!(read(r#"{"id":"99999999999999999999"}"#), None);
        assert_eq!(read(r#"{"id":1.5}"#), None);
    }

    #[test]
    fn a_file_still_processing_has_an_empty_type_and_no_optional_fields() {
        let file: RecordingFile =
            serde_json::from_str(r#"{"file_type":"","download_url":"https://x/y","new_field":1}"#).expect("parses");
        assert!(!file.is_ready());
        assert_eq!(file.extra.get("new_field"), Some(&Value::from(1)));
        assert_eq!(file.file_size, None);
    }
}

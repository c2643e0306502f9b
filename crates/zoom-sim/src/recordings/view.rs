//! Recordings as Zoom shows them, in the API and in `recording.*` webhooks. Field order follows
//! the real deliveries in the shared fixtures.

use serde::Serialize;

use crate::clock::zoom_time;
use crate::store::{Recording, RecordingFile};

/// One entry of `recording_files[]`.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingFileView {
    pub id: String,
    /// The meeting **uuid** (not the numeric id), as Zoom writes it.
    pub meeting_id: String,
    pub recording_start: String,
    pub recording_end: String,
    pub file_type: String,
    pub file_extension: String,
    pub file_size: u64,
    pub download_url: String,
    pub status: String,
    pub recording_type: String,
    /// Absent for some file types (e.g. `TIMELINE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub play_url: Option<String>,
}

impl RecordingFileView {
    pub(crate) fn new(rec: &Recording, file: &RecordingFile, base_url: &str) -> Self {
        Self {
            id: file.id.clone(),
            meeting_id: rec.uuid.clone(),
            recording_start: zoom_time(file.recording_start_ms),
            recording_end: zoom_time(file.recording_end_ms),
            file_type: file.file_type.clone(),
            file_extension: file.file_extension.clone(),
            file_size: file.size,
            download_url: format!("{base_url}/rec/download/{}", file.id),
            status: "completed".into(),
            recording_type: file.recording_type.clone(),
            play_url: file.has_play_url.then(|| format!("{base_url}/rec/play/{}", file.id)),
        }
    }
}

/// A meeting session's recording: `GET /meetings/{id}/recordings`, the entries of a user's list,
/// and the `payload.object` of `recording.*` events (where `id` is a **number**).
#[derive(Debug, Clone, Serialize)]
pub struct RecordingView {
    pub id: i64,
    pub uuid: String,
    pub account_id: String,
    pub host_id: String,
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: u8,
    pub start_time: String,
    pub timezone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_email: Option<String>,
    pub duration: u32,
    pub total_size: u64,
    pub recording_count: usize,
    pub share_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    pub recording_files: Vec<RecordingFileView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_access_token: Option<String>,
}

impl RecordingView {
    /// The view of `files` (a subset of the recording's, e.g. only the transcript).
    pub(crate) fn of(rec: &Recording, files: &[RecordingFile], account_id: &str, base_url: &str) -> Self {
        Self {
            id: rec.meeting_id,
            uuid: rec.uuid.clone(),
            account_id: account_id.to_string(),
            host_id: rec.host_id.clone(),
            topic: rec.topic.clone(),
            kind: rec.kind,
            start_time: zoom_time(rec.start_time_ms),
            timezone: rec.timezone.clone(),
            host_email: Some(rec.host_email.clone()),
            duration: rec.duration,
            total_size: files.iter().map(|f| f.size).sum(),
            recording_count: files.len(),
            share_url: format!("{base_url}/rec/share/{}", share_id(&rec.uuid)),
            password: Some(rec.password.clone()),
            recording_files: files.iter().map(|f| RecordingFileView::new(rec, f, base_url)).collect(),
            download_access_token: None,
        }
    }
}

/// A URL-safe share id derived from the uuid (uuids may hold `/`, `+` and `=`).
fn share_id(uuid: &str) -> String {
    uuid.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { 'x' }).collect()
}

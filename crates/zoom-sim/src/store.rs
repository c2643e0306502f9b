//! The simulator's account state — users, meetings, recordings, tokens and daily counts — as one
//! serialisable value, so it can be written to `state.json` and read back on restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A user of the simulated account. Fields after `email` came later: a saved state without them
/// reads with defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct User {
    pub id: String,
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    /// Zoom's user type: 1 basic, 2 licensed, 4 unassigned without meetings basic, 99 none.
    #[serde(default = "licensed")]
    pub kind: u8,
    #[serde(default)]
    pub timezone: String,
    /// `active`, `inactive` or `pending`.
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub created_at_ms: i64,
    /// What differs from the default user settings, in Zoom's nesting (`{"recording": {…}}`).
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

fn licensed() -> u8 {
    2
}

fn active() -> String {
    "active".into()
}

/// A validated recurrence, as Zoom echoes it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Recurrence {
    /// 1 daily, 2 weekly, 3 monthly.
    pub kind: u8,
    pub repeat_interval: u32,
    pub weekly_days: Option<String>,
    pub monthly_day: Option<u8>,
    pub monthly_week: Option<i8>,
    pub monthly_week_day: Option<u8>,
    pub end_times: Option<u32>,
    pub end_date_time_ms: Option<i64>,
}

/// A scheduled meeting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Meeting {
    pub id: i64,
    pub uuid: String,
    pub host_id: String,
    pub host_email: String,
    pub topic: String,
    pub kind: u8,
    pub start_time_ms: i64,
    pub duration: u32,
    pub timezone: String,
    pub agenda: String,
    pub password: String,
    pub created_at_ms: i64,
    pub settings: serde_json::Map<String, serde_json::Value>,
    pub recurrence: Option<Recurrence>,
    /// Occurrence ids removed with `DELETE …?occurrence_id=`.
    pub deleted_occurrences: Vec<String>,
    /// Occurrences moved or resized with `PATCH …?occurrence_id=`, by occurrence id.
    #[serde(default)]
    pub occurrence_changes: BTreeMap<String, OccurrenceChange>,
    /// `waiting`, `started`.
    pub status: String,
    /// Uuids of the sessions played so far: the first session has `uuid`, later ones new uuids.
    pub instances: Vec<String>,
}

/// What `PATCH /meetings/{id}?occurrence_id=` changed on one occurrence; the occurrence keeps its id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct OccurrenceChange {
    pub start_time_ms: Option<i64>,
    pub duration: Option<u32>,
    pub agenda: Option<String>,
}

/// One played session of a meeting, for `GET /past_meetings/{uuid}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PastMeeting {
    pub uuid: String,
    pub meeting_id: i64,
    pub host_id: String,
    pub host_email: String,
    pub host_name: String,
    pub topic: String,
    pub kind: u8,
    pub start_ms: i64,
    /// Set when `meeting.ended` was sent; until then Zoom answers "not ended".
    pub end_ms: Option<i64>,
    pub participants: Vec<PastParticipant>,
}

/// One join of one person (a person who rejoins has several).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PastParticipant {
    /// The account user id, or empty for guests.
    pub id: String,
    /// The id of this join, valid in this meeting only.
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub join_ms: i64,
    pub leave_ms: i64,
}

/// One file of a cloud recording.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RecordingFile {
    pub id: String,
    pub file_type: String,
    pub file_extension: String,
    pub size: u64,
    pub recording_start_ms: i64,
    pub recording_end_ms: i64,
    pub recording_type: String,
    /// Text files (chat, transcript, timeline) are kept; media bytes are generated on the fly.
    pub content: Option<String>,
    pub has_play_url: bool,
}

/// The cloud recording of one meeting session (one uuid).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Recording {
    pub uuid: String,
    pub meeting_id: i64,
    pub host_id: String,
    pub host_email: String,
    pub topic: String,
    pub kind: u8,
    pub start_time_ms: i64,
    pub timezone: String,
    pub duration: u32,
    pub password: String,
    pub files: Vec<RecordingFile>,
    pub trashed: bool,
}

/// What a bearer token grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum TokenKind {
    /// An OAuth access token: every API call and every download.
    Api,
    /// A recording download token: the files of one meeting session only.
    Download { uuid: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub expires_ms: i64,
}

/// Everything that survives a restart.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Store {
    pub users: BTreeMap<String, User>,
    pub meetings: BTreeMap<i64, Meeting>,
    pub recordings: BTreeMap<String, Recording>,
    pub tokens: BTreeMap<String, Token>,
    /// `"{user id}|{yyyy-mm-dd}"` → creates plus updates that day.
    pub daily_writes: BTreeMap<String, u32>,
    /// How many uuids were made, for the every-Nth-uuid-has-a-slash rule.
    pub uuids_made: u64,
    /// Played sessions by uuid, kept after their meeting is deleted (as Zoom's reports are).
    #[serde(default)]
    pub past_meetings: BTreeMap<String, PastMeeting>,
}

impl Store {
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.users.values().find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The session whose file this is, and the file.
    pub fn file(&self, file_id: &str) -> Option<(&Recording, &RecordingFile)> {
        self.recordings.values().find_map(|r| r.files.iter().find(|f| f.id == file_id).map(|f| (r, f)))
    }

    /// Drops tokens that expired more than a day ago, so a long-running simulator stays small.
    pub fn prune_tokens(&mut self, now_ms: i64) {
        self.tokens.retain(|_, t| t.expires_ms + 86_400_000 > now_ms);
    }
}

/// The file the state lives in under `data_dir`.
pub(crate) fn state_path(data_dir: &Path) -> PathBuf {
    data_dir.join("state.json")
}

/// Reads the saved state, or an empty one when there is none yet.
pub(crate) fn load(data_dir: &Path) -> anyhow::Result<Store> {
    use anyhow::Context;
    let path = state_path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the state atomically (a temporary file renamed over the old one), so a crash mid-write
/// never leaves half a file.
pub(crate) async fn save(data_dir: &Path, bytes: Vec<u8>) -> anyhow::Result<()> {
    use anyhow::Context;
    tokio::fs::create_dir_all(data_dir).await.with_context(|| format!("creating {}", data_dir.display()))?;
    let path = state_path(data_dir);
    let tmp = data_dir.join("state.json.tmp");
    tokio::fs::write(&tmp, bytes).await.with_context(|| format!("writing {}", tmp.display()))?;
    tokio::fs::rename(&tmp, &path).await.with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

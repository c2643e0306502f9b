//! What happens in a played meeting: who joins and leaves when, what is said in chat, which parts
//! were recorded (a pause gives several segments), whether a transcript comes and in which order.
//! Offsets are seconds of meeting time; the simulator plays them `time_compression` times faster.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The script of one played meeting.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PlayScript {
    /// Seconds from start to `meeting.ended`; defaults to the meeting's scheduled duration.
    #[serde(default)]
    pub duration_secs: Option<u64>,
    #[serde(default)]
    pub participants: Vec<ScriptParticipant>,
    #[serde(default)]
    pub chat: Vec<ScriptChat>,
    /// Cloud recording; `None` means nothing was recorded (and no `recording.*` events).
    #[serde(default)]
    pub recording: Option<ScriptRecording>,
    /// Transcript cues; `None` means Zoom made no transcript (no `recording.transcript_completed`).
    /// Needs a recording.
    #[serde(default)]
    pub transcript: Option<Vec<ScriptCue>>,
    /// Send `recording.transcript_completed` before `recording.completed` (Zoom sometimes does).
    #[serde(default)]
    pub transcript_first: bool,
    /// Meeting seconds after the end until `recording.completed` (default 60).
    #[serde(default)]
    pub recording_ready_after_secs: Option<u64>,
    /// Meeting seconds after the end until `recording.transcript_completed` (default 120).
    #[serde(default)]
    pub transcript_ready_after_secs: Option<u64>,
    /// Overrides the simulator's time compression for this play.
    #[serde(default)]
    pub time_compression: Option<f64>,
}

/// A person in the meeting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptParticipant {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    pub join_secs: u64,
    /// `None` stays until the meeting ends.
    #[serde(default)]
    pub leave_secs: Option<u64>,
}

/// An in-meeting chat message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptChat {
    pub at_secs: u64,
    /// A participant's e-mail or name.
    pub sender: String,
    pub text: String,
}

/// The cloud recording: its segments and the meeting-wide files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptRecording {
    pub segments: Vec<ScriptSegment>,
    /// A `CHAT` file (TXT) made from the chat messages.
    #[serde(default = "yes")]
    pub chat_file: bool,
    /// A `TIMELINE` file (JSON, without `play_url`).
    #[serde(default = "yes")]
    pub timeline: bool,
}

fn yes() -> bool {
    true
}

/// One stretch of recording between a start (or resume) and a stop (or pause).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptSegment {
    pub start_secs: u64,
    pub end_secs: u64,
    /// Media files of this segment; empty gives an MP4 and an M4A sized by length.
    #[serde(default)]
    pub files: Vec<ScriptFile>,
}

/// A media file of a segment (`MP4` or `M4A`, or another Zoom file type) and its size in bytes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptFile {
    pub file_type: String,
    pub size: u64,
    /// Defaults by type (`shared_screen_with_speaker_view` for MP4, `audio_only` for M4A).
    #[serde(default)]
    pub recording_type: Option<String>,
}

/// One transcript cue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScriptCue {
    pub start_secs: f64,
    pub end_secs: f64,
    pub speaker: String,
    pub text: String,
}

impl ScriptSegment {
    /// The files of this segment, with the defaults applied.
    pub(crate) fn media(&self) -> Vec<ScriptFile> {
        if !self.files.is_empty() {
            return self.files.clone();
        }
        let secs = self.end_secs.saturating_sub(self.start_secs).max(1);
        vec![
            ScriptFile { file_type: "MP4".into(), size: secs * 40_000, recording_type: None },
            ScriptFile { file_type: "M4A".into(), size: secs * 4_000, recording_type: None },
        ]
    }
}

/// The longest meeting, and the longest wait for a recording, a script may ask for (a week).
pub(crate) const MAX_SECS: u64 = 7 * 86_400;
/// The largest file a script may ask for (1 TiB): sizes are added up, and must not overflow.
pub(crate) const MAX_FILE_SIZE: u64 = 1 << 40;

impl PlayScript {
    /// Checks the script against a meeting of `duration_secs`, naming the bad field.
    pub(crate) fn check(&self, duration_secs: u64) -> Result<(), ApiError> {
        if duration_secs > MAX_SECS {
            return Err(ApiError::invalid("duration_secs", "must be at most a week (604800)"));
        }
        for (field, value) in [
            ("recording_ready_after_secs", self.recording_ready_after_secs),
            ("transcript_ready_after_secs", self.transcript_ready_after_secs),
        ] {
            if value.is_some_and(|v| v > MAX_SECS) {
                return Err(ApiError::invalid(field, "must be at most a week (604800)"));
            }
        }
        for (i, p) in self.participants.iter().enumerate() {
            if p.join_secs > duration_secs || p.leave_secs.is_some_and(|l| l < p.join_secs) {
                return Err(ApiError::invalid(
                    format!("participants[{i}]"),
                    "must join within the meeting and leave after joining",
                ));
            }
        }
        for (i, c) in self.chat.iter().enumerate() {
            if c.at_secs > duration_secs {
                return Err(ApiError::invalid(format!("chat[{i}].at_secs"), "is after the end of the meeting"));
            }
        }
        if let Some(rec) = &self.recording {
            if rec.segments.is_empty() {
                return Err(ApiError::invalid("recording.segments", "needs at least one segment"));
            }
            for (i, s) in rec.segments.iter().enumerate() {
                if s.start_secs >= s.end_secs || s.end_secs > duration_secs {
                    return Err(ApiError::invalid(
                        format!("recording.segments[{i}]"),
                        "must start before it ends, within the meeting",
                    ));
                }
                if s.files.iter().any(|f| f.file_type.is_empty() || f.size > MAX_FILE_SIZE) {
                    return Err(ApiError::invalid(
                        format!("recording.segments[{i}].files"),
                        "every file needs a file_type and a size of at most 1 TiB",
                    ));
                }
            }
        } else if self.transcript.is_some() {
            return Err(ApiError::invalid("transcript", "a transcript needs a cloud recording"));
        }
        if let Some(c) = self.time_compression
            && !(c.is_finite() && c > 0.0)
        {
            return Err(ApiError::invalid("time_compression", "must be a positive number"));
        }
        Ok(())
    }
}

//! What the host's account decides about a played meeting: the user settings that turn chat,
//! cloud recording, the chat file and audio transcripts off, and the past-meeting record the
//! session leaves behind for `GET /past_meetings/{uuid}`.

use serde_json::{Map, Value};

use crate::play::build::Session;
use crate::script::PlayScript;
use crate::store::{PastMeeting, PastParticipant};
use crate::users::settings::flag;

/// `script` as it can happen for a host with `settings`: no chat messages without in-meeting
/// chat, no recording without cloud recording, no `CHAT` file without chat saving, no transcript
/// without audio transcripts.
pub(crate) fn apply(mut script: PlayScript, settings: &Map<String, Value>) -> PlayScript {
    if !flag(settings, "in_meeting", "chat") {
        script.chat.clear();
    }
    if !flag(settings, "recording", "cloud_recording") {
        script.recording = None;
    }
    if !flag(settings, "recording", "save_chat_text")
        && let Some(recording) = &mut script.recording
    {
        recording.chat_file = false;
    }
    if script.recording.is_none() || !flag(settings, "recording", "recording_audio_transcript") {
        script.transcript = None;
    }
    script
}

/// The session as a past meeting that has not ended yet, one participant entry per join.
pub(crate) fn past_meeting(s: &Session, host_name: String) -> PastMeeting {
    let participants = s
        .people
        .iter()
        .map(|p| PastParticipant {
            id: p.account_user_id.clone(),
            user_id: p.user_id.clone(),
            name: p.name.clone(),
            email: p.email.clone(),
            join_ms: s.at(p.join_secs),
            leave_ms: s.at(p.leave_secs),
        })
        .collect();
    PastMeeting {
        uuid: s.uuid.clone(),
        meeting_id: s.meeting.id,
        host_id: s.meeting.host_id.clone(),
        host_email: s.meeting.host_email.clone(),
        host_name,
        topic: s.meeting.topic.clone(),
        kind: s.meeting.kind,
        start_ms: s.base_ms,
        end_ms: None,
        participants,
    }
}

//! A plausible script for a meeting, used when a play request brings none (`butterboard sim`,
//! demos): the host and every invitee join, someone asks a question in chat, and — when the meeting
//! records to the cloud — a recording paused once (two segments) with a transcript.

use serde_json::Value;

use crate::script::{PlayScript, ScriptChat, ScriptCue, ScriptParticipant, ScriptRecording, ScriptSegment};
use crate::store::Meeting;
use crate::users::display_name;

fn invitees(meeting: &Meeting) -> Vec<String> {
    match meeting.settings.get("meeting_invitees") {
        Some(Value::Array(list)) => list.iter().filter_map(|i| i.get("email")?.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The typical session of `meeting`.
pub(crate) fn script(meeting: &Meeting) -> PlayScript {
    let duration = (u64::from(meeting.duration) * 60).max(600);
    let host = meeting.host_email.clone();
    let mut participants = vec![ScriptParticipant {
        name: display_name(&host),
        email: Some(host.clone()),
        join_secs: 0,
        leave_secs: None,
    }];
    for (i, email) in invitees(meeting).into_iter().filter(|e| !e.eq_ignore_ascii_case(&host)).enumerate() {
        let join_secs = 60 + 30 * i as u64;
        participants.push(ScriptParticipant {
            name: display_name(&email),
            email: Some(email),
            join_secs,
            leave_secs: None,
        });
    }
    let asker = participants.last().map_or(host.clone(), |p| p.email.clone().unwrap_or_default());
    let chat = vec![
        ScriptChat { at_secs: 300, sender: asker.clone(), text: "Where can I find the slides?".into() },
        ScriptChat { at_secs: 320, sender: host.clone(), text: "I'll share them after the meeting.".into() },
    ];
    let cloud = meeting.settings.get("auto_recording").and_then(Value::as_str) == Some("cloud");
    let half = duration / 2;
    let recording = cloud.then(|| ScriptRecording {
        segments: vec![
            ScriptSegment { start_secs: 5, end_secs: half - 60, files: Vec::new() },
            ScriptSegment { start_secs: half, end_secs: duration - 5, files: Vec::new() },
        ],
        chat_file: true,
        timeline: true,
    });
    let transcript = cloud.then(|| {
        vec![
            ScriptCue {
                start_secs: 10.0,
                end_secs: 14.0,
                speaker: display_name(&host),
                text: "Welcome, everyone.".into(),
            },
            ScriptCue {
                start_secs: 300.0,
                end_secs: 304.0,
                speaker: display_name(&asker),
                text: "Where are the slides?".into(),
            },
        ]
    });
    PlayScript { duration_secs: Some(duration), participants, chat, recording, transcript, ..PlayScript::default() }
}

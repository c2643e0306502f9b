//! The recording steps of a session: making the files (media per segment, chat, timeline,
//! transcript), storing them, issuing the `download_token` and building `recording.*` bodies.

use crate::content::{self, ChatLine, Cue, TimelineEntry};
use crate::events::{Envelope, RecordingPayload, to_body};
use crate::ids;
use crate::play::build::{Built, Session, sender};
use crate::recordings::view::RecordingView;
use crate::state::{AppState, lock};
use crate::store::{Recording, RecordingFile, Token, TokenKind};

fn extension(file_type: &str) -> String {
    match file_type {
        "CHAT" => "TXT".into(),
        "TRANSCRIPT" | "CC" => "VTT".into(),
        "TIMELINE" | "SUMMARY" => "JSON".into(),
        other => other.to_string(),
    }
}

fn recording_type(file_type: &str) -> String {
    match file_type {
        "MP4" => "shared_screen_with_speaker_view",
        "M4A" => "audio_only",
        "CHAT" => "chat_file",
        "TIMELINE" => "timeline",
        "TRANSCRIPT" => "audio_transcript",
        "CC" => "closed_caption",
        _ => "shared_screen",
    }
    .into()
}

fn new_file(file_type: &str, size: u64, start_ms: i64, end_ms: i64, content: Option<String>) -> RecordingFile {
    RecordingFile {
        id: uuid::Uuid::new_v4().to_string(),
        file_type: file_type.to_string(),
        file_extension: extension(file_type),
        size: content.as_ref().map_or(size, |c| c.len() as u64),
        recording_start_ms: start_ms,
        recording_end_ms: end_ms,
        recording_type: recording_type(file_type),
        has_play_url: file_type != "TIMELINE",
        content,
    }
}

/// The media files (MP4s first, then M4As, as Zoom lists them), then the chat and timeline files.
fn media_files(s: &Session) -> Vec<RecordingFile> {
    let Some(rec) = &s.script.recording else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for seg in &rec.segments {
        for f in seg.media() {
            let mut file =
                new_file(&f.file_type.to_uppercase(), f.size, s.at(seg.start_secs), s.at(seg.end_secs), None);
            if let Some(kind) = f.recording_type {
                file.recording_type = kind;
            }
            files.push(file);
        }
    }
    let rank = |t: &str| match t {
        "MP4" => 0,
        "M4A" => 1,
        _ => 2,
    };
    files.sort_by_key(|f| rank(&f.file_type));
    let (start, end) = (s.recording_start_secs(), s.recording_end_secs());
    let offset = |secs: u64| secs as i64 - start as i64;
    if rec.chat_file && !s.script.chat.is_empty() {
        let lines: Vec<ChatLine<'_>> = s
            .script
            .chat
            .iter()
            .map(|c| ChatLine {
                offset_secs: offset(c.at_secs),
                sender: sender(s, &c.sender).map_or(c.sender.as_str(), |p| p.name.as_str()),
                text: &c.text,
            })
            .collect();
        files.push(new_file("CHAT", 0, s.at(start), s.at(end), Some(content::chat_txt(&lines))));
    }
    if rec.timeline {
        let mut moments: Vec<u64> = s.people.iter().flat_map(|p| [p.join_secs, p.leave_secs]).collect();
        moments.sort_unstable();
        moments.dedup();
        let entries: Vec<TimelineEntry> = moments
            .into_iter()
            .map(|m| TimelineEntry {
                offset_secs: offset(m),
                users: s
                    .people
                    .iter()
                    .filter(|p| p.join_secs <= m && m < p.leave_secs)
                    .map(|p| (p.name.clone(), p.email.clone()))
                    .collect(),
            })
            .collect();
        files.push(new_file("TIMELINE", 0, s.at(start), s.at(end), Some(content::timeline_json(&entries))));
    }
    files
}

fn transcript_file(s: &Session) -> Option<RecordingFile> {
    let cues = s.script.transcript.as_ref()?;
    let start = s.recording_start_secs() as f64;
    let cues: Vec<Cue<'_>> = cues
        .iter()
        .map(|c| Cue {
            start_secs: c.start_secs - start,
            end_secs: c.end_secs - start,
            speaker: &c.speaker,
            text: &c.text,
        })
        .collect();
    let (from, to) = (s.at(s.recording_start_secs()), s.at(s.recording_end_secs()));
    Some(new_file("TRANSCRIPT", 0, from, to, Some(content::vtt(&cues))))
}

/// Adds the step's files to the session's recording, issues a download token and builds the event.
pub(crate) fn recording_event(state: &AppState, s: &Session, event_ts: i64, transcript: bool) -> Built {
    let files = if transcript { transcript_file(s).into_iter().collect() } else { media_files(s) };
    let new_files: Vec<String> = files.iter().map(|f| f.id.clone()).collect();
    let token = ids::token("sim_dt_");
    let ttl = i64::try_from(state.config.download_token_ttl.as_millis()).unwrap_or(i64::MAX);
    let view = {
        let mut store = lock(&state.store);
        store.tokens.insert(
            token.clone(),
            Token {
                kind: TokenKind::Download { uuid: s.uuid.clone() },
                expires_ms: state.now_ms().saturating_add(ttl),
            },
        );
        let rec = store.recordings.entry(s.uuid.clone()).or_insert_with(|| Recording {
            uuid: s.uuid.clone(),
            meeting_id: s.meeting.id,
            host_id: s.meeting.host_id.clone(),
            host_email: s.meeting.host_email.clone(),
            topic: s.meeting.topic.clone(),
            kind: s.meeting.kind,
            start_time_ms: s.base_ms,
            timezone: s.meeting.timezone.clone(),
            duration: s.meeting.duration,
            password: s.meeting.password.clone(),
            files: Vec::new(),
            trashed: false,
        });
        rec.files.extend(files.iter().cloned());
        if transcript {
            // recording.transcript_completed carries the transcript alone, without host_email or password.
            let mut view = RecordingView::of(rec, &files, &s.account_id, &state.base_url);
            view.host_email = None;
            view.password = None;
            view
        } else {
            // recording.completed lists every file finished so far (a transcript that came first too).
            RecordingView::of(rec, &rec.files, &s.account_id, &state.base_url)
        }
    };
    state.changed();
    let event = if transcript { "recording.transcript_completed" } else { "recording.completed" };
    let payload = RecordingPayload { account_id: s.account_id.clone(), object: view };
    let body = to_body(&Envelope { event, event_ts, download_token: Some(token.clone()), payload });
    Built { event, body, download_token: Some(token), new_files }
}

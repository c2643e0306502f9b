//! Turning a script into the ordered steps of a session, and each meeting step into its webhook
//! body (the recording steps are in `recording`).

use rand::Rng;

use crate::clock::zoom_time;
use crate::events::{
    ChatMessage, ChatObject, ChatPayload, Envelope, MeetingObject, MeetingPayload, Participant, to_body,
};
use crate::play::recording;
use crate::script::PlayScript;
use crate::state::AppState;
use crate::store::Meeting;

/// A participant of the session with the ids Zoom gives them.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub name: String,
    pub email: String,
    /// The per-meeting participant id (digits).
    pub user_id: String,
    /// The account user id, or empty for guests.
    pub account_user_id: String,
    pub participant_uuid: String,
    pub join_secs: u64,
    pub leave_secs: u64,
}

/// One moment of the session.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Started,
    Joined(usize),
    Left(usize),
    Chat(usize),
    Ended,
    RecordingCompleted,
    TranscriptCompleted,
}

/// A session being played.
pub(crate) struct Session {
    pub meeting: Meeting,
    pub uuid: String,
    /// Epoch milliseconds of the session's start (meeting time 0).
    pub base_ms: i64,
    pub duration_secs: u64,
    pub script: PlayScript,
    pub people: Vec<Person>,
    pub account_id: String,
}

impl Session {
    pub fn new(
        meeting: Meeting,
        uuid: String,
        base_ms: i64,
        script: PlayScript,
        people: Vec<Person>,
        account_id: String,
    ) -> Self {
        let duration_secs = script.duration_secs.unwrap_or(u64::from(meeting.duration) * 60).max(1);
        Self { meeting, uuid, base_ms, duration_secs, script, people, account_id }
    }

    pub(crate) fn at(&self, secs: u64) -> i64 {
        self.base_ms + secs as i64 * 1000
    }

    /// Meeting seconds where the recording starts (the first segment).
    pub(crate) fn recording_start_secs(&self) -> u64 {
        self.script.recording.as_ref().and_then(|r| r.segments.iter().map(|s| s.start_secs).min()).unwrap_or(0)
    }

    pub(crate) fn recording_end_secs(&self) -> u64 {
        self.script
            .recording
            .as_ref()
            .and_then(|r| r.segments.iter().map(|s| s.end_secs).max())
            .unwrap_or(self.duration_secs)
    }
}

/// Gives each scripted participant Zoom's ids.
pub(crate) fn people(
    script: &PlayScript,
    duration_secs: u64,
    account_user: impl Fn(&str) -> Option<String>,
) -> Vec<Person> {
    let mut rng = rand::rng();
    script
        .participants
        .iter()
        .map(|p| {
            let email = p.email.clone().unwrap_or_default();
            Person {
                name: p.name.clone(),
                account_user_id: account_user(&email).unwrap_or_default(),
                email,
                user_id: rng.random_range(16_000_000u32..=16_999_999).to_string(),
                participant_uuid: uuid::Uuid::new_v4().to_string().to_uppercase(),
                join_secs: p.join_secs,
                leave_secs: p.leave_secs.unwrap_or(duration_secs).min(duration_secs),
            }
        })
        .collect()
}

/// The steps in time order, as `(meeting milliseconds, step)`. Equal times keep the order pushed
/// here: leaving at the end comes before `meeting.ended`.
pub(crate) fn steps(s: &Session) -> Vec<(u64, Step)> {
    let mut steps = vec![(0, Step::Started)];
    for (i, p) in s.people.iter().enumerate() {
        steps.push((p.join_secs * 1000, Step::Joined(i)));
        steps.push((p.leave_secs * 1000, Step::Left(i)));
    }
    for (i, c) in s.script.chat.iter().enumerate() {
        steps.push((c.at_secs * 1000, Step::Chat(i)));
    }
    steps.push((s.duration_secs * 1000, Step::Ended));
    if s.script.recording.is_some() {
        let a = s.duration_secs + s.script.recording_ready_after_secs.unwrap_or(60);
        let b = s.duration_secs + s.script.transcript_ready_after_secs.unwrap_or(120);
        let has_transcript = s.script.transcript.is_some();
        if s.script.transcript_first && has_transcript {
            steps.push((a.min(b) * 1000, Step::TranscriptCompleted));
            steps.push((a.max(b) * 1000, Step::RecordingCompleted));
        } else {
            steps.push((a * 1000, Step::RecordingCompleted));
            if has_transcript {
                steps.push((b.max(a) * 1000, Step::TranscriptCompleted));
            }
        }
    }
    steps.sort_by_key(|(at, _)| *at);
    steps
}

/// A built webhook.
pub(crate) struct Built {
    pub event: &'static str,
    pub body: String,
    pub download_token: Option<String>,
    pub new_files: Vec<String>,
}

impl Built {
    fn plain(event: &'static str, body: String) -> Self {
        Self { event, body, download_token: None, new_files: Vec::new() }
    }
}

fn meeting_object(s: &Session) -> MeetingObject {
    MeetingObject {
        id: s.meeting.id.to_string(),
        uuid: s.uuid.clone(),
        host_id: s.meeting.host_id.clone(),
        topic: s.meeting.topic.clone(),
        kind: s.meeting.kind,
        start_time: zoom_time(s.base_ms),
        timezone: s.meeting.timezone.clone(),
        duration: s.meeting.duration,
        host_email: None,
        participant: None,
        end_time: None,
    }
}

fn meeting_event(s: &Session, event: &'static str, event_ts: i64, object: MeetingObject) -> Built {
    let payload = MeetingPayload { account_id: s.account_id.clone(), object };
    Built::plain(event, to_body(&Envelope { event, event_ts, download_token: None, payload }))
}

fn participant(p: &Person) -> Participant {
    Participant {
        user_id: p.user_id.clone(),
        user_name: p.name.clone(),
        id: p.account_user_id.clone(),
        participant_uuid: p.participant_uuid.clone(),
        join_time: None,
        leave_time: None,
        email: p.email.clone(),
        leave_reason: None,
    }
}

/// The webhook of `step`, sent at `event_ts`; recording steps also make the files and a token.
pub(crate) fn event(state: &AppState, s: &Session, step: &Step, event_ts: i64) -> Built {
    match *step {
        Step::Started => {
            let object = MeetingObject { host_email: Some(s.meeting.host_email.clone()), ..meeting_object(s) };
            meeting_event(s, "meeting.started", event_ts, object)
        }
        Step::Joined(i) => {
            let p = &s.people[i];
            let participant = Participant { join_time: Some(zoom_time(s.at(p.join_secs))), ..participant(p) };
            let object = MeetingObject { participant: Some(participant), ..meeting_object(s) };
            meeting_event(s, "meeting.participant_joined", event_ts, object)
        }
        Step::Left(i) => {
            let p = &s.people[i];
            let reason = if p.leave_secs >= s.duration_secs { "Host ended the meeting" } else { "left the meeting" };
            let participant = Participant {
                leave_time: Some(zoom_time(s.at(p.leave_secs))),
                leave_reason: Some(format!("left the meeting. Reason : {reason}")),
                ..participant(p)
            };
            let object = MeetingObject { participant: Some(participant), ..meeting_object(s) };
            meeting_event(s, "meeting.participant_left", event_ts, object)
        }
        Step::Chat(i) => chat_event(s, i, event_ts),
        Step::Ended => {
            let object = MeetingObject { end_time: Some(zoom_time(s.at(s.duration_secs))), ..meeting_object(s) };
            meeting_event(s, "meeting.ended", event_ts, object)
        }
        Step::RecordingCompleted => recording::recording_event(state, s, event_ts, false),
        Step::TranscriptCompleted => recording::recording_event(state, s, event_ts, true),
    }
}

/// The participant a chat sender names (by e-mail or name).
pub(crate) fn sender<'a>(s: &'a Session, who: &str) -> Option<&'a Person> {
    s.people.iter().find(|p| (!p.email.is_empty() && p.email.eq_ignore_ascii_case(who)) || p.name == who)
}

fn chat_event(s: &Session, i: usize, event_ts: i64) -> Built {
    let c = &s.script.chat[i];
    let person = sender(s, &c.sender);
    let name = person.map_or(c.sender.clone(), |p| p.name.clone());
    let email = person.map_or(String::new(), |p| p.email.clone());
    let message = ChatMessage {
        date_time: zoom_time(s.at(c.at_secs)),
        sender_session_id: person.map_or(String::new(), |p| p.user_id.clone()),
        sender_name: name.clone(),
        sender_email: email.clone(),
        sender_type: if email.eq_ignore_ascii_case(&s.meeting.host_email) { "host" } else { "participant" }.into(),
        recipient_type: "everyone".into(),
        message_id: uuid::Uuid::new_v4().to_string(),
        message_content: c.text.clone(),
    };
    let payload = ChatPayload {
        account_id: s.account_id.clone(),
        operator: if email.is_empty() { name } else { email },
        object: ChatObject { id: s.meeting.id, uuid: s.uuid.clone(), chat_message: message },
    };
    let event = "meeting.chat_message_sent";
    Built::plain(event, to_body(&Envelope { event, event_ts, download_token: None, payload }))
}

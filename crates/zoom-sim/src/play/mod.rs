//! Playing a meeting: the script's moments become Zoom's webhooks, posted in order at their
//! (compressed) times — `meeting.started`, `participant_joined`/`left`, `chat_message_sent`,
//! `meeting.ended`, then `recording.completed` and `recording.transcript_completed` — and the
//! recording appears in the API once its event is sent.

mod build;
mod host;
mod recording;
pub(crate) mod typical;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::config::{compress, deadline};
use crate::error::ApiError;
use crate::ids;
use crate::script::PlayScript;
use crate::state::{AppState, lock};
use crate::users::{self, settings as user_settings};
use crate::webhooks;
use build::{Session, Step};

/// What a finished play did.
#[derive(Debug, Clone, Serialize)]
pub struct PlayReport {
    pub meeting_id: i64,
    /// The uuid of the played session (the meeting's uuid the first time, a new one after).
    pub uuid: String,
    /// The deliveries made, in order (see [`crate::ZoomSim::deliveries`]).
    pub deliveries: Vec<u64>,
    /// Ids of the recording files made.
    pub recording_files: Vec<String>,
    /// The `download_token` of the last `recording.*` event.
    pub download_token: Option<String>,
    /// False when the simulator stopped before the script ended.
    pub completed: bool,
}

/// A meeting being played; [`PlayHandle::wait`] returns when every event had its first attempt.
#[derive(Debug)]
pub struct PlayHandle {
    pub meeting_id: i64,
    pub uuid: String,
    done: watch::Receiver<Option<PlayReport>>,
}

impl PlayHandle {
    /// Waits until the script has played out (retries may still be running).
    pub async fn wait(mut self) -> anyhow::Result<PlayReport> {
        let report = self
            .done
            .wait_for(Option::is_some)
            .await
            .map_err(|_| anyhow::anyhow!("the play task ended without a report"))?;
        report.clone().ok_or_else(|| anyhow::anyhow!("the play task ended without a report"))
    }
}

/// Frees the meeting for another play when the play ends, however it ends.
struct PlayingGuard {
    state: Arc<AppState>,
    meeting_id: i64,
}

impl Drop for PlayingGuard {
    fn drop(&mut self) {
        lock(&self.state.playing).remove(&self.meeting_id);
    }
}

/// Starts playing `script` on meeting `meeting_id`.
pub(crate) fn start(state: &Arc<AppState>, meeting_id: i64, script: PlayScript) -> Result<PlayHandle, ApiError> {
    if !lock(&state.playing).insert(meeting_id) {
        return Err(ApiError::Conflict(format!("meeting {meeting_id} is already being played")));
    }
    let guard = PlayingGuard { state: Arc::clone(state), meeting_id };
    let (session, uuid) = {
        let mut store = lock(&state.store);
        let meeting = store
            .meetings
            .get(&meeting_id)
            .cloned()
            .ok_or_else(|| ApiError::MeetingNotFound(meeting_id.to_string()))?;
        let duration_secs = script.duration_secs.unwrap_or(u64::from(meeting.duration) * 60).max(1);
        script.check(duration_secs)?;
        // What the host's settings turn off does not happen, whatever the script says.
        let host = store.users.get(&meeting.host_id).cloned();
        let script = match &host {
            Some(host) => host::apply(script, &user_settings::effective(&host.settings)),
            None => script,
        };
        // The first session has the uuid returned at creation; every later one gets a new uuid.
        let uuid = if meeting.instances.is_empty() {
            meeting.uuid.clone()
        } else {
            store.uuids_made += 1;
            ids::meeting_uuid(store.uuids_made, state.config.uuid_slash_every)
        };
        let people = build::people(&script, duration_secs, |email| store.user_by_email(email).map(|u| u.id.clone()));
        if let Some(m) = store.meetings.get_mut(&meeting_id) {
            m.instances.push(uuid.clone());
        }
        let account_id = state.config.account_id.clone();
        let session = Session::new(meeting, uuid.clone(), state.now_ms(), script, people, account_id);
        let host_name =
            host.as_ref().map_or_else(|| users::display_name(&session.meeting.host_email), users::full_name);
        store.past_meetings.insert(uuid.clone(), host::past_meeting(&session, host_name));
        (session, uuid)
    };
    state.changed();
    let compression = session.script.time_compression.unwrap_or(state.config.time_compression);
    let steps = build::steps(&session);
    let (tx, rx) = watch::channel(None);
    let task_state = Arc::clone(state);
    state.tasks.spawn(async move {
        let _guard = guard;
        let report = run(&task_state, session, steps, compression).await;
        let _ = tx.send(Some(report));
    });
    tracing::info!(meeting_id, "meeting play started");
    Ok(PlayHandle { meeting_id, uuid, done: rx })
}

async fn run(state: &Arc<AppState>, session: Session, steps: Vec<(u64, Step)>, compression: f64) -> PlayReport {
    let t0 = tokio::time::Instant::now();
    let mut report = PlayReport {
        meeting_id: session.meeting.id,
        uuid: session.uuid.clone(),
        deliveries: Vec::new(),
        recording_files: Vec::new(),
        download_token: None,
        completed: false,
    };
    for (offset_ms, step) in steps {
        let due = deadline(t0, compress(Duration::from_millis(offset_ms), compression));
        tokio::select! {
            _ = tokio::time::sleep_until(due) => {}
            _ = state.shutdown.cancelled() => return report,
        }
        let event_ts = session.base_ms + offset_ms as i64;
        set_status(state, &session, &step);
        let built = build::event(state, &session, &step, event_ts);
        if let Some(token) = built.download_token {
            report.download_token = Some(token);
        }
        report.recording_files.extend(built.new_files);
        let id = webhooks::deliver(state, built.event, Some(session.meeting.id), built.body).await;
        report.deliveries.push(id);
    }
    report.completed = true;
    tracing::info!(meeting_id = session.meeting.id, events = report.deliveries.len(), "meeting play finished");
    report
}

/// A started meeting shows `started` in the API until it ends; an ended session becomes a past
/// meeting.
fn set_status(state: &AppState, session: &Session, step: &Step) {
    let status = match step {
        Step::Started => "started",
        Step::Ended => "waiting",
        _ => return,
    };
    let mut store = lock(&state.store);
    if let Some(m) = store.meetings.get_mut(&session.meeting.id) {
        m.status = status.into();
    }
    if matches!(step, Step::Ended)
        && let Some(past) = store.past_meetings.get_mut(&session.uuid)
    {
        past.end_ms = Some(session.at(session.duration_secs));
    }
    drop(store);
    state.changed();
}

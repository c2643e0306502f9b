//! A meeting's life from Zoom's webhooks (`zoom.meeting.*`, the raw bodies the ingest
//! publishes): matched by meeting id, and for a series by the session's uuid, into sessions,
//! participant events and chat, inside the consumer's inbox transaction. `meeting.started`
//! publishes `onboarding.meeting.started` once per session; the end is published by
//! [`super::settle`] once late events had their chance. Events about meetings this service did
//! not create are counted and ignored.

use std::collections::HashMap;
use std::sync::Arc;

use butterboard_runtime::consumer::HandlerError;
use sqlx::{Any, Transaction};
use zoom::webhook::events::{MeetingEvent, ZoomEvent};

use super::MeetingApp;
use crate::conferencing::zoom::parse_ms;
use crate::domain::attendance::{Kind, ParticipantEvent};
use crate::domain::meeting::{MeetingStatus, nearest_occurrence};
use crate::domain::stage::normalize_email;
use crate::events;
use crate::store::meetings::{self, MeetingRow};
use crate::store::sessions::{self, ChatRow, SessionRow};

fn retry(error: impl Into<anyhow::Error>) -> HandlerError {
    HandlerError::Retry(error.into())
}

/// When something happened: the body's own time, else the event's timestamp.
fn at(text: Option<&str>, event: &MeetingEvent, fallback: i64) -> i64 {
    text.and_then(parse_ms).or(event.event_ts).unwrap_or(fallback)
}

/// What a transaction already looked up: meetings by Zoom id, sessions by uuid. A batch of
/// events of one meeting then costs one statement each.
#[derive(Default)]
pub struct Lookups {
    meetings: HashMap<i64, Option<Arc<MeetingRow>>>,
    sessions: HashMap<String, SessionRow>,
}

impl MeetingApp {
    /// Applies one Zoom webhook body inside `tx`.
    pub async fn apply_zoom(&self, tx: &mut Transaction<'static, Any>, body: &[u8]) -> Result<(), HandlerError> {
        self.apply_zoom_with(tx, body, &mut Lookups::default()).await
    }

    /// [`apply_zoom`](Self::apply_zoom) with the lookups of earlier events of the same transaction.
    pub async fn apply_zoom_with(
        &self,
        tx: &mut Transaction<'static, Any>,
        body: &[u8],
        lookups: &mut Lookups,
    ) -> Result<(), HandlerError> {
        let event = ZoomEvent::parse(body).map_err(|e| HandlerError::Reject(e.into()))?;
        let (kind, e) = match &event {
            ZoomEvent::MeetingStarted(e) => ("started", e),
            ZoomEvent::MeetingEnded(e) => ("ended", e),
            ZoomEvent::ParticipantJoined(e) => ("joined", e),
            ZoomEvent::ParticipantLeft(e) => ("left", e),
            ZoomEvent::ChatMessageSent(e) => ("chat", e),
            _ => return Ok(()),
        };
        let now = self.now();
        let Some(zoom_id) = e.payload.object.id else {
            self.metrics.unknown_meeting_event(event.name());
            return Ok(());
        };
        let meeting = match lookups.meetings.get(&zoom_id) {
            Some(found) => found.clone(),
            None => {
                let found = meetings::by_zoom_id(tx, zoom_id).await.map_err(retry)?.map(Arc::new);
                lookups.meetings.insert(zoom_id, found.clone());
                found
            }
        };
        let Some(meeting) = meeting else {
            self.metrics.unknown_meeting_event(event.name());
            tracing::debug!(
                zoom_meeting_id = zoom_id,
                event = event.name(),
                "event of a meeting butterboard did not create, ignored"
            );
            return Ok(());
        };
        let object = &e.payload.object;
        let session_start = at(object.start_time.as_deref(), e, now);
        let session = match lookups.sessions.get(&object.uuid) {
            Some(session) => session.clone(),
            None => {
                let session = self.session(tx, &meeting, &object.uuid, session_start, now).await?;
                lookups.sessions.insert(object.uuid.clone(), session.clone());
                session
            }
        };
        match kind {
            "started" => self.started(tx, &meeting, &session, session_start, now).await?,
            "ended" => {
                let end = at(object.end_time.as_deref(), e, now);
                sessions::set_started(tx, &session.uuid, session_start).await.map_err(retry)?;
                sessions::set_ended(tx, &session.uuid, end, now, false).await.map_err(retry)?;
            }
            "joined" | "left" => {
                let Some(p) = &object.participant else { return Ok(()) };
                let (kind, time) = match kind {
                    "joined" => (Kind::Join, p.join_time.as_deref()),
                    _ => (Kind::Leave, p.leave_time.as_deref()),
                };
                // `user_id` names one join in this meeting, in webhooks and in the past-meeting
                // report alike, so a reconciled report pairs with the joins that did arrive.
                let join_key = p
                    .user_id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .or_else(|| p.participant_uuid.clone())
                    .unwrap_or_else(|| {
                        format!(
                            "{}:{}",
                            p.user_name.clone().unwrap_or_default(),
                            p.join_time.clone().unwrap_or_default()
                        )
                    });
                let event = ParticipantEvent {
                    kind,
                    join_key,
                    email: normalize_email(p.email.as_deref().unwrap_or_default()),
                    name: p.user_name.clone().unwrap_or_default(),
                    at_ms: at(time, e, now),
                };
                sessions::add_event(tx, &session.uuid, &event).await.map_err(retry)?;
            }
            _ => {
                let Some(m) = &object.chat_message else { return Ok(()) };
                let message = ChatRow {
                    session_uuid: session.uuid.clone(),
                    message_id: m.message_id.clone().unwrap_or_else(|| {
                        format!(
                            "{}:{}",
                            m.date_time.clone().unwrap_or_default(),
                            m.sender_name.clone().unwrap_or_default()
                        )
                    }),
                    sender_name: m.sender_name.clone().unwrap_or_default(),
                    sender_email: normalize_email(m.sender_email.as_deref().unwrap_or_default()),
                    text: m.message_content.clone().unwrap_or_default(),
                    sent_at: at(m.date_time.as_deref(), e, now),
                };
                sessions::add_chat(tx, &meeting.id, &message).await.map_err(retry)?;
            }
        }
        Ok(())
    }

    /// The session `uuid` of `meeting`; for a series, its occurrence is chosen when first seen.
    async fn session(
        &self,
        tx: &mut Transaction<'static, Any>,
        meeting: &MeetingRow,
        uuid: &str,
        started_ms: i64,
        now: i64,
    ) -> Result<SessionRow, HandlerError> {
        if let Some(session) = sessions::load(tx, uuid).await.map_err(retry)? {
            return Ok(session);
        }
        let occurrences = meetings::occurrences(tx, &meeting.id).await.map_err(retry)?;
        let occurrence = if occurrences.is_empty() {
            None
        } else {
            let taken: Vec<String> = sessions::of_meeting(tx, &meeting.id)
                .await
                .map_err(retry)?
                .into_iter()
                .filter_map(|s| s.occurrence_id)
                .collect();
            let listed: Vec<(String, i64)> = occurrences
                .iter()
                .filter(|o| o.status != "cancelled")
                .map(|o| (o.occurrence_id.clone(), o.start_at))
                .collect();
            nearest_occurrence(&listed, &taken, started_ms)
        };
        sessions::ensure(tx, uuid, &meeting.id, occurrence.as_deref(), now).await.map_err(retry)
    }

    async fn started(
        &self,
        tx: &mut Transaction<'static, Any>,
        meeting: &MeetingRow,
        session: &SessionRow,
        start: i64,
        now: i64,
    ) -> Result<(), HandlerError> {
        sessions::set_started(tx, &session.uuid, start).await.map_err(retry)?;
        meetings::set_status(tx, &meeting.id, &[MeetingStatus::Scheduled], MeetingStatus::Started, now)
            .await
            .map_err(retry)?;
        if !sessions::mark_started_published(tx, &session.uuid).await.map_err(retry)? {
            return Ok(());
        }
        let loaded = meetings::load_full(tx, &meeting.id)
            .await
            .map_err(retry)?
            .ok_or_else(|| retry(anyhow::anyhow!("meeting vanished")))?;
        let session = sessions::load(tx, &session.uuid).await.map_err(retry)?.unwrap_or_else(|| session.clone());
        events::enqueue(tx, events::started(&loaded, &session), &meeting.id).await.map_err(retry)?;
        Ok(())
    }
}

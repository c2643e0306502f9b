//! [`Conferencing`] on Zoom's REST API through the `zoom` crate's client.
//!
//! What the body promises is set explicitly (fields Zoom's create body leaves out inherit the
//! host's account defaults): cloud recording, the invitees, join before host, the waiting room,
//! continuous chat, the alternative hosts. A create that failed with a 5xx, a timeout or a broken
//! connection may have happened all the same, so it is [`ProviderError::Uncertain`].

use std::time::Duration;

use async_trait::async_trait;
use butterboard_runtime::config::ZoomConfig;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zoom::rest::{
    ClientConfig, CreateMeeting, Credentials, Invitee, Meeting, MeetingListType, MeetingSettings, MeetingType,
    Recurrence, UpdateMeeting, UpdateOccurrence, meetings::zoom_time,
};
use zoom::{ZoomClient, ZoomError};

use super::{
    Conferencing, HostAccount, HostCapabilities, MeetingChange, PastJoin, PastSession, ProviderError, ProviderMeeting,
    ProviderOccurrence, ProviderResult,
};
use crate::domain::plan::MeetingPlan;

/// Zoom behind the port.
#[derive(Clone, Debug)]
pub struct ZoomConferencing {
    client: ZoomClient,
}

impl ZoomConferencing {
    /// A client from the process's Zoom configuration; a per-second limit is waited out for at
    /// most `deadline`.
    pub fn from_config(config: &ZoomConfig, deadline: Duration) -> anyhow::Result<Self> {
        if !config.has_credentials() {
            tracing::warn!("zoom credentials are not configured: meetings cannot be created");
        }
        let credentials = Credentials {
            account_id: config.account_id.clone().unwrap_or_default(),
            client_id: config.client_id.clone().unwrap_or_default(),
            client_secret: config.client_secret.as_ref().map(|s| s.expose().clone()).unwrap_or_default(),
        };
        let mut client = ClientConfig::with_urls(&config.api_base_url, &config.oauth_url, credentials);
        client.retry.max_retry_after = deadline;
        client.budget.max_wait = deadline;
        client.request_timeout = deadline.min(Duration::from_secs(30));
        Ok(Self { client: ZoomClient::new(client)? })
    }

    pub fn new(client: ZoomClient) -> Self {
        Self { client }
    }
}

pub(crate) fn parse_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

fn utc(ms: i64) -> String {
    let at =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    zoom_time(at)
}

/// A call that did not succeed, as the application sees it; `uncertain` for a create.
fn error(e: ZoomError, uncertain: bool) -> ProviderError {
    match e {
        ZoomError::DailyLimit { reset_at, .. } => ProviderError::DailyLimit {
            reset_at_ms: i64::try_from(reset_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX),
        },
        ZoomError::RateLimited { retry_after, .. } => ProviderError::RateLimited { retry_after },
        ZoomError::Api { status: 404, .. } => ProviderError::NotFound,
        ZoomError::Api { status: 400, ref message, .. } => {
            let field = e.invalid_fields().into_iter().next().unwrap_or_else(|| "meeting".into());
            ProviderError::Invalid { field, message: message.clone() }
        }
        e @ (ZoomError::Api { .. } | ZoomError::Timeout(_) | ZoomError::Transport(_)) if e.is_transient() => {
            if uncertain {
                ProviderError::Uncertain(e.to_string())
            } else {
                ProviderError::Unavailable(e.to_string())
            }
        }
        e @ ZoomError::OAuth { .. } => ProviderError::Unavailable(e.to_string()),
        e => ProviderError::Other(e.to_string()),
    }
}

fn meeting(m: Meeting) -> ProviderMeeting {
    ProviderMeeting {
        id: m.id,
        uuid: m.uuid,
        join_url: m.join_url.unwrap_or_default(),
        start_url: m.start_url,
        occurrences: m
            .occurrences
            .into_iter()
            .map(|o| ProviderOccurrence {
                start_ms: parse_ms(&o.start_time).unwrap_or_default(),
                duration_minutes: o.duration.unwrap_or_default(),
                occurrence_id: o.occurrence_id,
            })
            .collect(),
    }
}

fn invitees(emails: impl IntoIterator<Item = String>) -> Vec<Invitee> {
    emails.into_iter().map(|email| Invitee { email }).collect()
}

/// The create body of `plan`.
pub fn create_body(plan: &MeetingPlan) -> CreateMeeting {
    let mut extra = Map::new();
    extra.insert("continuous_meeting_chat".into(), json!({ "enable": plan.options.continuous_chat }));
    let settings = MeetingSettings {
        auto_recording: Some("cloud".into()),
        meeting_invitees: Some(invitees(
            plan.invitees.iter().filter(|i| i.person.email != plan.host.person.email).map(|i| i.person.email.clone()),
        )),
        join_before_host: Some(plan.options.join_before_host),
        waiting_room: Some(plan.options.waiting_room),
        alternative_hosts: Some(plan.host.alternative_hosts.join(",")),
        approval_type: None,
        mute_upon_entry: None,
        extra,
    };
    let weekly = plan.stage.weekly.filter(|_| plan.occurrences.is_some());
    CreateMeeting {
        topic: plan.topic.clone(),
        kind: if weekly.is_some() { MeetingType::RecurringFixedTime } else { MeetingType::Scheduled },
        start_time: Some(utc(plan.start_ms)),
        duration: Some(plan.duration_minutes),
        timezone: Some(plan.time_zone.clone()).filter(|tz| !tz.is_empty()),
        agenda: Some(plan.agenda.clone()),
        password: None,
        recurrence: weekly.zip(plan.occurrences).map(|(w, times)| Recurrence::weekly(1, &[w.zoom_day()], times)),
        settings: Some(settings),
    }
}

#[async_trait]
impl Conferencing for ZoomConferencing {
    async fn host(&self, email: &str) -> ProviderResult<Option<HostAccount>> {
        match self.client.get_user(email).await {
            Ok(user) => Ok(Some(HostAccount {
                name: user.display_name.clone().unwrap_or_default(),
                time_zone: user.timezone.unwrap_or_default(),
                email: user.email.to_lowercase(),
            })),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(error(e, false)),
        }
    }

    async fn host_capabilities(&self, email: &str) -> ProviderResult<HostCapabilities> {
        let caps = self.client.get_user_settings(email).await.map_err(|e| error(e, false))?.capabilities();
        Ok(HostCapabilities {
            chat: caps.chat,
            cloud_recording: caps.cloud_recording,
            save_chat_text: caps.save_chat_text,
            audio_transcript: caps.audio_transcript,
        })
    }

    async fn create(&self, plan: &MeetingPlan) -> ProviderResult<ProviderMeeting> {
        let body = create_body(plan);
        self.client.create_meeting(&plan.host.person.email, &body).await.map(meeting).map_err(|e| error(e, true))
    }

    async fn find_by_marker(&self, host: &str, marker: &str) -> ProviderResult<Option<ProviderMeeting>> {
        let found = self
            .client
            .find_meetings_by_agenda_marker(host, MeetingListType::Scheduled, marker)
            .await
            .map_err(|e| error(e, false))?;
        Ok(found.into_iter().next().map(meeting))
    }

    async fn get(&self, id: i64) -> ProviderResult<Option<ProviderMeeting>> {
        match self.client.get_meeting(id).await {
            Ok(m) => Ok(Some(meeting(m))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(error(e, false)),
        }
    }

    async fn update(&self, id: i64, occurrence_id: Option<&str>, change: &MeetingChange) -> ProviderResult<()> {
        let start_time = change.start_ms.map(utc);
        let result = match occurrence_id {
            Some(occurrence) => {
                let update = UpdateOccurrence { start_time, duration: change.duration_minutes, agenda: None };
                self.client.update_occurrence(id, occurrence, &update).await
            }
            None => {
                let settings = change.invitees.clone().map(|emails| MeetingSettings {
                    meeting_invitees: Some(invitees(emails)),
                    ..MeetingSettings::default()
                });
                let update = UpdateMeeting {
                    start_time,
                    duration: change.duration_minutes,
                    timezone: change.time_zone.clone(),
                    settings,
                    ..UpdateMeeting::default()
                };
                self.client.update_meeting(id, &update).await
            }
        };
        result.map_err(|e| error(e, false))
    }

    async fn cancel(&self, id: i64, occurrence_id: Option<&str>) -> ProviderResult<()> {
        let result = match occurrence_id {
            Some(occurrence) => self.client.delete_occurrence(id, occurrence).await,
            None => self.client.delete_meeting(id).await,
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(error(e, false)),
        }
    }

    async fn past_session(&self, uuid: &str) -> ProviderResult<Option<PastSession>> {
        let past = match self.client.get_past_meeting(uuid).await {
            Ok(past) => past,
            // 3001: unknown, or not ended yet.
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(error(e, false)),
        };
        let participants = self.client.all_past_participants(uuid).await.map_err(|e| error(e, false))?;
        let joins = participants
            .into_iter()
            .enumerate()
            .map(|(i, p)| PastJoin {
                join_key: p.user_id.clone().filter(|k| !k.is_empty()).unwrap_or_else(|| format!("past-{i}")),
                email: p.email().unwrap_or_default().to_lowercase(),
                join_ms: p.join_time.as_deref().and_then(parse_ms),
                leave_ms: p.leave_time.as_deref().and_then(parse_ms),
                name: p.name,
            })
            .collect();
        let value = |v: &Option<String>| v.as_deref().and_then(parse_ms);
        Ok(Some(PastSession { start_ms: value(&past.start_time), end_ms: value(&past.end_time), joins }))
    }
}

/// The body Zoom gets for `plan`, as JSON (for logs without secrets and for tests).
pub fn create_body_json(plan: &MeetingPlan) -> Value {
    serde_json::to_value(create_body(plan)).unwrap_or(Value::Null)
}

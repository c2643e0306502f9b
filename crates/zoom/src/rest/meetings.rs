//! Meetings: create (`POST /users/{userId}/meetings`, 201), get, update (`PATCH`, 204) and delete
//! (204), recurring meetings included.
//!
//! With a Server-to-Server token `userId` is the host's e-mail or id, never `me`. A recurring
//! meeting with a fixed time is type 8 with a `recurrence` whose `weekly_days` is a
//! comma-separated string (1 = Sunday … 7 = Saturday); Zoom answers with its `occurrences`.

use reqwest::Method;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use super::budget::Category;
use super::client::{ApiCall, ZoomClient};
use super::encoding::encode_path_segment;
use super::errors::ZoomError;
use crate::models::id_from_string_or_number;

/// A meeting's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingType {
    Instant,
    Scheduled,
    RecurringNoFixedTime,
    RecurringFixedTime,
    Other(i64),
}

impl From<i64> for MeetingType {
    fn from(n: i64) -> Self {
        match n {
            1 => Self::Instant,
            2 => Self::Scheduled,
            3 => Self::RecurringNoFixedTime,
            8 => Self::RecurringFixedTime,
            n => Self::Other(n),
        }
    }
}

impl From<MeetingType> for i64 {
    fn from(t: MeetingType) -> i64 {
        match t {
            MeetingType::Instant => 1,
            MeetingType::Scheduled => 2,
            MeetingType::RecurringNoFixedTime => 3,
            MeetingType::RecurringFixedTime => 8,
            MeetingType::Other(n) => n,
        }
    }
}

impl Serialize for MeetingType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64((*self).into())
    }
}

impl<'de> Deserialize<'de> for MeetingType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Self::from)
    }
}

/// A recurrence's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecurrenceType {
    Daily,
    Weekly,
    Monthly,
    Other(i64),
}

impl Serialize for RecurrenceType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(match self {
            Self::Daily => 1,
            Self::Weekly => 2,
            Self::Monthly => 3,
            Self::Other(n) => *n,
        })
    }
}

impl<'de> Deserialize<'de> for RecurrenceType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match i64::deserialize(d)? {
            1 => Self::Daily,
            2 => Self::Weekly,
            3 => Self::Monthly,
            n => Self::Other(n),
        })
    }
}

/// Days of the week, 1 = Sunday … 7 = Saturday, sent as Zoom wants them: `"2,4"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyDays(pub Vec<u8>);

impl Serialize for WeeklyDays {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text: Vec<String> = self.0.iter().map(u8::to_string).collect();
        s.serialize_str(&text.join(","))
    }
}

impl<'de> Deserialize<'de> for WeeklyDays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => return Err(serde::de::Error::custom(format!("weekly_days {other} is not a day list"))),
        };
        text.split(',')
            .map(|day| {
                day.trim()
                    .parse::<u8>()
                    .map_err(|_| serde::de::Error::custom(format!("weekly_days {text:?} is not a day list")))
            })
            .collect::<Result<Vec<u8>, _>>()
            .map(WeeklyDays)
    }
}

/// A meeting's `recurrence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recurrence {
    #[serde(rename = "type")]
    pub kind: RecurrenceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_days: Option<WeeklyDays>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_day: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_week: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_week_day: Option<u32>,
    /// 1–50 occurrences; or `end_date_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
}

impl Recurrence {
    /// Every `interval` weeks on `days` (1 = Sunday), `times` occurrences.
    pub fn weekly(interval: u32, days: &[u8], times: u32) -> Self {
        Self {
            kind: RecurrenceType::Weekly,
            repeat_interval: Some(interval),
            weekly_days: Some(WeeklyDays(days.to_vec())),
            monthly_day: None,
            monthly_week: None,
            monthly_week_day: None,
            end_times: Some(times),
            end_date_time: None,
        }
    }
}

/// An invitee of `settings.meeting_invitees`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub email: String,
}

/// The settings this system sets; others are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeetingSettings {
    /// `cloud`, `local` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_invitees: Option<Vec<Invitee>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    /// Comma-separated e-mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_hosts: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_type: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of a create call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateMeeting {
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: MeetingType,
    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC (see [`zoom_time`]), or a local time with `timezone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<MeetingSettings>,
}

impl CreateMeeting {
    /// A scheduled meeting (type 2) at `start` for `duration` minutes.
    pub fn scheduled(topic: impl Into<String>, start: OffsetDateTime, duration: u32) -> Self {
        Self {
            topic: topic.into(),
            kind: MeetingType::Scheduled,
            start_time: Some(zoom_time(start)),
            duration: Some(duration),
            timezone: None,
            agenda: None,
            password: None,
            recurrence: None,
            settings: None,
        }
    }
}

/// The body of an update call: only the fields set change.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateMeeting {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<MeetingType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<MeetingSettings>,
}

/// One occurrence of a recurring meeting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub occurrence_id: String,
    pub start_time: String,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub status: Option<String>,
}

/// A meeting as Zoom returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    #[serde(deserialize_with = "id_from_string_or_number")]
    pub id: i64,
    pub uuid: String,
    #[serde(default)]
    pub host_id: Option<String>,
    #[serde(default)]
    pub host_email: Option<String>,
    #[serde(default)]
    pub topic: String,
    #[serde(rename = "type")]
    pub kind: MeetingType,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub agenda: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
    /// Starts the meeting as its host: treat as a secret.
    #[serde(default)]
    pub start_url: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub recurrence: Option<Recurrence>,
    #[serde(default)]
    pub occurrences: Vec<Occurrence>,
    #[serde(default)]
    pub settings: Option<MeetingSettings>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A UTC time the way Zoom writes it: `yyyy-MM-ddTHH:mm:ssZ`.
pub fn zoom_time(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC).format(format).unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

impl ZoomClient {
    /// Creates a meeting hosted by `user_id` (an e-mail or a user id).
    pub async fn create_meeting(&self, user_id: &str, meeting: &CreateMeeting) -> Result<Meeting, ZoomError> {
        let path = format!("/users/{}/meetings", encode_path_segment(user_id));
        self.send_json(ApiCall::new(Method::POST, path, Category::Medium).json(meeting)?).await
    }

    pub async fn get_meeting(&self, meeting_id: i64) -> Result<Meeting, ZoomError> {
        self.send_json(ApiCall::new(Method::GET, format!("/meetings/{meeting_id}"), Category::Light)).await
    }

    pub async fn update_meeting(&self, meeting_id: i64, update: &UpdateMeeting) -> Result<(), ZoomError> {
        self.send(ApiCall::new(Method::PATCH, format!("/meetings/{meeting_id}"), Category::Light).json(update)?)
            .await
            .map(drop)
    }

    pub async fn delete_meeting(&self, meeting_id: i64) -> Result<(), ZoomError> {
        self.send(ApiCall::new(Method::DELETE, format!("/meetings/{meeting_id}"), Category::Light)).await.map(drop)
    }

    /// Deletes one occurrence of a recurring meeting.
    pub async fn delete_occurrence(&self, meeting_id: i64, occurrence_id: &str) -> Result<(), ZoomError> {
        let call = ApiCall::new(Method::DELETE, format!("/meetings/{meeting_id}"), Category::Light)
            .query("occurrence_id", occurrence_id);
        self.send(call).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_days_travel_as_a_comma_separated_string() {
        let recurrence = Recurrence::weekly(1, &[2, 4], 6);
        let json = serde_json::to_value(&recurrence).expect("serialises");
        assert_eq!(json, serde_json::json!({"type": 2, "repeat_interval": 1, "weekly_days": "2,4", "end_times": 6}));
        let back: Recurrence = serde_json::from_value(json).expect("parses");
        assert_eq!(back, recurrence);
    }

    #[test]
    fn zoom_times_have_no_fraction_and_end_in_z() {
        let at = OffsetDateTime::from_unix_timestamp(1_764_579_612).expect("time") + time::Duration::milliseconds(345);
        assert_eq!(zoom_time(at), "2025-12-01T09:00:12Z");
    }
}

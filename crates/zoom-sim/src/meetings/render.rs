//! A meeting as Zoom's create and get calls return it.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::clock::zoom_time;
use crate::meetings::recurrence::{self, Occurrence};
use crate::store::{Meeting, Recurrence};

/// The settings a meeting has when the request does not say otherwise (Zoom's defaults).
pub(crate) fn default_settings() -> Map<String, Value> {
    let defaults = json!({
        "host_video": false,
        "participant_video": false,
        "join_before_host": false,
        "jbh_time": 0,
        "mute_upon_entry": false,
        "watermark": false,
        "use_pmi": false,
        "approval_type": 2,
        "audio": "voip",
        "auto_recording": "none",
        "enforce_login": false,
        "enforce_login_domains": "",
        "alternative_hosts": "",
        "waiting_room": false,
        "meeting_authentication": false,
        "encryption_type": "enhanced_encryption",
        "private_meeting": false,
        "email_notification": true,
        "meeting_invitees": [],
    });
    match defaults {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A stable stand-in for Zoom's encrypted passcode in `join_url?pwd=`.
pub(crate) fn encrypted_password(m: &Meeting) -> String {
    let digest = Sha256::digest(format!("{}:{}", m.id, m.password).as_bytes());
    hex::encode(&digest[..16])
}

fn recurrence_json(r: &Recurrence) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!(r.kind));
    out.insert("repeat_interval".into(), json!(r.repeat_interval));
    if let Some(days) = &r.weekly_days {
        out.insert("weekly_days".into(), json!(days));
    }
    if let Some(day) = r.monthly_day {
        out.insert("monthly_day".into(), json!(day));
    }
    if let Some(week) = r.monthly_week {
        out.insert("monthly_week".into(), json!(week));
    }
    if let Some(day) = r.monthly_week_day {
        out.insert("monthly_week_day".into(), json!(day));
    }
    if let Some(n) = r.end_times {
        out.insert("end_times".into(), json!(n));
    }
    if let Some(ms) = r.end_date_time_ms {
        out.insert("end_date_time".into(), json!(zoom_time(ms)));
    }
    Value::Object(out)
}

/// The occurrences Zoom shows: with `now_ms`, only those not over yet (what `GET` answers unless
/// `show_previous_occurrences=true`); with `None`, all of them.
pub(crate) fn visible_occurrences(m: &Meeting, now_ms: Option<i64>) -> Vec<Occurrence> {
    let mut list = recurrence::of_meeting(m);
    if let Some(now) = now_ms {
        list.retain(|o| recurrence::start_ms(o) + i64::from(o.duration) * 60_000 > now);
    }
    list
}

/// The meeting's `join_url`.
pub(crate) fn join_url(m: &Meeting, base_url: &str) -> String {
    format!("{base_url}/j/{}?pwd={}", m.id, encrypted_password(m))
}

/// The JSON body of `POST /users/{userId}/meetings` (201) and `GET /meetings/{meetingId}` (200);
/// `now_ms` hides the occurrences that are over (see [`visible_occurrences`]).
pub(crate) fn meeting_json(m: &Meeting, base_url: &str, now_ms: Option<i64>) -> Value {
    let pwd = encrypted_password(m);
    let mut out = json!({
        "uuid": m.uuid,
        "id": m.id,
        "host_id": m.host_id,
        "host_email": m.host_email,
        "topic": m.topic,
        "type": m.kind,
        "status": m.status,
        "duration": m.duration,
        "timezone": m.timezone,
        "agenda": m.agenda,
        "created_at": zoom_time(m.created_at_ms),
        "start_url": format!("{base_url}/s/{}?zak=sim", m.id),
        "join_url": join_url(m, base_url),
        "password": m.password,
        "h323_password": m.password,
        "encrypted_password": pwd,
        "settings": m.settings,
        "pre_schedule": false,
    });
    let Value::Object(map) = &mut out else {
        return out;
    };
    // A recurring meeting with no fixed time (type 3) has no start time.
    if m.kind != 3 {
        map.insert("start_time".into(), json!(zoom_time(m.start_time_ms)));
    }
    if let Some(r) = &m.recurrence {
        map.insert("recurrence".into(), recurrence_json(r));
        if m.kind == 8 {
            map.insert("occurrences".into(), json!(visible_occurrences(m, now_ms)));
        }
    }
    out
}

//! Reading a create or update body the way Zoom validates it: wrong types and values answer 400
//! with code 300 naming the field (`recurrence.weekly_days`, `settings.meeting_invitees[0].email`…).

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::ids::is_email;
use crate::store::Recurrence;

/// A `start_time` as sent: UTC with `Z`, or local time to be read in the meeting's time zone.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StartTime {
    Utc(i64),
    Local(DateTime),
}

/// The fields of a create or update body; `None` means "not sent".
#[derive(Debug, Default)]
pub(crate) struct MeetingInput {
    pub topic: Option<String>,
    pub kind: Option<u8>,
    pub start_time: Option<StartTime>,
    pub duration: Option<u32>,
    pub timezone: Option<String>,
    pub agenda: Option<String>,
    pub password: Option<String>,
    pub recurrence: Option<Recurrence>,
    pub settings: Option<Map<String, Value>>,
}

/// Parses a request body into a JSON object, as Zoom requires.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::InvalidJson),
    }
}

/// Validates every field that is present.
pub(crate) fn parse(body: &Map<String, Value>) -> Result<MeetingInput, ApiError> {
    let mut input = MeetingInput { topic: opt_string(body, "topic", 200)?, ..MeetingInput::default() };
    if let Some(v) = present(body, "type") {
        match v.as_u64() {
            Some(k @ (1 | 2 | 3 | 8)) => input.kind = Some(k as u8),
            _ => return Err(ApiError::invalid("type", "must be 1 (instant), 2 (scheduled), 3 or 8 (recurring)")),
        }
    }
    if let Some(v) = present(body, "start_time") {
        let text = v.as_str().ok_or_else(|| bad_start_time("start_time"))?;
        input.start_time = Some(parse_start_time(text, "start_time")?);
    }
    if let Some(v) = present(body, "duration") {
        match v.as_u64() {
            Some(d) if d <= 24 * 60 => input.duration = Some(d as u32),
            _ => return Err(ApiError::invalid("duration", "must be a whole number of minutes, at most 1440")),
        }
    }
    if let Some(tz) = opt_string(body, "timezone", 64)? {
        if TimeZone::get(&tz).is_err() {
            return Err(ApiError::invalid("timezone", format!("unknown time zone {tz}")));
        }
        input.timezone = Some(tz);
    }
    input.agenda = opt_string(body, "agenda", 2000)?;
    if let Some(password) = opt_string(body, "password", 10)? {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "@-_*".contains(c);
        if !password.chars().all(allowed) {
            return Err(ApiError::invalid("password", "may only contain letters, digits and @ - _ *"));
        }
        input.password = Some(password);
    }
    if let Some(v) = present(body, "recurrence") {
        input.recurrence = Some(parse_recurrence(v)?);
    }
    if let Some(v) = present(body, "settings") {
        let settings = v.as_object().ok_or_else(|| ApiError::invalid("settings", "must be an object"))?;
        check_settings(settings)?;
        input.settings = Some(settings.clone());
    }
    Ok(input)
}

/// A field that is present and not null (Zoom treats `null` as absent).
fn present<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

fn opt_string(body: &Map<String, Value>, key: &str, max_chars: usize) -> Result<Option<String>, ApiError> {
    let Some(v) = present(body, key) else {
        return Ok(None);
    };
    let text = v.as_str().ok_or_else(|| ApiError::invalid(key, "must be a string"))?;
    if text.chars().count() > max_chars {
        return Err(ApiError::invalid(key, format!("must be at most {max_chars} characters")));
    }
    Ok(Some(text.to_string()))
}

fn bad_start_time(field: &str) -> ApiError {
    ApiError::invalid(field, "must be yyyy-MM-ddTHH:mm:ssZ (UTC) or yyyy-MM-ddTHH:mm:ss with timezone")
}

/// `yyyy-MM-ddTHH:mm:ssZ` is UTC; without `Z` it is local time in the meeting's `timezone`.
pub(crate) fn parse_start_time(text: &str, field: &str) -> Result<StartTime, ApiError> {
    let (civil, utc) = match text.strip_suffix('Z') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    // Exactly the documented shape: 19 characters, no fraction, no offset.
    if civil.len() != 19 || civil.as_bytes().get(10) != Some(&b'T') {
        return Err(bad_start_time(field));
    }
    let dt: DateTime = civil.parse().map_err(|_| bad_start_time(field))?;
    if !utc {
        return Ok(StartTime::Local(dt));
    }
    let ts = dt.to_zoned(TimeZone::UTC).map_err(|_| bad_start_time(field))?.timestamp();
    Ok(StartTime::Utc(ts.as_millisecond()))
}

fn int_field(
    rec: &Map<String, Value>,
    key: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, ApiError> {
    let Some(v) = present(rec, key) else {
        return Ok(None);
    };
    match v.as_i64() {
        Some(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::invalid(
            format!("recurrence.{key}"),
            format!("must be a whole number from {} to {}", range.start(), range.end()),
        )),
    }
}

fn parse_recurrence(v: &Value) -> Result<Recurrence, ApiError> {
    let rec = v.as_object().ok_or_else(|| ApiError::invalid("recurrence", "must be an object"))?;
    let kind = match present(rec, "type").and_then(Value::as_u64) {
        Some(k @ 1..=3) => k as u8,
        _ => return Err(ApiError::invalid("recurrence.type", "must be 1 (daily), 2 (weekly) or 3 (monthly)")),
    };
    // Zoom's ceilings: every 90 days, 12 weeks or 3 months at most.
    let max_interval = match kind {
        1 => 90,
        2 => 12,
        _ => 3,
    };
    let repeat_interval = int_field(rec, "repeat_interval", 1..=max_interval)?.unwrap_or(1) as u32;
    let weekly_days = match present(rec, "weekly_days") {
        None => None,
        Some(Value::String(s)) => Some(parse_weekly_days(s)?),
        // Zoom takes a comma-separated *string*; a number or an array is refused.
        Some(_) => return Err(weekly_days_error()),
    };
    let monthly_day = int_field(rec, "monthly_day", 1..=31)?.map(|d| d as u8);
    let monthly_week = int_field(rec, "monthly_week", -1..=4)?.map(|w| w as i8);
    if monthly_week == Some(0) {
        return Err(ApiError::invalid("recurrence.monthly_week", "must be -1 (last), 1, 2, 3 or 4"));
    }
    let monthly_week_day = int_field(rec, "monthly_week_day", 1..=7)?.map(|d| d as u8);
    let end_times = int_field(rec, "end_times", 1..=50)?.map(|n| n as u32);
    let end_date_time_ms = match present(rec, "end_date_time") {
        None => None,
        Some(v) => match v.as_str().map(|s| parse_start_time(s, "recurrence.end_date_time")) {
            Some(Ok(StartTime::Utc(ms))) => Some(ms),
            _ => return Err(ApiError::invalid("recurrence.end_date_time", "must be yyyy-MM-ddTHH:mm:ssZ (UTC)")),
        },
    };
    if end_times.is_some() && end_date_time_ms.is_some() {
        return Err(ApiError::invalid("recurrence.end_date_time", "cannot be used together with end_times"));
    }
    if kind == 3 && monthly_day.is_none() && (monthly_week.is_none() || monthly_week_day.is_none()) {
        return Err(ApiError::invalid(
            "recurrence.monthly_day",
            "a monthly recurrence needs monthly_day or monthly_week and monthly_week_day",
        ));
    }
    Ok(Recurrence {
        kind,
        repeat_interval,
        weekly_days,
        monthly_day,
        monthly_week,
        monthly_week_day,
        // Zoom's default when neither end is given is a single occurrence.
        end_times: if end_date_time_ms.is_none() { Some(end_times.unwrap_or(1)) } else { None },
        end_date_time_ms,
    })
}

fn weekly_days_error() -> ApiError {
    ApiError::invalid(
        "recurrence.weekly_days",
        "must be a comma-separated string of days 1-7, 1 = Sunday, e.g. \"2,4\"",
    )
}

/// Digits 1–7 separated by commas, no repeats; echoed back as sent.
fn parse_weekly_days(s: &str) -> Result<String, ApiError> {
    let mut seen = [false; 8];
    for part in s.split(',') {
        let day: usize = part.trim().parse().map_err(|_| weekly_days_error())?;
        if !(1..=7).contains(&day) || seen[day] {
            return Err(weekly_days_error());
        }
        seen[day] = true;
    }
    Ok(s.to_string())
}

const BOOL_SETTINGS: &[&str] = &[
    "host_video",
    "participant_video",
    "join_before_host",
    "mute_upon_entry",
    "waiting_room",
    "watermark",
    "use_pmi",
    "enforce_login",
    "registrants_email_notification",
    "meeting_authentication",
    "private_meeting",
    "email_notification",
    "alternative_hosts_email_notification",
    "allow_multiple_devices",
    "auto_start_meeting_summary",
];

fn check_settings(settings: &Map<String, Value>) -> Result<(), ApiError> {
    for key in BOOL_SETTINGS {
        if present(settings, key).is_some_and(|v| !v.is_boolean()) {
            return Err(ApiError::invalid(format!("settings.{key}"), "must be true or false"));
        }
    }
    if let Some(v) = present(settings, "auto_recording")
        && !matches!(v.as_str(), Some("local" | "cloud" | "none"))
    {
        return Err(ApiError::invalid("settings.auto_recording", "must be local, cloud or none"));
    }
    if let Some(v) = present(settings, "approval_type")
        && !matches!(v.as_u64(), Some(0..=2))
    {
        return Err(ApiError::invalid("settings.approval_type", "must be 0, 1 or 2"));
    }
    if let Some(v) = present(settings, "jbh_time")
        && !matches!(v.as_u64(), Some(0 | 5 | 10 | 15))
    {
        return Err(ApiError::invalid("settings.jbh_time", "must be 0, 5, 10 or 15"));
    }
    if let Some(v) = present(settings, "audio")
        && !matches!(v.as_str(), Some("both" | "telephony" | "voip" | "thirdParty"))
    {
        return Err(ApiError::invalid("settings.audio", "must be both, telephony, voip or thirdParty"));
    }
    if let Some(v) = present(settings, "alternative_hosts") {
        let hosts = v.as_str().ok_or_else(|| ApiError::invalid("settings.alternative_hosts", "must be a string"))?;
        let bad = hosts.split([';', ',']).map(str::trim).filter(|h| !h.is_empty()).find(|h| !is_email(h));
        if let Some(bad) = bad {
            return Err(ApiError::invalid("settings.alternative_hosts", format!("{bad} is not an e-mail address")));
        }
    }
    if let Some(v) = present(settings, "meeting_invitees") {
        let list = v.as_array().ok_or_else(|| ApiError::invalid("settings.meeting_invitees", "must be an array"))?;
        for (i, invitee) in list.iter().enumerate() {
            let email = invitee.get("email").and_then(Value::as_str);
            if !email.is_some_and(is_email) {
                return Err(ApiError::invalid(
                    format!("settings.meeting_invitees[{i}].email"),
                    "must be an e-mail address",
                ));
            }
        }
    }
    Ok(())
}

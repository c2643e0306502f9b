//! User settings as `GET /users/{userId}/settings` shapes them: sections `schedule_meeting`,
//! `in_meeting`, `email_notification`, `recording`, `telephony`, `feature`. Each user keeps only
//! what differs from the defaults below (a licensed user of an account that allows cloud recording
//! with chat and audio transcripts); tests change them through `/_sim/users/{userId}/settings`.
//!
//! The settings matter beyond the endpoint, as on Zoom: a new meeting inherits the host's
//! scheduling defaults for settings its create body leaves out, and a played meeting has no chat,
//! no cloud recording, no chat file or no transcript when the host's settings turn them off.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The settings of a user who changed nothing. Note `schedule_meeting.participants_video`: the
/// user setting is plural where the meeting setting is `participant_video`.
pub(crate) fn defaults() -> Map<String, Value> {
    let defaults = json!({
        "schedule_meeting": {
            "host_video": false,
            "participants_video": false,
            "audio_type": "voip",
            "join_before_host": false,
            "jbh_time": 0,
            "force_pmi_jbh_password": false,
            "pstn_password_protected": false,
            "use_pmi_for_scheduled_meetings": false,
            "use_pmi_for_instant_meetings": false,
            "require_password_for_scheduling_new_meetings": true,
            "require_password_for_instant_meetings": true,
            "require_password_for_pmi_meetings": "jbh_only",
            "embed_password_in_join_link": true,
            "mute_upon_entry": false,
            "personal_meeting": false,
        },
        "in_meeting": {
            "e2e_encryption": false,
            "chat": true,
            "allow_participants_chat_with": 1,
            "allow_users_save_chats": 2,
            "private_chat": true,
            "auto_saving_chat": false,
            "entry_exit_chime": "host",
            "file_transfer": false,
            "feedback": false,
            "co_host": false,
            "polling": false,
            "annotation": true,
            "remote_control": true,
            "non_verbal_feedback": false,
            "breakout_room": false,
            "closed_caption": false,
            "virtual_background": true,
            "waiting_room": false,
            "screen_sharing": true,
            "who_can_share_screen": "host",
        },
        "email_notification": {
            "jbh_reminder": true,
            "cancel_meeting_reminder": true,
            "alternative_host_reminder": true,
            "schedule_for_reminder": true,
            "cloud_recording_available_reminder": true,
        },
        "recording": {
            "local_recording": true,
            "cloud_recording": true,
            "record_speaker_view": true,
            "record_gallery_view": false,
            "record_audio_file": true,
            "save_chat_text": true,
            "show_timestamp": false,
            "recording_audio_transcript": true,
            "auto_recording": "none",
            "host_pause_stop_recording": true,
            "auto_delete_cmr": false,
            "cloud_recording_download": true,
            "cloud_recording_download_host": true,
            "account_user_access_recording": false,
            "host_delete_cloud_recording": true,
        },
        "telephony": {"third_party_audio": false, "audio_conference_info": "", "show_international_numbers_link": true},
        "feature": {"meeting_capacity": 100, "large_meeting": false, "webinar": false, "zoom_phone": false},
    });
    match defaults {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The user's settings: the defaults with the user's changes applied.
pub(crate) fn effective(changes: &Map<String, Value>) -> Map<String, Value> {
    let mut settings = defaults();
    merge(&mut settings, changes);
    settings
}

/// Merges `patch` into `target`, object by object; any other value replaces what was there.
pub(crate) fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match (target.get_mut(key), value) {
            (Some(Value::Object(inner)), Value::Object(patch)) => merge(inner, patch),
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Checks a change to a user's settings: sections are objects, and a setting the defaults know
/// keeps its JSON type (`"cloud_recording": "no"` names the field). Unknown settings are kept.
pub(crate) fn check_change(patch: &Value) -> Result<&Map<String, Value>, ApiError> {
    let patch = patch.as_object().ok_or_else(|| ApiError::invalid("settings", "must be an object"))?;
    let defaults = defaults();
    for (section, values) in patch {
        let values = values.as_object().ok_or_else(|| ApiError::invalid(section.clone(), "must be an object"))?;
        let Some(Value::Object(known)) = defaults.get(section) else {
            continue;
        };
        for (key, value) in values {
            let Some(default) = known.get(key) else {
                continue;
            };
            if std::mem::discriminant(default) != std::mem::discriminant(value) {
                return Err(ApiError::invalid(format!("{section}.{key}"), format!("must be like {default}")));
            }
        }
    }
    Ok(patch)
}

/// A setting of `settings`, e.g. `flag(s, "recording", "cloud_recording")`; missing reads as off.
pub(crate) fn flag(settings: &Map<String, Value>, section: &str, key: &str) -> bool {
    settings.get(section).and_then(|s| s.get(key)).and_then(Value::as_bool).unwrap_or(false)
}

/// The meeting settings a new meeting inherits from its host for what its create body leaves out.
pub(crate) fn meeting_defaults(settings: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut copy = |section: &str, key: &str, as_key: &str| {
        if let Some(value) = settings.get(section).and_then(|s| s.get(key)) {
            out.insert(as_key.to_string(), value.clone());
        }
    };
    copy("recording", "auto_recording", "auto_recording");
    copy("schedule_meeting", "host_video", "host_video");
    copy("schedule_meeting", "participants_video", "participant_video");
    copy("schedule_meeting", "join_before_host", "join_before_host");
    copy("schedule_meeting", "jbh_time", "jbh_time");
    copy("schedule_meeting", "mute_upon_entry", "mute_upon_entry");
    copy("in_meeting", "waiting_room", "waiting_room");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_merges_into_its_section_and_keeps_the_rest() {
        let change = json!({"recording": {"cloud_recording": false}});
        let settings = effective(check_change(&change).expect("valid"));
        assert!(!flag(&settings, "recording", "cloud_recording"));
        assert!(flag(&settings, "recording", "save_chat_text"));
        assert!(flag(&settings, "in_meeting", "chat"));
    }

    #[test]
    fn a_known_setting_of_the_wrong_type_is_refused_by_name() {
        let error = check_change(&json!({"recording": {"cloud_recording": "no"}})).expect_err("refused");
        assert!(error.to_string().contains("recording.cloud_recording"), "{error}");
        assert!(check_change(&json!({"recording": true})).is_err());
        assert!(check_change(&json!({"recording": {"something_new": 1}})).is_ok());
    }
}

//! The text files of a cloud recording: the chat log (TXT), the transcript (WebVTT) and the
//! timeline (JSON). Times in them are relative to the start of the recording.

use serde_json::json;

/// `HH:MM:SS` for a number of seconds (negative clamps to zero).
fn hms(secs: i64) -> String {
    let s = secs.max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// `HH:MM:SS.mmm` as WebVTT wants.
fn vtt_time(secs: f64) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as i64;
    format!("{}.{:03}", hms(ms / 1000), ms % 1000)
}

/// A chat message as it lands in the chat file.
pub(crate) struct ChatLine<'a> {
    pub offset_secs: i64,
    pub sender: &'a str,
    pub text: &'a str,
}

/// Zoom's chat file: a header line per message, the message indented by a tab on the next line.
pub(crate) fn chat_txt(lines: &[ChatLine<'_>]) -> String {
    lines
        .iter()
        .map(|l| {
            format!("{} From {} to Everyone:\r\n\t{}\r\n", hms(l.offset_secs), l.sender, l.text.replace('\n', "\r\n\t"))
        })
        .collect()
}

/// A transcript cue relative to the recording start.
pub(crate) struct Cue<'a> {
    pub start_secs: f64,
    pub end_secs: f64,
    pub speaker: &'a str,
    pub text: &'a str,
}

/// WebVTT with numbered cues, `Speaker: text`, as Zoom writes audio transcripts.
pub(crate) fn vtt(cues: &[Cue<'_>]) -> String {
    let mut out = String::from("WEBVTT\n");
    for (i, c) in cues.iter().enumerate() {
        out.push_str(&format!(
            "\n{}\n{} --> {}\n{}: {}\n",
            i + 1,
            vtt_time(c.start_secs),
            vtt_time(c.end_secs),
            c.speaker,
            c.text
        ));
    }
    out
}

/// Who was in the meeting from a moment on.
pub(crate) struct TimelineEntry {
    pub offset_secs: i64,
    pub users: Vec<(String, String)>,
}

/// The timeline file: who was present at each change.
pub(crate) fn timeline_json(entries: &[TimelineEntry]) -> String {
    let timeline: Vec<_> = entries
        .iter()
        .map(|e| {
            let users: Vec<_> = e
                .users
                .iter()
                .map(|(name, email)| json!({"username": name, "multiple_people": false, "email_address": email}))
                .collect();
            json!({"ts": format!("{}.000", hms(e.offset_secs)), "users": users})
        })
        .collect();
    json!({"timeline": timeline}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_is_webvtt_with_numbered_cues() {
        let text = vtt(&[Cue { start_secs: 1.5, end_secs: 4.0, speaker: "Anna", text: "Hello" }]);
        assert_eq!(text, "WEBVTT\n\n1\n00:00:01.500 --> 00:00:04.000\nAnna: Hello\n");
    }
}

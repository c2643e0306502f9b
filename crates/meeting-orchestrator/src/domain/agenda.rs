//! The meeting's topic and agenda as Zoom gets them, within Zoom's limits (200 characters of
//! topic, 2,000 of agenda), and the marker that lets a restarted request find the meeting it
//! made.
//!
//! The marker is the agenda's first line: Zoom's meeting list cuts agendas to 250 characters, so
//! a marker at the start is always in the listed part and finding the meeting costs no fetch.

use super::stage::{Person, StageInfo};

pub const TOPIC_LIMIT: usize = 200;
pub const AGENDA_LIMIT: usize = 2000;

/// The marker of the meeting `meeting_id` (one of ours, never seen twice).
pub fn marker(meeting_id: &str) -> String {
    format!("[butterboard {meeting_id}]")
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// `text` cut to `limit` characters, ending in `…` when cut.
fn cut(text: &str, limit: usize) -> String {
    if chars(text) <= limit {
        return text.to_string();
    }
    let kept: String = text.chars().take(limit.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// "Meet the team: Anna Smirnova, Boris Petrov", or the count when the names do not fit.
pub fn topic(stage_title: &str, employees: &[&Person]) -> String {
    let names: Vec<&str> = employees.iter().map(|p| p.label()).collect();
    let full = match names.len() {
        0 => stage_title.to_string(),
        _ => format!("{stage_title}: {}", names.join(", ")),
    };
    if chars(&full) <= TOPIC_LIMIT {
        return full;
    }
    let counted = format!(" ({} new employees)", names.len());
    format!("{}{counted}", cut(stage_title, TOPIC_LIMIT - chars(&counted)))
}

fn section(heading: &str, lines: &[String]) -> Option<String> {
    (!lines.is_empty()).then(|| format!("{heading}\n{}", lines.join("\n")))
}

/// The agenda: the marker, the stage's agenda, its goals and its materials as links. When it
/// would not fit, the stage's agenda text is shortened first, then materials and goals are left
/// out from the end; the marker always stays.
pub fn agenda(marker: &str, stage: &StageInfo) -> String {
    let goals: Vec<String> = stage.goals.iter().map(|g| format!("- {}", g.trim())).collect();
    let mut materials: Vec<String> = stage
        .materials
        .iter()
        .filter(|m| !m.url.trim().is_empty())
        .map(|m| format!("- {}: {}", m.title.trim(), m.url.trim()))
        .collect();
    let mut goals = goals;
    let text = stage.agenda.trim();
    loop {
        let tail: Vec<String> =
            [section("Goals:", &goals), section("Materials:", &materials)].into_iter().flatten().collect();
        let tail = tail.join("\n\n");
        // The marker line, the text, the tail, and the blank lines between them.
        let fixed = chars(marker) + 1 + if tail.is_empty() { 0 } else { chars(&tail) + 2 };
        if fixed < AGENDA_LIMIT || (materials.is_empty() && goals.is_empty()) {
            let budget = AGENDA_LIMIT.saturating_sub(fixed);
            let mut parts = vec![marker.to_string()];
            let body = cut(text, budget);
            let mut rest = Vec::new();
            if !body.is_empty() {
                rest.push(body);
            }
            if !tail.is_empty() {
                rest.push(tail);
            }
            parts.push(rest.join("\n\n"));
            return cut(parts.join("\n").trim_end(), AGENDA_LIMIT);
        }
        if materials.pop().is_none() {
            goals.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stage::{Material, StageKind};

    fn stage(agenda: &str, goals: &[&str]) -> StageInfo {
        StageInfo {
            scenario_id: "s".into(),
            scenario_version: 1,
            scenario_name: "Onboarding".into(),
            stage_id: "meet".into(),
            title: "Meet the team".into(),
            kind: StageKind::Meeting,
            weekly: None,
            duration_minutes: 45,
            agenda: agenda.into(),
            goals: goals.iter().map(|g| g.to_string()).collect(),
            materials: vec![
                Material { title: "Handbook".into(), url: "https://wiki/handbook".into(), previous_recording: false },
                Material { title: "Last time".into(), url: String::new(), previous_recording: true },
            ],
            questions: vec![],
            recording_privacy: 2,
            schedule_automatically: false,
        }
    }

    #[test]
    fn the_agenda_starts_with_the_marker_and_lists_goals_and_linked_materials() {
        let agenda = agenda("[butterboard m1]", &stage("1. Introductions\n", &["Know the team"]));
        assert_eq!(
            agenda,
            "[butterboard m1]\n1. Introductions\n\nGoals:\n- Know the team\n\nMaterials:\n- Handbook: https://wiki/handbook"
        );
    }

    #[test]
    fn a_long_agenda_is_shortened_to_zoom_s_limit_keeping_marker_goals_and_materials() {
        let long = "x".repeat(5000);
        let agenda = agenda("[butterboard m1]", &stage(&long, &["Know the team"]));
        assert_eq!(agenda.chars().count(), AGENDA_LIMIT);
        assert!(agenda.starts_with("[butterboard m1]\nxxx"));
        assert!(agenda.contains("…\n\nGoals:\n- Know the team\n\nMaterials:\n- Handbook"));
        let many: Vec<String> = (0..200).map(|i| format!("goal number {i} of many")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let agenda = super::agenda("[butterboard m1]", &stage("short", &refs));
        assert!(agenda.chars().count() <= AGENDA_LIMIT && agenda.starts_with("[butterboard m1]\n"));
    }

    #[test]
    fn a_topic_names_the_cohort_or_counts_it_when_the_names_do_not_fit() {
        let anna = Person::new("anna@x.com", "Anna Smirnova", "");
        let boris = Person::new("boris@x.com", "", "");
        assert_eq!(topic("Meet the team", &[&anna, &boris]), "Meet the team: Anna Smirnova, boris");
        let crowd: Vec<Person> = (0..40).map(|i| Person::new(&format!("p{i}@x.com"), "Somebody Long", "")).collect();
        let refs: Vec<&Person> = crowd.iter().collect();
        assert_eq!(topic("Meet the team", &refs), "Meet the team (40 new employees)");
    }
}

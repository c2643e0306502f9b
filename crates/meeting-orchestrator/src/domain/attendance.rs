//! Attendance from Zoom's participant events: each join is paired with its leave by the join's
//! own id, a person's intervals are clipped to the session and merged (two devices do not count
//! twice), and people are matched by e-mail or, when Zoom showed none, kept by name.
//!
//! The events are a set, not a sequence: the same events in any order, or twice, give the same
//! attendance. A leave whose join never came counts from the session's start; a join without its
//! leave counts until the session's end (or `until` while it runs).

use std::collections::BTreeMap;

/// A join or a leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Join,
    Leave,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Join => "join",
            Kind::Leave => "leave",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "join" => Some(Kind::Join),
            "leave" => Some(Kind::Leave),
            _ => None,
        }
    }
}

/// One participant event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantEvent {
    pub kind: Kind,
    /// Identifies one join (Zoom's `participant_uuid`, else its `user_id`).
    pub join_key: String,
    /// Lower-cased; empty for guests Zoom shows without an e-mail.
    pub email: String,
    pub name: String,
    pub at_ms: i64,
}

/// The session's bounds, as far as they are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// How one person took part in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonAttendance {
    /// Empty for a guest kept by name.
    pub email: String,
    pub name: String,
    pub seconds_present: u32,
    pub intervals: u32,
    pub first_joined_ms: i64,
    pub last_left_ms: i64,
    pub joined_late: bool,
    pub left_early: bool,
}

impl PersonAttendance {
    /// The key people are matched by: the e-mail, else the name.
    pub fn key(&self) -> String {
        person_key(&self.email, &self.name)
    }
}

fn person_key(email: &str, name: &str) -> String {
    if email.is_empty() { format!("name:{}", name.trim()) } else { email.to_string() }
}

/// One join as its events tell it.
#[derive(Default)]
struct Join<'a> {
    at: Option<i64>,
    left: Option<i64>,
    email: &'a str,
    name: &'a str,
}

/// One person's join intervals.
struct Spans {
    email: String,
    name: String,
    spans: Vec<(i64, i64)>,
}

/// Everyone who joined the session, by e-mail (guests by name), in order of first join.
pub fn summarize(
    events: &[ParticipantEvent],
    window: Window,
    until_ms: i64,
    tolerance_ms: i64,
) -> Vec<PersonAttendance> {
    // The earliest join and latest leave win when Zoom repeats an event with another time.
    let mut joins: BTreeMap<&str, Join<'_>> = BTreeMap::new();
    for e in events {
        let entry = joins.entry(e.join_key.as_str()).or_default();
        match e.kind {
            Kind::Join => entry.at = Some(entry.at.map_or(e.at_ms, |t| t.min(e.at_ms))),
            Kind::Leave => entry.left = Some(entry.left.map_or(e.at_ms, |t| t.max(e.at_ms))),
        }
        if !e.email.is_empty() {
            entry.email = &e.email;
        }
        if entry.name.is_empty() || e.kind == Kind::Join {
            entry.name = &e.name;
        }
    }
    let end = window.end_ms.unwrap_or(until_ms);
    let mut people: BTreeMap<String, Spans> = BTreeMap::new();
    for join in joins.into_values() {
        let from = join.at.or(window.start_ms).unwrap_or(end);
        let to = join.left.unwrap_or(end).min(end);
        let from = window.start_ms.map_or(from, |s| from.max(s));
        let entry = people.entry(person_key(join.email, join.name)).or_insert_with(|| Spans {
            email: join.email.to_string(),
            name: join.name.to_string(),
            spans: Vec::new(),
        });
        if entry.email.is_empty() {
            entry.email = join.email.to_string();
        }
        entry.spans.push((from, to.max(from)));
    }
    let mut out: Vec<PersonAttendance> =
        people.into_values().map(|p| person(p.email, p.name, p.spans, window, tolerance_ms)).collect();
    out.sort_by_key(|a| (a.first_joined_ms, a.key()));
    out
}

fn person(
    email: String,
    name: String,
    mut intervals: Vec<(i64, i64)>,
    window: Window,
    tolerance_ms: i64,
) -> PersonAttendance {
    intervals.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::new();
    for (from, to) in intervals {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    let millis: i64 = merged.iter().map(|(from, to)| to - from).sum();
    let first = merged.first().map_or(0, |i| i.0);
    let last = merged.last().map_or(0, |i| i.1);
    PersonAttendance {
        email,
        name,
        seconds_present: u32::try_from(millis / 1000).unwrap_or(u32::MAX),
        intervals: merged.len() as u32,
        first_joined_ms: first,
        last_left_ms: last,
        joined_late: window.start_ms.is_some_and(|s| first - s > tolerance_ms),
        left_early: window.end_ms.is_some_and(|e| e - last > tolerance_ms),
    }
}

#[cfg(test)]
#[path = "attendance_tests.rs"]
mod tests;

/// Invitees with how each took part (`None`: never joined), and the guests: people who joined
/// without being invited, matched by e-mail (a guest without one by name).
pub fn match_invitees<I>(
    invitees: &[I],
    email: impl Fn(&I) -> &str,
    people: Vec<PersonAttendance>,
) -> (Vec<(&I, Option<PersonAttendance>)>, Vec<PersonAttendance>) {
    let mut people = people;
    let matched = invitees
        .iter()
        .map(|invitee| {
            let found = people.iter().position(|p| !p.email.is_empty() && p.email == email(invitee));
            (invitee, found.map(|i| people.remove(i)))
        })
        .collect();
    (matched, people)
}

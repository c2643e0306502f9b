use super::*;

const S: i64 = 1_000_000;
const MIN: i64 = 60_000;

fn ev(kind: Kind, key: &str, email: &str, name: &str, at: i64) -> ParticipantEvent {
    ParticipantEvent { kind, join_key: key.into(), email: email.into(), name: name.into(), at_ms: at }
}

fn session() -> Vec<ParticipantEvent> {
    vec![
        ev(Kind::Join, "h1", "host@x.com", "Host", S),
        ev(Kind::Leave, "h1", "host@x.com", "Host", S + 45 * MIN),
        // Anna joins late, leaves, rejoins.
        ev(Kind::Join, "a1", "anna@x.com", "Anna", S + 10 * MIN),
        ev(Kind::Leave, "a1", "anna@x.com", "Anna", S + 20 * MIN),
        ev(Kind::Join, "a2", "anna@x.com", "Anna", S + 25 * MIN),
        ev(Kind::Leave, "a2", "anna@x.com", "Anna", S + 45 * MIN),
        // Boris leaves early.
        ev(Kind::Join, "b1", "boris@x.com", "Boris", S),
        ev(Kind::Leave, "b1", "boris@x.com", "Boris", S + 30 * MIN),
        // A guest without an e-mail.
        ev(Kind::Join, "g1", "", "Visitor", S + MIN),
        ev(Kind::Leave, "g1", "", "Visitor", S + 5 * MIN),
    ]
}

fn window() -> Window {
    Window { start_ms: Some(S), end_ms: Some(S + 45 * MIN) }
}

#[test]
fn rejoins_are_merged_late_and_early_are_flagged_and_guests_kept_by_name() {
    let people = summarize(&session(), window(), 0, 5 * MIN);
    let by = |key: &str| people.iter().find(|p| p.key() == key).cloned().expect(key);
    let anna = by("anna@x.com");
    assert_eq!((anna.seconds_present, anna.intervals, anna.joined_late, anna.left_early), (30 * 60, 2, true, false));
    let boris = by("boris@x.com");
    assert_eq!((boris.seconds_present, boris.joined_late, boris.left_early), (30 * 60, false, true));
    let guest = by("name:Visitor");
    assert_eq!((guest.email.as_str(), guest.seconds_present), ("", 4 * 60));
    assert_eq!(by("host@x.com").seconds_present, 45 * 60);
}

#[test]
fn the_same_events_shuffled_and_twice_give_the_same_attendance() {
    let expected = summarize(&session(), window(), 0, 5 * MIN);
    let mut events = session();
    events.extend(session());
    events.reverse();
    events.swap(0, 7);
    assert_eq!(summarize(&events, window(), 0, 5 * MIN), expected);
}

#[test]
fn a_missing_leave_counts_to_the_end_and_a_missing_join_from_the_start() {
    let events = vec![
        ev(Kind::Join, "a1", "anna@x.com", "Anna", S + 40 * MIN),
        ev(Kind::Leave, "b1", "boris@x.com", "B", S + MIN),
    ];
    let people = summarize(&events, window(), 0, 5 * MIN);
    assert_eq!(people.iter().map(|p| p.seconds_present).collect::<Vec<_>>(), [60, 5 * 60]);
    let running = summarize(&events[..1], Window { start_ms: Some(S), end_ms: None }, S + 42 * MIN, 5 * MIN);
    assert_eq!(running[0].seconds_present, 2 * 60);
}

#[test]
fn two_devices_at_once_do_not_count_twice() {
    let events = vec![
        ev(Kind::Join, "p1", "anna@x.com", "Anna", S),
        ev(Kind::Leave, "p1", "anna@x.com", "Anna", S + 30 * MIN),
        ev(Kind::Join, "p2", "anna@x.com", "Anna (phone)", S + 10 * MIN),
        ev(Kind::Leave, "p2", "anna@x.com", "Anna (phone)", S + 40 * MIN),
    ];
    let people = summarize(&events, window(), 0, 5 * MIN);
    assert_eq!((people[0].seconds_present, people[0].intervals), (40 * 60, 1));
}

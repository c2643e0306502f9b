//! Reminders and expiry as the running service sends them, on both stores: at the set local hour
//! in New York (across its change to summer time on 9 March 2025) and in Tokyo, never at a
//! weekend or on a configured holiday, at most the configured number, then the expiry. Time is the
//! service's manual clock, moved to each expected instant.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use butterboard_runtime::clock::Clock as _;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, Watch};
use support::*;

fn utc(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("timestamp").as_millisecond()
}

/// The next reminder or expiry: (kind, employee, reminder number).
async fn next(watch: &mut Watch) -> (String, String, u32) {
    let message = watch.next(Duration::from_secs(30)).await.expect("an event within 30 s");
    match butterboard_runtime::testing::watch::decode(&message) {
        OnboardingEvent::FeedbackReminder(r) => {
            ("reminder".into(), r.employee.map(|p| p.email).unwrap_or_default(), r.reminder_number)
        }
        OnboardingEvent::FeedbackExpired(e) => ("expired".into(), e.employee.map(|p| p.email).unwrap_or_default(), 0),
        other => panic!("unexpected {other:?}"),
    }
}

async fn reminders_land_at_the_local_hour_on_business_days_at_most_twice_then_the_request_expires(mode: Mode) {
    let service = start(
        mode,
        &[
            ("FEEDBACK_HOLIDAYS", "2025-03-11"),
            ("FEEDBACK_MAX_REMINDERS", "2"),
            ("FEEDBACK_REMINDER_BUSINESS_DAYS", "2"),
            ("FEEDBACK_REMINDER_LOCAL_TIME", "10:00"),
            ("FEEDBACK_EXPIRY_BUSINESS_DAYS", "5"),
        ],
    )
    .await;
    let asked = utc("2025-03-07T09:00:00Z"); // Friday: 04:00 in New York, 18:00 in Tokyo
    service.clock.advance(asked - T0);
    for (a, zone) in [("ny", "America/New_York"), ("tokyo", "Asia/Tokyo")] {
        let event = assigned(a, &format!("{a}@example.com"), "oleg@example.com", zone, "2025-03-03", 1);
        publish(&service, OnboardingEvent::ScenarioAssigned(event), "scenario").await;
    }
    wait_assignments(&service.store, 2).await;
    for a in ["ny", "tokyo"] {
        publish(&service, OnboardingEvent::StageCompleted(completed(a, "read", "", &["Clear?"])), "scenario").await;
    }
    wait_count(&service.store, "SELECT COUNT(*) FROM feedback_requests", 2).await;
    let mut watch = service.watch(&["onboarding.feedback.reminder", "onboarding.feedback.expired"]).await;
    assert!(watch.next(Duration::from_millis(300)).await.is_none(), "nothing before the first reminder");

    // Monday 10 March is the first business day, Tuesday 11 a holiday: the first reminders come on
    // Wednesday 12 at 10:00 local (Tokyo 01:00 UTC; New York, now on EDT, 14:00 UTC), the second
    // two business days later, on Friday 14; the requests expire at the end of Monday 17.
    let expected = [
        ("2025-03-12T01:00:00Z", ("reminder", "tokyo@example.com", 1)),
        ("2025-03-12T14:00:00Z", ("reminder", "ny@example.com", 1)),
        ("2025-03-14T01:00:00Z", ("reminder", "tokyo@example.com", 2)),
        ("2025-03-14T14:00:00Z", ("reminder", "ny@example.com", 2)),
        ("2025-03-17T15:00:00Z", ("expired", "tokyo@example.com", 0)),
        ("2025-03-18T04:00:00Z", ("expired", "ny@example.com", 0)),
    ];
    for (at, (kind, who, number)) in expected {
        let now = service.clock.now_ms();
        // A minute early: nothing yet.
        service.clock.advance(utc(at) - 60_000 - now);
        assert!(watch.next(Duration::from_millis(200)).await.is_none(), "nothing before {at}");
        service.clock.advance(60_000);
        let got = next(&mut watch).await;
        assert_eq!((got.0.as_str(), got.1.as_str(), got.2), (kind, who, number), "at {at}");
    }
    service.clock.advance(20 * DAY);
    assert!(watch.next(Duration::from_millis(500)).await.is_none(), "no third reminder, nothing after the expiry");
    let sent =
        count(&service.store, "SELECT COUNT(*) FROM feedback_requests WHERE status = 'expired' AND reminders_sent = 2")
            .await;
    assert_eq!(sent, 2);
    service.stop().await.expect("stops cleanly");
}

butterboard_runtime::in_both_modes!(
    reminders_land_at_the_local_hour_on_business_days_at_most_twice_then_the_request_expires
);

//! The stage scheduler: each due instance published once, across replicas and restarts.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::store::Store;
use scenario::domain::instance::StageStatus;
use scenario::scheduler::{Scheduler, SchedulerConfig};

use crate::support::*;

fn scheduler(store: &Store, clock: &ManualClock, batch_size: u32) -> Scheduler {
    let config = SchedulerConfig { batch_size, ..SchedulerConfig::default() };
    Scheduler::new(store.clone(), Arc::new(clock.clone()), config)
}

/// The instance ids of every `onboarding.stage.due` in the outbox, in order.
async fn due_events(store: &Store) -> Vec<String> {
    outbox(store)
        .await
        .into_iter()
        .filter_map(|e| match e {
            OnboardingEvent::StageDue(due) => Some(due.stage_instance_id),
            _ => None,
        })
        .collect()
}

/// Ticks until nothing more is due; a failed tick (SQLite refusing a second writer while the
/// first commits) is retried, as the running scheduler does.
async fn drain(scheduler: &Scheduler) {
    let mut quiet = 0;
    while quiet < 3 {
        match scheduler.tick().await {
            Ok(tick) if tick.published == 0 => quiet += 1,
            Ok(_) => quiet = 0,
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

pub async fn the_scheduler_publishes_each_due_instance_once_with_two_replicas(fixture: &impl Fixture) {
    let (first, second) = fixture.replicas().await;
    let clock = ManualClock::at(T0);
    let app = app(&first, &clock);
    let created = create_example(&app).await;
    let employees = 20;
    for n in 0..employees {
        assign(&app, &created.id, &format!("new{n}@example.com")).await;
    }
    let (a, b) = (scheduler(&first, &clock, 7), scheduler(&second, &clock, 7));
    assert_eq!(a.tick().await.expect("tick").published, 0, "nothing is due at the start");

    // Wednesday 5 March, 10:00 UTC is when meet-the-team is due (11:00 in Berlin).
    clock.advance(3 * DAY);
    tokio::join!(drain(&a), drain(&b));
    assert_eq!(due_events(&first).await.len(), employees, "each meet-the-team instance published by one replica");

    clock.advance(200 * DAY);
    tokio::join!(drain(&a), drain(&b));
    let published = due_events(&first).await;
    let distinct: BTreeSet<&String> = published.iter().collect();
    assert_eq!(published.len(), employees * 14, "meet the team, the training and twelve one-on-ones each");
    assert_eq!(distinct.len(), published.len(), "no instance published twice");
}

pub async fn the_scheduler_publishes_nothing_twice_across_a_restart(fixture: &impl Fixture) {
    let (first, second) = fixture.replicas().await;
    let clock = ManualClock::at(T0);
    let app = app(&first, &clock);
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    clock.advance(3 * DAY);
    let before = scheduler(&first, &clock, 500);
    assert_eq!(before.tick().await.expect("tick").published, 1);
    drop(before);
    first.close().await;

    // The process restarts: a new store handle and a new scheduler at the same instant.
    let after = scheduler(&second, &clock, 500);
    assert_eq!(after.tick().await.expect("tick").published, 0, "what was published stays published");
    clock.advance(200 * DAY);
    assert_eq!(after.tick().await.expect("tick").published, 13);
    assert_eq!(after.tick().await.expect("tick").published, 0);
    let published = due_events(&second).await;
    let expected: BTreeSet<String> = anna.instances.iter().map(|i| i.id.clone()).collect();
    assert_eq!(published.len(), 14);
    assert_eq!(published.into_iter().collect::<BTreeSet<_>>(), expected);
}

pub async fn a_due_instance_left_open_past_the_grace_period_becomes_overdue(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let clock = ManualClock::at(T0);
    let app = app(&store, &clock);
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let scheduler = scheduler(&store, &clock, 500);
    clock.advance(3 * DAY);
    scheduler.tick().await.expect("tick");
    let status = |view: &scenario::app::AssignmentView, stage: &str, occurrence: u32| {
        view.instances.iter().find(|i| i.stage_id == stage && i.occurrence == occurrence).map(|i| i.status)
    };
    let now = app.get_assignment(&hr(), &anna.assignment.id).await.expect("read");
    assert_eq!(status(&now, "meet-the-team", 1), Some(StageStatus::Due));
    // Thursday 13 March, 15:00 UTC: a week and six hours later.
    clock.advance(7 * DAY + 6 * 3600 * 1000);
    let tick = scheduler.tick().await.expect("tick");
    assert!(tick.overdue >= 1, "{tick:?}");
    let later = app.get_assignment(&hr(), &anna.assignment.id).await.expect("read");
    assert_eq!(status(&later, "meet-the-team", 1), Some(StageStatus::Overdue), "due 5 March, still open on 13 March");
    assert_eq!(status(&later, "one-on-one", 2), Some(StageStatus::Due), "due 13 March at 14:00 UTC: within its grace");
}

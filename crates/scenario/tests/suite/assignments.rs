//! Assignments: due dates, the assigned event, listing, completing and skipping stages.

use butterboard_runtime::clock::ManualClock;
use butterboard_runtime::events::OnboardingEvent;
use scenario::app::AssignmentFilter;
use scenario::app::errors::ServiceError;
use scenario::domain::instance::StageStatus;

use crate::support::*;

pub async fn due_dates_follow_the_employee_time_zone_across_weekends_holidays_and_dst(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let mut draft = example();
    draft.holidays = vec!["2025-03-10".into()];
    let created = app.create_scenario(&hr(), &draft).await.expect("create").scenario;
    // Thursday 6 March 2025; New York moves to daylight time on Sunday 9 March.
    let anna = app
        .assign(&hr(), &created.id, &assignment("anna@example.com", "America/New_York", "2025-03-06"))
        .await
        .expect("anna");
    let kenji = app
        .assign(&hr(), &created.id, &assignment("kenji@example.com", "Asia/Tokyo", "2025-03-06"))
        .await
        .expect("kenji");
    for view in [&anna, &kenji] {
        let stored = app.get_assignment(&hr(), &view.assignment.id).await.expect("read back");
        assert_eq!(stored.instances, view.instances, "what was returned is what was stored");
    }
    let due = |view: &scenario::app::AssignmentView, stage: &str, occurrence: u32| {
        let i = view.instances.iter().find(|i| i.stage_id == stage && i.occurrence == occurrence).expect("instance");
        (i.due_date.clone(), i.due_at)
    };
    // Third working day: Thu 6 (0), Fri 7 (1), then the weekend and the holiday on Monday 10.
    assert_eq!(due(&anna, "meet-the-team", 1), ("2025-03-11".into(), utc("2025-03-11T15:00:00Z")), "11:00 EDT");
    assert_eq!(due(&kenji, "meet-the-team", 1), ("2025-03-11".into(), utc("2025-03-11T02:00:00Z")), "11:00 JST");
    // One month after the start is Sunday 6 April: Monday 7 April.
    assert_eq!(due(&anna, "product-training", 1), ("2025-04-07".into(), utc("2025-04-07T18:00:00Z")));
    // The weekly one-on-one at 15:00 New York time moves an hour in UTC across the DST change.
    assert_eq!(due(&anna, "one-on-one", 1), ("2025-03-06".into(), utc("2025-03-06T20:00:00Z")), "15:00 EST");
    assert_eq!(due(&anna, "one-on-one", 2), ("2025-03-13".into(), utc("2025-03-13T19:00:00Z")), "15:00 EDT");
    assert_eq!(due(&kenji, "one-on-one", 2), ("2025-03-13".into(), utc("2025-03-13T06:00:00Z")), "Tokyo has no DST");
    assert_eq!(anna.instances.iter().filter(|i| i.stage_id == "one-on-one").count(), 12);
}

pub async fn an_assignment_publishes_scenario_assigned_with_every_stage_instance(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let events = outbox(&store).await;
    assert_eq!(events.len(), 1);
    let OnboardingEvent::ScenarioAssigned(assigned) = &events[0] else { panic!("{events:?}") };
    assert_eq!(assigned.assignment_id, anna.assignment.id);
    assert_eq!((assigned.scenario_id.as_str(), assigned.scenario_version), (created.id.as_str(), 1));
    assert_eq!(
        assigned.employee.as_ref().map(|p| (p.email.as_str(), p.time_zone.as_str())),
        Some(("anna@example.com", "Europe/Berlin"))
    );
    assert_eq!(
        assigned.manager.as_ref().map(|p| p.time_zone.as_str()),
        Some("Europe/Berlin"),
        "defaults to the employee's zone"
    );
    assert_eq!(assigned.start_date, "2025-03-03");
    assert_eq!(assigned.stages.len(), 14, "meet the team, training, twelve one-on-ones");
    assert!(assigned.stages.iter().all(|s| s.due_at.is_some() && !s.stage_instance_id.is_empty()));
    assert_eq!(anna.instances.iter().filter(|i| i.status == StageStatus::Pending).count(), 14);
}

pub async fn assigning_an_employee_twice_is_already_exists_and_writes_nothing(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    assign(&app, &created.id, "anna@example.com").await;
    let before = footprint(&store).await;
    let again = app.assign(&hr(), &created.id, &assignment("ANNA@example.com", "UTC", "2025-04-01")).await;
    assert!(matches!(again, Err(ServiceError::AlreadyExists(_))), "{again:?}");
    assert_eq!(footprint(&store).await, before);
}

pub async fn assignments_are_listed_by_manager_status_and_due_window(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let mut other = assignment("boris@example.com", "Europe/Berlin", "2025-03-03");
    other.manager = person("pavel@example.com", "");
    let boris = app.assign(&hr(), &created.id, &other).await.expect("boris");
    let carl = app
        .assign(&hr(), &created.id, &assignment("carl@example.com", "Europe/Berlin", "2025-04-01"))
        .await
        .expect("carl");
    app.complete_stage(&hr(), &boris.instances[0].id).await.expect("complete");

    let ids =
        |views: Vec<scenario::app::AssignmentView>| views.into_iter().map(|v| v.assignment.id).collect::<Vec<_>>();
    let list = |filter: AssignmentFilter| {
        let app = app.clone();
        async move { ids(app.list_assignments(&hr(), &filter).await.expect("list").0) }
    };
    let by_manager = AssignmentFilter { manager_email: "Oleg@example.com".into(), ..Default::default() };
    assert_eq!(list(by_manager).await, [anna.assignment.id.clone(), carl.assignment.id.clone()]);
    let completed = AssignmentFilter { status: Some(StageStatus::Completed), ..Default::default() };
    assert_eq!(list(completed).await, [boris.assignment.id.as_str()]);
    // Meet the team for the 3 March starters is due on 5 March.
    let window = AssignmentFilter {
        due_after: Some(utc("2025-03-05T00:00:00Z")),
        due_before: Some(utc("2025-03-06T00:00:00Z")),
        status: Some(StageStatus::Pending),
        ..Default::default()
    };
    assert_eq!(list(window).await, [anna.assignment.id.as_str()], "Boris completed his; Carl starts in April");
    let (mine, _) = app.list_assignments(&manager(), &AssignmentFilter::default()).await.expect("oleg's");
    assert_eq!(ids(mine), [anna.assignment.id.clone(), carl.assignment.id.clone()], "a manager sees whom they manage");
    let (own, _) =
        app.list_assignments(&employee("carl@example.com"), &AssignmentFilter::default()).await.expect("carl's");
    assert_eq!(ids(own), [carl.assignment.id.as_str()]);
    assert!(own_instances_are_ordered(&anna.instances));
}

fn own_instances_are_ordered(instances: &[scenario::store::instances::InstanceRecord]) -> bool {
    instances.windows(2).all(|w| w[0].due_at <= w[1].due_at)
}

pub async fn completing_a_stage_publishes_stage_completed_once_and_a_second_time_is_refused(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let clock = ManualClock::at(T0);
    let app = app(&store, &clock);
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let meet = anna.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("meet the team").clone();
    clock.advance(DAY);
    let done = app.complete_stage(&manager(), &meet.id).await.expect("complete");
    assert_eq!((done.status, done.completed_at), (StageStatus::Completed, Some(T0 + DAY)));
    let again = app.complete_stage(&hr(), &meet.id).await;
    assert!(matches!(again, Err(ServiceError::FailedPrecondition(_))), "{again:?}");
    let completed: Vec<_> = outbox(&store)
        .await
        .into_iter()
        .filter_map(|e| match e {
            OnboardingEvent::StageCompleted(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(completed.len(), 1);
    assert_eq!((completed[0].stage_instance_id.as_str(), completed[0].skipped), (meet.id.as_str(), false));
    assert_eq!(completed[0].questions.len(), 2, "the stage's question template travels for its feedback");
    assert_eq!(completed[0].title, "Meet the team");
    let stored = app.get_assignment(&hr(), &anna.assignment.id).await.expect("read");
    let meet = stored.instances.iter().find(|i| i.id == meet.id).expect("instance");
    assert_eq!(meet.status, StageStatus::Completed);
}

pub async fn skipping_a_stage_publishes_it_as_skipped(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let training = anna.instances.iter().find(|i| i.stage_id == "product-training").expect("training");
    let skipped = app.skip_stage(&hr(), &training.id, "joined from another team").await.expect("skip");
    assert_eq!(skipped.status, StageStatus::Skipped);
    let last = outbox(&store).await.pop();
    assert!(
        matches!(last, Some(OnboardingEvent::StageCompleted(ref c)) if c.skipped && c.stage_instance_id == training.id),
        "{last:?}"
    );
}

//! ResolveParticipants: role people, named people and the cohort.

use std::sync::Arc;

use butterboard_runtime::clock::ManualClock;
use scenario::app::ResolveTarget;
use scenario::app::errors::ServiceError;
use scenario::domain::instance::StageStatus;
use scenario::domain::scenario::{MaterialKind, Role};
use scenario::scheduler::{Scheduler, SchedulerConfig};
use scenario::store::recordings::{self, RecordingLink};

use crate::support::*;

fn emails<'a>(people: impl Iterator<Item = &'a scenario::domain::people::Person>) -> Vec<String> {
    people.map(|p| p.email.to_string()).collect()
}

pub async fn the_cohort_is_every_employee_whose_instance_of_the_stage_is_open(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let mut other = assignment("boris@example.com", "Europe/Berlin", "2025-03-03");
    other.manager = person("pavel@example.com", "Europe/Paris");
    other.team = vec![person("ivan@example.com", "")];
    app.assign(&hr(), &created.id, &other).await.expect("boris");
    let carl = assign(&app, &created.id, "carl@example.com").await;
    let carl_meet = carl.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("carl's");
    app.complete_stage(&hr(), &carl_meet.id).await.expect("carl met the team already");

    let stage = ResolveTarget::Stage { scenario_id: created.id.clone(), stage_id: "meet-the-team".into() };
    let resolved = app.resolve_participants(&service(), &stage).await.expect("resolve");
    assert_eq!(resolved.stage.title, "Meet the team");
    assert_eq!(emails(resolved.resolved.cohort.iter().map(|m| &m.employee)), ["anna@example.com", "boris@example.com"]);
    let participants = &resolved.resolved.participants;
    assert_eq!(
        emails(participants.iter().map(|p| &p.person)),
        ["oleg@example.com", "ivan@example.com", "maria@example.com", "pavel@example.com"]
    );
    assert_eq!(participants[0].roles, [Role::Manager]);
    assert_eq!(participants[1].roles, [Role::Team], "Ivan is on both teams and listed once");
    let zone = |i: usize| participants[i].person.time_zone.as_ref().map(|z| z.as_str().to_string());
    assert_eq!(
        (zone(0), zone(1), zone(3)),
        (Some("Europe/Berlin".into()), Some("Europe/Berlin".into()), Some("Europe/Paris".into()))
    );
    assert!(resolved.resolved.cohort.iter().all(|m| m.employee.time_zone.is_some()));
    assert_eq!(emails(resolved.resolved.hr_contacts.iter()), ["helen@example.com"]);

    let anna_meet = anna.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("anna's");
    let by_instance = ResolveTarget::Instance(anna_meet.id.clone());
    let resolved = app.resolve_participants(&manager(), &by_instance).await.expect("oleg resolves his report's stage");
    assert_eq!(
        emails(resolved.resolved.participants.iter().map(|p| &p.person)),
        ["oleg@example.com", "ivan@example.com", "maria@example.com"]
    );
    assert_eq!(emails(resolved.resolved.cohort.iter().map(|m| &m.employee)), ["anna@example.com", "boris@example.com"]);
    let pavel = caller("pavel@example.com", &[butterboard_runtime::auth::Role::Manager]);
    let denied = app.resolve_participants(&pavel, &by_instance).await;
    assert!(matches!(denied, Err(ServiceError::PermissionDenied(_))), "{denied:?}");
}

pub async fn an_instance_of_a_recurring_stage_resolves_to_its_employee_alone(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    assign(&app, &created.id, "boris@example.com").await;
    let first = anna.instances.iter().find(|i| i.stage_id == "one-on-one").expect("one-on-one");
    let resolved =
        app.resolve_participants(&service(), &ResolveTarget::Instance(first.id.clone())).await.expect("resolve");
    assert_eq!(emails(resolved.resolved.cohort.iter().map(|m| &m.employee)), ["anna@example.com"]);
    assert_eq!(emails(resolved.resolved.participants.iter().map(|p| &p.person)), ["oleg@example.com"]);
    assert_eq!(resolved.stage.questions.len(), 3, "the one-on-one's question template");
    let whole_stage = ResolveTarget::Stage { scenario_id: created.id.clone(), stage_id: "one-on-one".into() };
    let refused = app.resolve_participants(&service(), &whole_stage).await;
    assert!(matches!(refused, Err(ServiceError::FailedPrecondition(_))), "{refused:?}");
}

pub async fn the_latest_archived_recording_is_offered_as_material_to_later_cohorts(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    assign(&app, &created.id, "anna@example.com").await;
    let link = |meeting: &str, folder: &str, at: i64| RecordingLink {
        scenario_id: created.id.clone(),
        stage_id: "product-training".into(),
        meeting_id: meeting.into(),
        folder_link: folder.into(),
        files: "[]".into(),
        archived_at: at,
    };
    let mut conn = store.pool().acquire().await.expect("connection");
    assert!(
        recordings::upsert_latest(&mut conn, &link("m2", "https://drive.example.com/m2", T0 + DAY))
            .await
            .expect("link")
    );
    assert!(
        !recordings::upsert_latest(&mut conn, &link("m1", "https://drive.example.com/m1", T0)).await.expect("older"),
        "an older archive arriving late is ignored"
    );
    drop(conn);
    let read = app.get_scenario(&hr(), &created.id, None).await.expect("read");
    let material = read.definition.stages[1]
        .materials
        .iter()
        .find(|m| m.kind == MaterialKind::PreviousRecording)
        .expect("material");
    assert_eq!(material.url, "https://drive.example.com/m2");
    let stage = ResolveTarget::Stage { scenario_id: created.id.clone(), stage_id: "product-training".into() };
    let resolved = app.resolve_participants(&service(), &stage).await.expect("resolve");
    assert!(resolved.stage.materials.iter().any(|m| m.url == "https://drive.example.com/m2"));
    let meet = read.definition.stages[0].materials.iter().all(|m| m.kind != MaterialKind::PreviousRecording);
    assert!(meet, "other stages are not touched");
}

/// The cohort of meet-the-team as `app` resolves it: each member's e-mail and status.
async fn meet_the_team(app: &scenario::app::ScenarioApp, scenario_id: &str) -> Vec<(String, StageStatus)> {
    let stage = ResolveTarget::Stage { scenario_id: scenario_id.into(), stage_id: "meet-the-team".into() };
    let resolved = app.resolve_participants(&service(), &stage).await.expect("resolve");
    resolved.resolved.cohort.iter().map(|m| (m.employee.email.to_string(), m.status)).collect()
}

fn members(expected: &[(&str, StageStatus)]) -> Vec<(String, StageStatus)> {
    expected.iter().map(|(email, status)| (email.to_string(), *status)).collect()
}

pub async fn a_kept_cohort_follows_every_change_made_by_any_replica(fixture: &impl Fixture) {
    let (first, second) = fixture.replicas().await;
    let clock = ManualClock::at(T0);
    let (here, there) = (app(&first, &clock), app(&second, &clock));
    let created = create_example(&here).await;
    let anna = assign(&here, &created.id, "anna@example.com").await;
    let pending = StageStatus::Pending;
    assert_eq!(meet_the_team(&here, &created.id).await, members(&[("anna@example.com", pending)]));
    assert_eq!(meet_the_team(&here, &created.id).await, members(&[("anna@example.com", pending)]), "kept");

    let boris = assign(&there, &created.id, "boris@example.com").await;
    let both = members(&[("anna@example.com", pending), ("boris@example.com", pending)]);
    assert_eq!(meet_the_team(&here, &created.id).await, both, "an assignment on the other replica");

    let anna_meet = anna.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("anna's");
    there.complete_stage(&hr(), &anna_meet.id).await.expect("complete");
    assert_eq!(
        meet_the_team(&here, &created.id).await,
        members(&[("boris@example.com", pending)]),
        "completed on the other replica"
    );

    // meet-the-team is due on Wednesday 5 March; the other replica's scheduler marks it due.
    clock.advance(3 * DAY);
    let scheduler = Scheduler::new(second.clone(), Arc::new(clock.clone()), SchedulerConfig::default());
    assert!(scheduler.tick().await.expect("tick").published > 0);
    let due = members(&[("boris@example.com", StageStatus::Due)]);
    assert_eq!(meet_the_team(&here, &created.id).await, due, "a status set by the scheduler");

    let boris_meet = boris.instances.iter().find(|i| i.stage_id == "meet-the-team").expect("boris's");
    let by_instance = ResolveTarget::Instance(boris_meet.id.clone());
    let resolved = here.resolve_participants(&service(), &by_instance).await.expect("by instance");
    let cohort: Vec<_> = resolved.resolved.cohort.iter().map(|m| (m.employee.email.to_string(), m.status)).collect();
    assert_eq!(cohort, due, "resolving by instance reads the same cohort");
}

pub async fn compaction_keeps_each_scenario_total_so_kept_cohorts_stay_valid(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let clock = ManualClock::at(T0);
    let app = app(&store, &clock);
    let created = create_example(&app).await;
    let weight = || async {
        let mut conn = store.pool().acquire().await.expect("connection");
        scenario::store::scenarios::load_with_cohort_weight(&mut conn, &created.id, None)
            .await
            .expect("weight")
            .expect("the scenario")
            .1
            .total
    };
    assert_eq!(weight().await, 0, "no instance yet");
    assign(&app, &created.id, "anna@example.com").await;
    let per_assignment = weight().await;
    assert!(per_assignment > 0, "an assignment adds weight");
    for n in 0..20 {
        assign(&app, &created.id, &format!("new{n}@example.com")).await;
    }
    let before = weight().await;
    assert_eq!(before, 21 * per_assignment);
    let cohort = meet_the_team(&app, &created.id).await;
    assert_eq!(cohort.len(), 21);

    scenario::compaction::compact(&store, 0).await.expect("compact");
    assert_eq!(weight().await, before, "compaction keeps the total");
    let rows = count(&store, "cohort_changes").await;
    assert_eq!(rows, 1, "one row per scenario after compaction");
    assert_eq!(meet_the_team(&app, &created.id).await, cohort);

    assign(&app, &created.id, "zoe@example.com").await;
    assert_eq!(weight().await, before + per_assignment, "changes after compaction add to the total");
    assert_eq!(meet_the_team(&app, &created.id).await.len(), 22, "and move the kept cohort on");
}

/// Compactions racing with each other and with assignments lose no change: the total ends where
/// the assignments alone would have taken it.
pub async fn concurrent_compactions_and_assignments_lose_no_weight(fixture: &impl Fixture) {
    let (first, second) = fixture.replicas().await;
    let clock = ManualClock::at(T0);
    let app = app(&first, &clock);
    let created = create_example(&app).await;
    assign(&app, &created.id, "anna@example.com").await;
    let weight = || async {
        let mut conn = first.pool().acquire().await.expect("connection");
        scenario::store::scenarios::load_with_cohort_weight(&mut conn, &created.id, None)
            .await
            .expect("weight")
            .expect("the scenario")
            .1
            .total
    };
    let per_assignment = weight().await;
    let assignments = 30;
    let done = std::sync::atomic::AtomicBool::new(false);
    let compactor = |store: &butterboard_runtime::store::Store| {
        let (store, done) = (store.clone(), &done);
        async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                scenario::compaction::compact(&store, 0).await.expect("compact");
                tokio::task::yield_now().await;
            }
        }
    };
    let assigning = async {
        for n in 0..assignments {
            assign(&app, &created.id, &format!("new{n}@example.com")).await;
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    };
    // Two replicas compact on PostgreSQL. The embedded mode is one process with one SQLite
    // connection, where a second handle on the file would only make assignments fail with busy.
    let other = if first.backend() == butterboard_runtime::store::Backend::Postgres { second } else { first.clone() };
    tokio::join!(assigning, compactor(&first), compactor(&other));
    assert_eq!(weight().await, (assignments + 1) * per_assignment);
    assert_eq!(meet_the_team(&app, &created.id).await.len(), assignments as usize + 1);
}

/// After a burst of assignments, the first resolution that finds the change rows piling up has
/// them compacted, without waiting for the periodic round.
pub async fn a_resolution_that_finds_change_rows_piling_up_has_them_compacted(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    for n in 0..=scenario::compaction::MAX_ROWS {
        assign(&app, &created.id, &format!("new{n}@example.com")).await;
    }
    let members = meet_the_team(&app, &created.id).await.len();
    assert_eq!(members as i64, scenario::compaction::MAX_ROWS + 1);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(&store, "cohort_changes").await > 1 {
        assert!(std::time::Instant::now() < deadline, "the change rows were not compacted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(meet_the_team(&app, &created.id).await.len(), members, "the total, and the kept cohort, unchanged");
}

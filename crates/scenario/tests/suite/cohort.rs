//! ResolveParticipants: role people, named people and the cohort.

use butterboard_runtime::clock::ManualClock;
use scenario::app::ResolveTarget;
use scenario::app::errors::ServiceError;
use scenario::domain::scenario::{MaterialKind, Role};
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

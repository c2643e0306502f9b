//! Scenarios: create, read, versions, archive, YAML.

use butterboard_runtime::clock::ManualClock;
use scenario::app::errors::ServiceError;

use crate::support::*;

pub async fn a_created_scenario_reads_back_at_version_one_with_its_stages(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let read = app.get_scenario(&service(), &created.id, None).await.expect("read");
    assert_eq!((read.version, read.current_version, read.archived), (1, 1, false));
    assert_eq!(read.definition, created.definition);
    assert_eq!(read.definition.owner.as_str(), "helen@example.com", "the creating HR person owns it");
    let titles: Vec<&str> = read.definition.stages.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(titles, ["Meet the team", "Product training", "One-on-one"]);
}

pub async fn editing_a_scenario_nobody_follows_changes_it_in_place(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let mut draft = example();
    draft.stages[0].title = "Meet your team".into();
    let saved = app.update_scenario(&hr(), &created.id, &draft, Some(1)).await.expect("update");
    assert!(!saved.new_version_created);
    assert_eq!(saved.scenario.version, 1);
    let read = app.get_scenario(&hr(), &created.id, None).await.expect("read");
    assert_eq!(read.definition.stages[0].title, "Meet your team");
    assert_eq!(count(&store, "scenario_versions").await, 1);
}

pub async fn editing_a_scenario_with_assignments_creates_a_version_and_running_assignments_keep_theirs(
    fixture: &impl Fixture,
) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    assert_eq!(anna.assignment.scenario_version, 1);

    let mut draft = example();
    draft.stages[0].title = "Meet your team".into();
    draft.stages[0].duration_minutes = 30;
    draft.stages.truncate(2);
    let saved = app.update_scenario(&hr(), &created.id, &draft, Some(1)).await.expect("update");
    assert!(saved.new_version_created);
    assert_eq!((saved.scenario.version, saved.scenario.current_version), (2, 2));

    let running = app.get_assignment(&hr(), &anna.assignment.id).await.expect("anna");
    assert_eq!(running.assignment.scenario_version, 1, "Anna keeps the version she started on");
    assert_eq!(running.stages.len(), 3);
    assert_eq!((running.stages[0].title.as_str(), running.stages[0].duration_minutes), ("Meet the team", 45));
    assert_eq!(running.instances.len(), anna.instances.len(), "her stage instances are untouched");

    let boris = assign(&app, &created.id, "boris@example.com").await;
    assert_eq!(boris.assignment.scenario_version, 2);
    assert_eq!(boris.instances.len(), 2, "the new version has no weekly one-on-one");
    assert_eq!(boris.instances[0].title, "Meet your team");

    let old = app.get_scenario(&hr(), &created.id, Some(1)).await.expect("version 1");
    assert_eq!(old.definition.stages[0].title, "Meet the team", "version 1 is never rewritten");
    assert_eq!(old.current_version, 2);
}

pub async fn an_update_with_a_stale_expected_version_is_refused_and_changes_nothing(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    assign(&app, &created.id, "anna@example.com").await;
    app.update_scenario(&hr(), &created.id, &example(), Some(1)).await.expect("first edit makes version 2");
    let before = footprint(&store).await;
    let stale = app.update_scenario(&hr(), &created.id, &example(), Some(1)).await;
    assert!(matches!(stale, Err(ServiceError::FailedPrecondition(_))), "{stale:?}");
    assert_eq!(footprint(&store).await, before);
}

pub async fn an_archived_scenario_refuses_new_assignments_and_keeps_running_ones(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let archived = app.archive_scenario(&hr(), &created.id).await.expect("archive");
    assert!(archived.archived);
    let before = footprint(&store).await;
    let refused = app.assign(&hr(), &created.id, &assignment("boris@example.com", "UTC", "2025-03-03")).await;
    assert!(matches!(refused, Err(ServiceError::FailedPrecondition(_))), "{refused:?}");
    assert_eq!(footprint(&store).await, before, "nothing written");
    let first = &anna.instances[0];
    app.complete_stage(&hr(), &first.id).await.expect("running assignments go on");
    let listed = app.list_scenarios(&hr(), false, 0, "").await.expect("list");
    assert!(listed.scenarios.is_empty(), "archived scenarios are hidden by default");
    assert_eq!(app.list_scenarios(&hr(), true, 0, "").await.expect("list").scenarios.len(), 1);
}

pub async fn yaml_export_imports_back_to_the_same_scenario_and_a_dry_run_writes_nothing(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = app.import_scenario(&hr(), scenario::EXAMPLE_SCENARIO_YAML, "", false).await.expect("import");
    let exported = app.export_scenario(&manager(), &created.scenario.id, None).await.expect("export");
    let before = footprint(&store).await;
    let dry = app.import_scenario(&hr(), &exported, "", true).await.expect("dry run");
    assert_eq!(footprint(&store).await, before, "validate_only saves nothing");
    assert_eq!(dry.scenario.definition, created.scenario.definition);
    let again = app.import_scenario(&hr(), &exported, &created.scenario.id, false).await.expect("import over");
    assert_eq!(again.scenario.definition, created.scenario.definition);
    assert_eq!(again.scenario.version, 1, "nobody follows it yet: edited in place");
}

pub async fn scenarios_are_listed_page_by_page(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create_example(&app).await.id);
    }
    let first = app.list_scenarios(&service(), false, 2, "").await.expect("page 1");
    assert_eq!(first.scenarios.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids[..2]);
    assert!(!first.next_page_token.is_empty());
    let second = app.list_scenarios(&service(), false, 2, &first.next_page_token).await.expect("page 2");
    assert_eq!(second.scenarios.iter().map(|s| s.id.clone()).collect::<Vec<_>>(), ids[2..]);
    assert!(second.next_page_token.is_empty());
}

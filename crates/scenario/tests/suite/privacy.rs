//! "Previous recording" materials and the stage's recording privacy: a later cohort is handed the
//! link only where the recording is open to the organization; HR always sees it.

use butterboard_runtime::clock::ManualClock;
use scenario::app::ResolveTarget;
use scenario::domain::draft::{MaterialDraft, ScenarioDraft};
use scenario::domain::scenario::{MaterialKind, Stage};
use scenario::store::recordings::{self, RecordingLink};

use crate::support::*;

fn previous_recording() -> MaterialDraft {
    MaterialDraft { title: "Last time".into(), url: String::new(), kind: "previous_recording".into() }
}

/// The example with a "previous recording" material on every stage, each stage under another
/// privacy: meet-the-team `participants_and_hr`, product-training `organization`, one-on-one
/// `hr_only`, and a fourth stage, a copy of the training, `participants`.
fn linking_every_stage() -> ScenarioDraft {
    let mut draft = example();
    draft.stages[0].materials.push(previous_recording());
    draft.stages[2].materials.push(previous_recording());
    let mut deep_dive = draft.stages[1].clone();
    deep_dive.id = "product-deep-dive".into();
    deep_dive.title = "Product deep dive".into();
    deep_dive.recording_privacy = "participants".into();
    draft.stages.push(deep_dive);
    draft
}

/// Each stage's previous-recording url, by stage id.
fn urls(stages: &[Stage]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for stage in stages {
        for material in stage.materials.iter().filter(|m| m.kind == MaterialKind::PreviousRecording) {
            out.push((stage.id.clone(), material.url.clone()));
        }
    }
    out
}

fn expected(filled: &[&str]) -> Vec<(String, String)> {
    ["meet-the-team", "product-training", "one-on-one", "product-deep-dive"]
        .iter()
        .map(|id| {
            let url = if filled.contains(id) { format!("https://drive.example.com/{id}") } else { String::new() };
            (id.to_string(), url)
        })
        .collect()
}

pub async fn a_previous_recording_reaches_later_cohorts_only_where_the_stage_privacy_allows_it(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let saved = app.create_scenario(&hr(), &linking_every_stage()).await.expect("accepted, with warnings");
    let warned: Vec<&str> = saved.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(warned, ["stages[0].materials[1]", "stages[2].materials[0]", "stages[3].materials[1]"]);
    assert!(saved.warnings.iter().all(|w| w.message.contains("only HR")), "{:?}", saved.warnings);
    let created = saved.scenario;
    let anna = assign(&app, &created.id, "anna@example.com").await;
    let mut conn = store.pool().acquire().await.expect("connection");
    for stage in &created.definition.stages {
        let link = RecordingLink {
            scenario_id: created.id.clone(),
            stage_id: stage.id.clone(),
            meeting_id: format!("m-{}", stage.id),
            folder_link: format!("https://drive.example.com/{}", stage.id),
            files: "[]".into(),
            archived_at: T0,
        };
        assert!(recordings::upsert_latest(&mut conn, &link).await.expect("link"));
    }
    drop(conn);

    let everything = expected(&["meet-the-team", "product-training", "one-on-one", "product-deep-dive"]);
    let organization_only = expected(&["product-training"]);
    let employee = employee("anna@example.com");
    let own = app.get_assignment(&employee, &anna.assignment.id).await.expect("anna reads her assignment");
    assert_eq!(urls(&own.stages), organization_only, "the new employee");
    let as_hr = app.get_assignment(&hr(), &anna.assignment.id).await.expect("hr");
    assert_eq!(urls(&as_hr.stages), everything, "HR sees every stage's recording");
    let read = app.get_scenario(&manager(), &created.id, None).await.expect("manager");
    assert_eq!(urls(&read.definition.stages), organization_only, "a manager");
    let read = app.get_scenario(&hr(), &created.id, None).await.expect("hr");
    assert_eq!(urls(&read.definition.stages), everything);

    // What the orchestrator puts into the invitations of the next cohort.
    for (stage_id, url) in
        [("product-deep-dive", ""), ("product-training", "https://drive.example.com/product-training")]
    {
        let stage = ResolveTarget::Stage { scenario_id: created.id.clone(), stage_id: stage_id.into() };
        let resolved = app.resolve_participants(&service(), &stage).await.expect("resolve");
        assert_eq!(urls(std::slice::from_ref(&resolved.stage)), [(stage_id.to_string(), url.to_string())]);
    }
    let one_on_one = anna.instances.iter().find(|i| i.stage_id == "one-on-one").expect("a one-on-one");
    let instance = ResolveTarget::Instance(one_on_one.id.clone());
    let resolved = app.resolve_participants(&service(), &instance).await.expect("resolve the instance");
    assert_eq!(urls(std::slice::from_ref(&resolved.stage)), [("one-on-one".to_string(), String::new())]);
    let resolved = app.resolve_participants(&hr(), &instance).await.expect("hr resolves");
    let filled = ("one-on-one".to_string(), "https://drive.example.com/one-on-one".to_string());
    assert_eq!(urls(std::slice::from_ref(&resolved.stage)), [filled]);
}

pub async fn validation_and_updates_warn_about_a_previous_recording_the_privacy_hides(fixture: &impl Fixture) {
    let store = fixture.store().await;
    let app = app(&store, &ManualClock::at(T0));
    let created = create_example(&app).await;
    let mut hidden = example();
    hidden.stages[1].recording_privacy = "hr_only".into();
    let checked = app.validate_scenario(&manager(), &hidden).expect("allowed").expect("valid");
    let warned: Vec<&str> = checked.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(warned, ["stages[1].materials[1]"]);
    assert!(checked.warnings[0].message.contains("hr_only"), "{}", checked.warnings[0].message);
    let updated = app.update_scenario(&hr(), &created.id, &hidden, None).await.expect("an update is accepted");
    assert_eq!(updated.warnings.iter().map(|w| w.field.as_str()).collect::<Vec<_>>(), ["stages[1].materials[1]"]);
    let shared = app.validate_scenario(&hr(), &example()).expect("allowed").expect("valid");
    assert!(shared.warnings.is_empty(), "organization shares it: nothing to warn about");
}

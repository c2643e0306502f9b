//! A stage's recording privacy over real gRPC: the new employee of a later cohort is not handed an
//! earlier recording the privacy keeps from them, HR is, and validation warns about the link.

use butterboard_proto::scenario::v1 as pb;
use butterboard_runtime::auth::Role;
use scenario::store::recordings::{self, RecordingLink};

use crate::Server;

/// The example with product training recorded for its participants only.
fn participants_only_training() -> String {
    let yaml = scenario::EXAMPLE_SCENARIO_YAML;
    let changed = yaml.replacen("    recording_privacy: organization", "    recording_privacy: participants", 1);
    assert_ne!(changed, yaml, "the example's training is open to the organization");
    changed
}

fn training_recording(assignment: &pb::Assignment) -> String {
    let stage = assignment.stages.iter().find(|s| s.id == "product-training").expect("the training stage");
    let material = stage
        .materials
        .iter()
        .find(|m| m.kind == pb::MaterialKind::PreviousRecording as i32)
        .expect("its previous-recording material");
    material.url.clone()
}

pub async fn an_employee_is_not_handed_a_recording_kept_from_them_and_hr_is(s: &Server) {
    let validate = pb::ValidateScenarioRequest {
        source: Some(pb::validate_scenario_request::Source::Yaml(participants_only_training())),
    };
    let checked = s.client().validate_scenario(s.hr(validate)).await.expect("validate").into_inner();
    assert!(checked.valid, "a warning, not a violation: {:?}", checked.violations);
    let warned: Vec<&str> = checked.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(warned, ["yaml.stages[1].materials[1]"]);

    let import = pb::ImportScenarioRequest { yaml: participants_only_training(), ..Default::default() };
    let imported = s.client().import_scenario(s.hr(import)).await.expect("import").into_inner();
    assert_eq!(imported.warnings.iter().map(|w| w.field.as_str()).collect::<Vec<_>>(), ["yaml.stages[1].materials[1]"]);
    let scenario = imported.scenario.expect("scenario");
    let anna = s.assign(&scenario.id, "anna@example.com", "oleg@example.com").await;
    // An earlier cohort's training, archived.
    let mut conn = s.store.pool().acquire().await.expect("connection");
    let link = RecordingLink {
        scenario_id: scenario.id.clone(),
        stage_id: "product-training".into(),
        meeting_id: "m1".into(),
        folder_link: "https://drive.example.com/training-m1".into(),
        files: "[]".into(),
        archived_at: crate::support::T0,
    };
    assert!(recordings::upsert_latest(&mut conn, &link).await.expect("link"));
    drop(conn);

    let get = || pb::GetAssignmentRequest { id: anna.id.clone() };
    let as_anna = s.as_("anna@example.com", &[Role::Employee], get());
    let own = s.client().get_assignment(as_anna).await.expect("anna reads her assignment").into_inner();
    assert_eq!(training_recording(&own), "", "the new employee gets no link to a recording she may not open");
    let as_hr = s.client().get_assignment(s.hr(get())).await.expect("hr reads it").into_inner();
    assert_eq!(training_recording(&as_hr), "https://drive.example.com/training-m1");
}

//! YAML nested far deeper than a scenario ever is — a cheap document to send, an expensive one to
//! parse — is refused before it is parsed: INVALID_ARGUMENT on `yaml`, at once.

use std::time::Instant;

use butterboard_proto::scenario::v1 as pb;

use crate::{Server, violated_fields};

/// About 200 KB, under the 256 KiB limit, in the three ways YAML nests.
fn deep_documents() -> Vec<(&'static str, String)> {
    let sequences = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let stages = format!("name: Deep\nstages: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mappings = format!("{}1{}", "{a: ".repeat(40_000), "}".repeat(40_000));
    let mut blocks = String::new();
    let mut level = 0;
    while blocks.len() < 200_000 {
        blocks.push_str(&" ".repeat(level));
        blocks.push_str("a:\n");
        level += 1;
    }
    blocks.push_str(&" ".repeat(level));
    blocks.push_str("1\n");
    vec![
        ("flow sequences", sequences),
        ("flow sequences as the stages", stages),
        ("flow mappings", mappings),
        ("block mappings", blocks),
    ]
}

fn validate(yaml: &str) -> pb::ValidateScenarioRequest {
    pb::ValidateScenarioRequest { source: Some(pb::validate_scenario_request::Source::Yaml(yaml.into())) }
}

pub async fn a_deeply_nested_yaml_is_refused_as_invalid_argument_on_yaml(s: &Server) {
    let before = crate::support::footprint(&s.store).await;
    for (what, yaml) in deep_documents() {
        assert!(yaml.len() > 190_000 && yaml.len() < scenario::yaml::MAX_YAML_BYTES, "{what}: {}", yaml.len());
        let started = Instant::now();
        let status = s.client().validate_scenario(s.hr(validate(&yaml))).await.expect_err(what);
        let validated_in = started.elapsed();
        assert_eq!(violated_fields(&status), ["yaml"], "{what}");
        assert!(status.message().contains("nested deeper"), "{what}: {}", status.message());
        let started = Instant::now();
        let import = pb::ImportScenarioRequest { yaml: yaml.clone(), ..Default::default() };
        let status = s.client().import_scenario(s.hr(import)).await.expect_err(what);
        let imported_in = started.elapsed();
        assert_eq!(violated_fields(&status), ["yaml"], "{what}");
        // The time is reported, not asserted: the machine may be loaded.
        eprintln!("{what} ({} bytes): ValidateScenario {validated_in:?}, ImportScenario {imported_in:?}", yaml.len());
    }
    let too_large = format!("name: Large\ndescription: {}\n", "x".repeat(scenario::yaml::MAX_YAML_BYTES));
    let status = s.client().validate_scenario(s.hr(validate(&too_large))).await.expect_err("too large");
    assert_eq!(violated_fields(&status), ["yaml"], "refused unread, as the deep documents are");
    assert_eq!(crate::support::footprint(&s.store).await, before, "nothing was written");
}

pub async fn the_example_written_in_flow_style_still_parses(s: &Server) {
    // The deepest a scenario nests: the document, its stages, a stage, its timing, the offset.
    let flow = "{name: Flow, stages: [{title: Meet, kind: meeting, participant_roles: [manager], \
                agenda: Hello, goals: [Know the team], \
                timing: {offset: {unit: business_days, amount: 2, local_time: '11:00'}}}]}";
    let checked = s.client().validate_scenario(s.hr(validate(flow))).await.expect("validate").into_inner();
    assert!(checked.valid, "{:?}", checked.violations);
    let stage = &checked.scenario.expect("scenario").stages[0];
    assert_eq!((stage.id.as_str(), stage.goals.len()), ("meet", 1));
}

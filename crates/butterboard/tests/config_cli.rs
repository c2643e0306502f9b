//! `butterboard config` as deploy tooling uses it: `vars` lists what the binary reads even when the
//! environment is invalid, and `check` refuses an environment a target would refuse at start-up,
//! naming the variable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_butterboard");
const HS256_SECRET: &str = "0123456789abcdef0123456789abcdef";

fn butterboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let data = tempfile::tempdir().unwrap();
    Command::new(BINARY)
        .args(args)
        .env_clear()
        .env("BUTTERBOARD_DATA_DIR", data.path())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What a distributed scenario Deployment sets.
const DISTRIBUTED: [(&str, &str); 3] = [
    ("NATS_URL", "nats://nats:4222"),
    ("SCENARIO_DATABASE_URL", "postgres://scenario@postgres/scenario"),
    ("AUTH_JWT_HS256_SECRET", HS256_SECRET),
];

#[test]
fn config_vars_lists_every_variable_once_even_when_the_environment_is_invalid() {
    let output = butterboard(&["config", "vars"], &[("BUTTERBOARD_GRPC_ADDR", "not an address")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let names: Vec<String> = String::from_utf8(output.stdout).unwrap().lines().map(str::to_string).collect();
    for expected in [
        "NATS_URL",
        "BUTTERBOARD_ADMIN_ADDR",
        "ZOOM_WEBHOOK_SECRET_TOKEN",
        "SCENARIO_DATABASE_URL",
        "FEEDBACK_DATABASE_URL",
        "ZOOM_WEBHOOK_MAX_BODY_BYTES",
        "RUST_LOG",
        "BUTTERBOARD_TOKEN",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} in {names:?}");
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "no name twice: {names:?}");
}

#[test]
fn config_check_accepts_a_complete_distributed_environment() {
    let output = butterboard(&["config", "check", "--target", "scenario"], &DISTRIBUTED);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Distributed mode, configuration valid for scenario"));
}

#[test]
fn config_check_names_the_missing_database_url_and_jwt_secret() {
    let output = butterboard(&["config", "check", "--target", "scenario"], &DISTRIBUTED[..1]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("SCENARIO_DATABASE_URL is required"), "{}", stderr(&output));

    let output = butterboard(&["config", "check", "--target", "scenario"], &DISTRIBUTED[..2]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("AUTH_JWT_HS256_SECRET is required"), "{}", stderr(&output));
}

#[test]
fn config_check_runs_the_services_own_checks() {
    let mut env = DISTRIBUTED.to_vec();
    env.push(("ZOOM_WEBHOOK_INGEST_DATABASE_URL", "postgres://ingest@postgres/ingest"));
    let output = butterboard(&["config", "check", "--target", "zoom-webhook-ingest"], &env);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("ZOOM_WEBHOOK_SECRET_TOKEN is required"), "{}", stderr(&output));

    env.push(("ZOOM_WEBHOOK_SECRET_TOKEN", "new,old"));
    env.push(("ZOOM_WEBHOOK_RETENTION_DAYS", "a month"));
    let output = butterboard(&["config", "check", "--target", "zoom-webhook-ingest"], &env);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("ZOOM_WEBHOOK_RETENTION_DAYS"), "{}", stderr(&output));

    env.pop();
    let output = butterboard(&["config", "check", "--target", "zoom-webhook-ingest"], &env);
    assert!(output.status.success(), "{}", stderr(&output));
}

//! `butterboard events tail` and `butterboard dlq` against an embedded instance's data directory,
//! as an operator runs them beside a running process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use butterboard_proto::events::v1::StageDue;
use butterboard_runtime::bus::embedded::EmbeddedBus;
use butterboard_runtime::bus::{ConsumerSpec, EventBus};
use butterboard_runtime::events::OnboardingEvent;

const BINARY: &str = env!("CARGO_BIN_EXE_butterboard");

fn command(data: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(BINARY);
    command.args(args).env_clear().env("BUTTERBOARD_DATA_DIR", data).env("RUST_LOG", "warn");
    command
}

fn stage_due(title: &str) -> butterboard_runtime::bus::OutgoingMessage {
    let event =
        OnboardingEvent::StageDue(StageDue { assignment_id: "a-1".into(), title: title.into(), ..Default::default() });
    event.into_cloud_event("scenario", "a-1").into_message("onboarding.stage.due")
}

/// A tail follows new messages only: publishes until it has started and printed one.
async fn publish_until_printed(bus: &EmbeddedBus, printed: &std::sync::mpsc::Receiver<String>) -> Option<String> {
    for attempt in 0..50 {
        bus.publish(stage_due(&format!("Meet the team {attempt}"))).await.unwrap();
        if let Ok(line) = printed.recv_timeout(Duration::from_millis(200)) {
            return Some(line);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tail_prints_decoded_events_published_by_another_process() {
    let data = tempfile::tempdir().unwrap();
    let bus = EmbeddedBus::open(&data.path().join("bus.sqlite")).await.unwrap();
    let mut tail = command(data.path(), &["events", "tail", "--subject", "onboarding.>"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let line = publish_until_printed(&bus, &lines_rx).await;
    let _ = tail.kill();
    let _ = tail.wait();
    let line = line.expect("the tail printed an event");
    assert!(line.contains("onboarding.stage.due"), "{line}");
    assert!(line.contains("butterboard.onboarding.stage.due.v1"), "{line}");
    assert!(line.contains("Meet the team"), "decoded payload: {line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dlq_list_shows_a_dead_letter_and_replay_returns_it_to_its_consumer() {
    let data = tempfile::tempdir().unwrap();
    let bus = EmbeddedBus::open(&data.path().join("bus.sqlite")).await.unwrap();
    let spec = ConsumerSpec::new("scenario-stage-due", &["onboarding.stage.due"]);
    let mut subscription = bus.subscribe(spec.clone()).await.unwrap();
    let sent = stage_due("Product training");
    let ce_id = sent.id.clone();
    bus.publish(sent).await.unwrap();
    let delivery = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await.unwrap().unwrap().unwrap();
    delivery.dead_letter("stage template missing").await.unwrap();

    let listed = command(data.path(), &["dlq", "list"]).output().unwrap();
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let text = String::from_utf8(listed.stdout).unwrap();
    let row = text.lines().find(|l| l.contains(&ce_id)).unwrap_or_else(|| panic!("dead letter listed: {text}"));
    assert!(
        row.contains("onboarding.stage.due")
            && row.contains("scenario-stage-due")
            && row.contains("stage template missing"),
        "{row}"
    );
    let sequence = row.split('\t').next().unwrap();

    let replayed = command(data.path(), &["dlq", "replay", sequence]).output().unwrap();
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
    let again = tokio::time::timeout(Duration::from_secs(10), subscription.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(again.message.headers.get("ce-id"), Some(&ce_id), "the same event, back on its subject");
    again.ack().await.unwrap();
    assert!(bus.dead_letters(10).await.unwrap().is_empty(), "replay removed the dead letter");

    let bad = command(data.path(), &["dlq", "replay", "not-a-number"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must be a number"));
}

/// `butterboard events tail | head -1`: once the reader has gone, the next event ends the tail
/// quietly with success, not with a panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tail_ends_quietly_when_its_reader_goes_away() {
    let data = tempfile::tempdir().unwrap();
    let bus = EmbeddedBus::open(&data.path().join("bus.sqlite")).await.unwrap();
    let mut tail =
        command(data.path(), &["events", "tail"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(tail.stdout.take().unwrap());
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        // The reader goes away after one line, as `head -1` does.
        let _ = first_tx.send(first);
    });
    let printed = publish_until_printed(&bus, &first_rx).await;
    assert!(printed.is_some_and(|line| line.contains("onboarding.stage.due")), "the tail printed an event");
    let mut status = None;
    for attempt in 0..50 {
        bus.publish(stage_due(&format!("Product training {attempt}"))).await.unwrap();
        if let Some(exited) = tail.try_wait().unwrap() {
            status = Some(exited);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(status) = status else {
        let _ = tail.kill();
        panic!("the tail went on writing to a closed pipe");
    };
    let output = tail.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{stderr}");
}

/// The first line a tail prints within `limit`, then the tail is stopped.
fn first_line(mut tail: std::process::Child, limit: Duration) -> Option<String> {
    let stdout = tail.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let line = lines_rx.recv_timeout(limit).ok();
    let _ = tail.kill();
    let _ = tail.wait();
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_tail_from_the_start_or_since_an_age_shows_what_already_happened() {
    let data = tempfile::tempdir().unwrap();
    let bus = EmbeddedBus::open(&data.path().join("bus.sqlite")).await.unwrap();
    bus.publish(stage_due("Meet the team, earlier today")).await.unwrap();
    for args in [&["events", "tail", "--from-start"][..], &["events", "tail", "--since", "1h"][..]] {
        let tail = command(data.path(), args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let line = first_line(tail, Duration::from_secs(10)).unwrap_or_else(|| panic!("{args:?} printed nothing"));
        assert!(line.contains("Meet the team, earlier today"), "{args:?}: {line}");
    }
    // Since a moment after the event, the tail has nothing to show yet.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let since = (butterboard_runtime::clock::now_ms()).to_string();
    let tail = command(data.path(), &["events", "tail", "--since", &since]).stdout(Stdio::piped()).spawn().unwrap();
    assert_eq!(first_line(tail, Duration::from_millis(800)), None, "nothing stored since then");

    let bad = command(data.path(), &["events", "tail", "--since", "yesterday-ish"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"), "{}", String::from_utf8_lossy(&bad.stderr));
}

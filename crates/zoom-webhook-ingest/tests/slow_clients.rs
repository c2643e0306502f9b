//! Clients that send their request slowly, or never finish it, as anyone on the internet can:
//! they cost the webhook listener their connection and nothing more. A delivery from Zoom is
//! still answered in time, a request whose headers already fail is refused before its body, and
//! a body that never arrives is answered 408.

mod support;

use std::time::{Duration, Instant};

use support::{Ingest, Mode, TS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zoom_webhook_ingest::IngestSettings;

/// The headers of a `POST` announcing `length` body bytes, with a timestamp and a well-formed
/// signature: nothing about them can be refused before the body.
fn stalled_request(addr: &str, timestamp: i64, length: usize) -> String {
    format!(
        "POST /zoom/webhooks HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\
         x-zm-request-timestamp: {timestamp}\r\nx-zm-signature: v0={}\r\n\r\n{{\"event\":",
        "0".repeat(64)
    )
}

fn address(ingest: &Ingest) -> String {
    ingest.url.trim_start_matches("http://").split('/').next().expect("host:port").to_string()
}

/// Open files this process may have, from `/proc/self/limits` (Linux).
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Reads the status code of the first response on `stream`, or `None` if it closes first.
async fn status_of(stream: &mut TcpStream) -> Option<u16> {
    let mut buffer = vec![0_u8; 1024];
    let n = stream.read(&mut buffer).await.ok()?;
    let text = std::str::from_utf8(&buffer[..n]).ok()?;
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_stalled_senders_do_not_keep_a_signed_delivery_from_its_200_within_3_s() {
    const STALLED: usize = 2000;
    // Both ends of every connection live in this process.
    let limit = open_file_limit().unwrap_or(u64::MAX);
    assert!(limit > 2 * STALLED as u64 + 500, "the open file limit ({limit}) is too low; raise `ulimit -n`");
    // An in-flight limit below the number of stalled senders: it bounds deliveries waiting for
    // their commit, so senders still sending must not count against it.
    let settings = IngestSettings { max_in_flight: 1000, ..support::settings() };
    let ingest =
        Ingest::start_with(Mode::Embedded, settings, butterboard_runtime::clock::ManualClock::at(TS * 1000)).await;
    let addr = address(&ingest);
    let mut stalled = Vec::with_capacity(STALLED);
    for _ in 0..STALLED {
        let mut stream = TcpStream::connect(&addr).await.expect("connect");
        stream.write_all(stalled_request(&addr, TS, 600).as_bytes()).await.expect("send the headers");
        stalled.push(stream);
    }
    let started = Instant::now();
    let answered = tokio::time::timeout(Duration::from_secs(3), ingest.post(support::participant_joined(1))).await;
    let took = started.elapsed();
    let status = answered.map(|r| r.status().as_u16());
    assert_eq!(status, Ok(200), "a signed delivery beside {STALLED} stalled senders, after {took:?}");
    assert_eq!(ingest.count("deliveries").await, 1);
    drop(stalled);
    ingest.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_timestamp_is_refused_before_the_body_is_sent() {
    let ingest = Ingest::start(Mode::Embedded).await;
    let addr = address(&ingest);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    // Two hours and a minute old, and only the headers and the body's first bytes sent.
    stream.write_all(stalled_request(&addr, TS - 7260, 600).as_bytes()).await.expect("send the headers");
    let answer = tokio::time::timeout(Duration::from_secs(2), status_of(&mut stream)).await;
    assert_eq!(answer, Ok(Some(401)), "answered without waiting for the body");
    ingest.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_arrives_is_answered_408_after_the_body_timeout() {
    let settings = IngestSettings { body_read_timeout: Duration::from_millis(300), ..support::settings() };
    let ingest =
        Ingest::start_with(Mode::Embedded, settings, butterboard_runtime::clock::ManualClock::at(TS * 1000)).await;
    let addr = address(&ingest);
    let mut stream = TcpStream::connect(&addr).await.expect("connect");
    stream.write_all(stalled_request(&addr, TS, 600).as_bytes()).await.expect("send the headers");
    let answer = tokio::time::timeout(Duration::from_secs(5), status_of(&mut stream)).await;
    assert_eq!(answer, Ok(Some(408)));
    assert_eq!(ingest.count("deliveries").await, 0);
    ingest.stop().await;
}

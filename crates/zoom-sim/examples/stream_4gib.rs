//! Downloads a 4 GiB synthetic recording through the simulator on loopback — token, 302, signed
//! URL — checks every byte against the generator, and prints the throughput and the process's peak
//! RSS (VmHWM). The issue wants the simulator under 64 MiB RSS while streaming 4 GiB; simulator and
//! client share this process, so the figure covers both.
//!
//! `cargo run -p zoom-sim --release --example stream_4gib [-- --size-mib 4096 --no-verify]`

use std::time::Instant;

use futures::StreamExt;
use serde_json::{Value, json};
use zoom_sim::{PlayScript, ZoomSimConfig};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn args() -> (u64, bool) {
    let args: Vec<String> = std::env::args().collect();
    let size_mib = args
        .iter()
        .position(|a| a == "--size-mib")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(4096u64);
    (size_mib * 1024 * 1024, !args.iter().any(|a| a == "--no-verify"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (size, verify) = args();
    let sim =
        zoom_sim::start(ZoomSimConfig { time_compression: 1_000_000.0, ..ZoomSimConfig::default() }, None).await?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;

    let token: Value = http
        .post(sim.oauth_url())
        .query(&[("grant_type", "account_credentials"), ("account_id", "sim-account")])
        .basic_auth("sim-client", Some("sim-secret"))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"].as_str().unwrap_or_default().to_string();
    let meeting: Value = http
        .post(format!("{}/users/bench@butterboard.online/meetings", sim.api_base_url()))
        .bearer_auth(&token)
        .json(&json!({"topic": "bench", "type": 2, "duration": 60, "settings": {"auto_recording": "cloud"}}))
        .send()
        .await?
        .json()
        .await?;
    let id = meeting["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no meeting id: {meeting}"))?;
    let script: PlayScript = serde_json::from_value(json!({
        "duration_secs": 3600,
        "recording": {"segments": [{"start_secs": 0, "end_secs": 3600, "files": [{"file_type": "MP4", "size": size}]}],
                      "chat_file": false, "timeline": false}
    }))?;
    sim.play(id, script).map_err(|e| anyhow::anyhow!("{e}"))?.wait().await?;

    let completed = sim.deliveries().into_iter().find(|d| d.event == "recording.completed").map(|d| d.json());
    let completed = completed.ok_or_else(|| anyhow::anyhow!("no recording.completed"))?;
    let download_token = completed["download_token"].as_str().unwrap_or_default();
    let file = &completed["payload"]["object"]["recording_files"][0];
    let file_id = file["id"].as_str().unwrap_or_default().to_string();
    let redirect =
        http.get(file["download_url"].as_str().unwrap_or_default()).bearer_auth(download_token).send().await?;
    anyhow::ensure!(redirect.status() == 302, "expected 302, got {}", redirect.status());
    let location = redirect.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();

    let rss_before = peak_rss_kib().unwrap_or_default();
    let started = Instant::now();
    let response = http.get(&location).send().await?;
    anyhow::ensure!(response.status() == 200, "expected 200, got {}", response.status());
    let mut stream = response.bytes_stream();
    let mut offset = 0u64;
    let mut expected = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if verify {
            expected.resize(chunk.len(), 0);
            zoom_sim::synthetic::fill(&file_id, offset, &mut expected);
            anyhow::ensure!(chunk.as_ref() == expected.as_slice(), "bytes differ near offset {offset}");
        }
        offset += chunk.len() as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(offset == size, "got {offset} bytes of {size}");
    let mib = size as f64 / (1024.0 * 1024.0);
    println!("streamed {mib:.0} MiB in {secs:.2} s: {:.0} MiB/s (verified: {verify})", mib / secs);
    println!(
        "peak rss (VmHWM): before download {:.1} MiB, after {:.1} MiB",
        rss_before as f64 / 1024.0,
        peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    sim.stop().await?;
    Ok(())
}

//! Memory and throughput of the Drive simulator: a 4 GiB synthetic file, generated while it is
//! sent, through the resumable protocol in 8 MiB chunks on loopback. Prints MiB/s and the
//! process's peak RSS (VmHWM; client and simulator share the process), then deletes the file.
//!
//! ```text
//! cargo run --release -p drive-sim --example upload_4gib [-- --size-mib 4096 --chunk-mib 8 --verify]
//! ```
//! `DRIVE_SIM_BENCH_DIR` picks the data directory (default: a temp dir).

use std::time::Instant;

use anyhow::{Context, bail};
use bytes::Bytes;
use drive_sim::{DEFAULT_SERVICE_ACCOUNT, DEFAULT_SHARED_DRIVE_ID, DriveSimConfig};
use md5::Digest;
use serde_json::{Value, json};

const MIB: u64 = 1 << 20;
/// Pieces of a chunk handed to the HTTP client, so no chunk is ever whole in memory.
const PIECE: u64 = 256 * 1024;

/// Byte `i` of the synthetic file: cheap, deterministic, not compressible by accident.
fn fill(offset: u64, buf: &mut [u8]) {
    for (i, word) in buf.chunks_mut(8).enumerate() {
        let x = (offset / 8 + i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let bytes = x.to_le_bytes();
        word.copy_from_slice(&bytes[..word.len()]);
    }
}

fn piece(offset: u64, len: u64) -> Bytes {
    let mut buf = vec![0u8; len as usize];
    fill(offset, &mut buf);
    Bytes::from(buf)
}

fn peak_rss_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM in /proc/self/status")?;
    Ok(line.split_whitespace().nth(1).context("VmHWM has no value")?.parse()?)
}

fn arg(name: &str, default: u64) -> anyhow::Result<u64> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args.get(i + 1).context("a value after the flag")?.parse()?),
        None => Ok(default),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let total = arg("--size-mib", 4096)? * MIB;
    let chunk = arg("--chunk-mib", 8)? * MIB;
    let verify = std::env::args().any(|a| a == "--verify");
    let dir = match std::env::var_os("DRIVE_SIM_BENCH_DIR") {
        Some(path) => tempfile::tempdir_in(path)?,
        None => tempfile::tempdir()?,
    };
    let sim = drive_sim::start(DriveSimConfig::new(dir.path()), "127.0.0.1:0".parse::<std::net::SocketAddr>()?).await?;
    let token = sim.access_token(DEFAULT_SERVICE_ACCOUNT, &["https://www.googleapis.com/auth/drive"])?;
    let http = reqwest::Client::new();

    let opened = http
        .post(format!(
            "{}upload/drive/v3/files?uploadType=resumable&supportsAllDrives=true&fields=id,size,md5Checksum",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .header("X-Upload-Content-Type", "video/mp4")
        .header("X-Upload-Content-Length", total.to_string())
        .json(&json!({"name": "synthetic.mp4", "parents": [DEFAULT_SHARED_DRIVE_ID]}))
        .send()
        .await?;
    let session = opened.headers().get("location").context("no session URI")?.to_str()?.to_owned();

    let started = Instant::now();
    let mut offset = 0u64;
    let mut client_md5 = md5::Md5::new();
    let file: Value = loop {
        let len = chunk.min(total - offset);
        let start = offset;
        let pieces = (0..len.div_ceil(PIECE)).map(move |i| {
            let at = start + i * PIECE;
            Ok::<Bytes, std::io::Error>(piece(at, PIECE.min(start + len - at)))
        });
        let response = http
            .put(&session)
            .header("Content-Range", format!("bytes {offset}-{}/{total}", offset + len - 1))
            .header("Content-Length", len.to_string())
            .body(reqwest::Body::wrap_stream(futures::stream::iter(pieces)))
            .send()
            .await?;
        // Honour Range: only what the server says it stored counts.
        let stored = match response.status().as_u16() {
            200 | 201 => total,
            308 => match response.headers().get("range") {
                Some(range) => range.to_str()?.trim_start_matches("bytes=0-").parse::<u64>()? + 1,
                None => 0,
            },
            other => bail!("chunk at {offset} answered {other}: {}", response.text().await?),
        };
        if verify {
            let mut at = offset;
            while at < stored {
                let n = PIECE.min(stored - at);
                client_md5.update(piece(at, n));
                at += n;
            }
        }
        offset = stored;
        if offset == total {
            break response.json().await?;
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    let mib = total as f64 / MIB as f64;
    println!("uploaded {mib:.0} MiB in {} MiB chunks in {seconds:.1} s: {:.0} MiB/s", chunk / MIB, mib / seconds);
    println!("peak RSS (VmHWM, client and simulator together): {:.1} MiB", peak_rss_kib()? as f64 / 1024.0);
    println!("size {} md5 {}", file["size"], file["md5Checksum"]);
    if verify {
        let expected = hex::encode(client_md5.finalize());
        anyhow::ensure!(
            file["md5Checksum"] == expected.as_str(),
            "md5 mismatch: client {expected}, simulator {}",
            file["md5Checksum"]
        );
        println!("md5 verified against the client's own");
    }
    let id = file["id"].as_str().context("no file id")?;
    let path = sim.disk_path(id).await.context("the file has no disk path")?;
    anyhow::ensure!(std::fs::metadata(&path)?.len() == total, "the file on disk has the wrong size");
    std::fs::remove_file(&path)?;
    sim.stop().await?;
    drop(dir);
    println!("deleted {}", path.display());
    Ok(())
}

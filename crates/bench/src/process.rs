//! `butterboard run` (embedded, all services): start-to-ready time and idle memory, measured on
//! the release binary beside this bench.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}

pub async fn run() -> anyhow::Result<()> {
    println!("== butterboard run (embedded, --target all)");
    let binary = std::env::current_exe()?.with_file_name("butterboard");
    anyhow::ensure!(binary.exists(), "build the binary first: cargo build --release -p butterboard");
    let data = tempfile::tempdir()?;
    let admin = free_port()?;
    let mut child = Command::new(&binary)
        .arg("run")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("BUTTERBOARD_DATA_DIR", data.path())
        .env("BUTTERBOARD_ADMIN_ADDR", format!("127.0.0.1:{admin}"))
        .env("BUTTERBOARD_GRPC_ADDR", format!("127.0.0.1:{}", free_port()?))
        .env("BUTTERBOARD_WEBHOOK_ADDR", format!("127.0.0.1:{}", free_port()?))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(Duration::from_millis(500)).build()?;
    let url = format!("http://127.0.0.1:{admin}/readyz");
    loop {
        if let Ok(response) = client.get(&url).send().await
            && response.status().is_success()
        {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(30), "not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    crate::report("start to ready (/readyz 200)", started.elapsed().as_secs_f64() * 1000.0, "ms", "≤ 2000");
    tokio::time::sleep(Duration::from_secs(3)).await;
    crate::report("idle RSS", rss_kib(child.id())? as f64 / 1024.0, "MiB", "≤ 60");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status()?;
    let status = child.wait()?;
    println!(
        "{:<52} {:>12}",
        "exit status after SIGTERM",
        status.code().map(|c| c.to_string()).unwrap_or("signal".into())
    );
    Ok(())
}

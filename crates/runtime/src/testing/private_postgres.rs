//! A private PostgreSQL cluster that a test may stop and start again, for the faults a shared
//! server cannot show (scripts/pg-private.sh starts it from the machine's PostgreSQL binaries).

use std::path::PathBuf;

/// A private PostgreSQL cluster (scripts/pg-private.sh) that a test may stop and start.
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    port: u16,
    pub url: String,
}

fn pg_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-private.sh")
}

fn pg(args: &[&str]) -> String {
    let output = std::process::Command::new("bash").arg(pg_script()).args(args).output().expect("runs pg-private.sh");
    assert!(output.status.success(), "pg-private.sh {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().lines().last().unwrap_or_default().to_string()
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let dir = tempfile::Builder::new().prefix("bb-pg").tempdir_in("/tmp").expect("tempdir");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
        let url = pg(&["start", &dir.path().join("data").display().to_string(), &port.to_string()]);
        PrivatePostgres { dir, port, url }
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    pub fn stop(&self) {
        pg(&["stop", &self.data()]);
    }

    pub fn restart(&self) {
        pg(&["start", &self.data(), &self.port.to_string()]);
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash").arg(pg_script()).args(["kill", &self.data()]).output();
    }
}

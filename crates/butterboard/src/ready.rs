//! What `butterboard run` prints once the process is ready: how long it took, where each listener
//! is, where the data lives, whether Zoom and Drive are real or simulated, a token to try the
//! APIs with (embedded mode, where the key is local), and the next command.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use butterboard_runtime::admin::Readiness;
use butterboard_runtime::auth::{Authenticator, Role};
use butterboard_runtime::config::Mode;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::shutdown::Shutdown;

/// How long a ready HR token lives: a working day of trying things out.
const TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);

/// What the banner describes, gathered while the process was assembled.
pub struct Banner {
    pub started: Instant,
    pub mode: Mode,
    pub targets: Vec<ServiceName>,
    pub webhook: Option<SocketAddr>,
    pub grpc: SocketAddr,
    pub admin: SocketAddr,
    pub data_dir: PathBuf,
    /// The simulated Zoom's base URL, when it stands in for Zoom.
    pub zoom_simulator: Option<String>,
    /// The simulated Drive's folder on disk, when it stands in for Drive.
    pub drive_folder: Option<PathBuf>,
    pub zoom_account: Option<String>,
}

impl Banner {
    /// Waits until every readiness check passes (or shutdown), then prints the banner once.
    pub async fn print_when_ready(self, readiness: Readiness, auth: Authenticator, shutdown: Shutdown) {
        loop {
            if shutdown.is_triggered() {
                return;
            }
            if readiness.evaluate(&shutdown).await.is_ready() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let elapsed = self.started.elapsed();
        tracing::info!(ready_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX), "butterboard ready");
        // Only where the signing key is this process's own: a distributed install's key is the
        // platform's, and a token printed to a log would be a credential in the wrong place.
        let token = match self.mode {
            Mode::Embedded => auth.mint("hr@butterboard.local", &[Role::Hr], TOKEN_TTL).ok(),
            Mode::Distributed => None,
        };
        if let Err(error) = crate::output::line(self.render(elapsed, token.as_deref())) {
            tracing::debug!(%error, "cannot print the ready banner");
        }
    }

    fn render(&self, elapsed: Duration, token: Option<&str>) -> String {
        let local = |addr: SocketAddr| crate::sims::loopback_for(addr);
        let targets = if self.targets.len() == ServiceName::ALL.len() {
            "all five services".to_string()
        } else {
            self.targets.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
        };
        let mode = match self.mode {
            Mode::Embedded => "embedded",
            Mode::Distributed => "distributed",
        };
        let mut out =
            format!("\nButterboard Meetings is ready in {:.1} s ({mode} mode, {targets})\n", elapsed.as_secs_f64());
        if let Some(webhook) = self.webhook {
            let _ = writeln!(out, "  Zoom webhooks  http://{}{}", local(webhook), zoom_webhook_ingest::receive::PATH);
        }
        let _ = writeln!(out, "  gRPC           {}", local(self.grpc));
        let _ = writeln!(out, "  admin          http://{}/readyz  /metrics", local(self.admin));
        if self.mode == Mode::Embedded {
            let _ = writeln!(out, "  data           {}", self.data_dir.display());
        }
        match (&self.zoom_simulator, &self.zoom_account) {
            (Some(url), _) => {
                let _ = writeln!(out, "  Zoom           simulated at {url} (no ZOOM_* credentials set)");
            }
            (None, Some(account)) => {
                let _ = writeln!(out, "  Zoom           account {account}");
            }
            (None, None) => {}
        }
        match &self.drive_folder {
            Some(folder) => {
                let _ = writeln!(out, "  Drive          simulated, files in {}", folder.display());
            }
            None => {
                let _ = writeln!(out, "  Drive          the configured Shared Drive");
            }
        }
        if let Some(token) = token {
            let _ = writeln!(out, "  HR token       {token}");
            let _ = writeln!(
                out,
                "                (valid 8 h; `butterboard token --role hr --sub you@example.com` mints another)"
            );
        }
        let _ = writeln!(
            out,
            "  next           butterboard demo   (from this checkout: cargo run --release -p butterboard -- demo)"
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner(mode: Mode) -> Banner {
        Banner {
            started: Instant::now(),
            mode,
            targets: ServiceName::ALL.to_vec(),
            webhook: Some(([0, 0, 0, 0], 8080).into()),
            grpc: ([127, 0, 0, 1], 50051).into(),
            admin: ([127, 0, 0, 1], 9090).into(),
            data_dir: "./data".into(),
            zoom_simulator: Some("http://127.0.0.1:40000".into()),
            drive_folder: Some("./data/sim/drive".into()),
            zoom_account: None,
        }
    }

    #[test]
    fn the_banner_says_where_everything_is_and_what_to_run_next() {
        let text = banner(Mode::Embedded).render(Duration::from_millis(830), Some("tok"));
        assert!(text.contains("ready in 0.8 s (embedded mode, all five services)"), "{text}");
        assert!(
            text.contains("http://127.0.0.1:8080/zoom/webhooks"),
            "an unspecified address is shown as loopback: {text}"
        );
        assert!(text.contains("HR token       tok"), "{text}");
        assert!(text.contains("butterboard demo"), "{text}");
        let distributed = banner(Mode::Distributed).render(Duration::from_secs(2), None);
        assert!(!distributed.contains("HR token"), "{distributed}");
        assert!(!distributed.contains("data "), "{distributed}");
    }
}

//! The one shutdown token of a process, injected into every component (never a global).
//!
//! The first SIGTERM or SIGINT cancels the token: servers stop accepting, consumers stop pulling and
//! settle what they hold, relays finish their batch. A second SIGINT exits at once.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// A cloneable handle on the process's shutdown.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts shutting down everything holding this token (or a child of it).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Resolves once shutdown has started.
    pub fn wait(&self) -> impl Future<Output = ()> + Send + 'static {
        self.token.clone().cancelled_owned()
    }

    /// A token cancelled with this one, that can also be cancelled on its own.
    pub fn child(&self) -> Shutdown {
        Shutdown { token: self.token.child_token() }
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// Triggers shutdown on the first SIGTERM/SIGINT; exits the process with 130 on a second SIGINT.
    pub fn listen_for_signals(&self) {
        let shutdown = self.clone();
        tokio::spawn(async move {
            let signal = wait_for_signal().await;
            tracing::info!(signal, "shutting down, press ctrl-c again to force");
            shutdown.trigger();
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("second interrupt, exiting now");
                std::process::exit(130);
            }
        });
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM, only SIGINT stops the process");
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

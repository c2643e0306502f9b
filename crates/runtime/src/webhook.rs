//! The webhook HTTP listener (`BUTTERBOARD_WEBHOOK_ADDR`): serves the routes services contribute
//! (today only `zoom-webhook-ingest`'s) until shutdown. The binary and the test harness both serve
//! through [`serve`], so what is tested is what runs.
//!
//! The listener faces the internet, so a client that opens connections and then sends its
//! request slowly must not hold them forever: each connection has [`HEADER_READ_TIMEOUT`] to
//! deliver its request line and headers (Zoom sends a few hundred bytes at once, and gives up on
//! an answer after 3 s anyway). The body's own deadline is the route's (the ingest's). `axum::serve`
//! exposes no timer or header timeout, so connections are served with hyper's HTTP/1.1
//! connection builder directly, as `axum::serve` does inside, with graceful shutdown.

use std::time::Duration;

use anyhow::Context as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;

/// How long a connection may take to send a request's line and headers, idle keep-alive time
/// included: after it, the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long open requests may take to finish once shutdown fired.
const DRAIN_LIMIT: Duration = Duration::from_secs(15);

/// Serves `router` on `listener` until `shutdown` fires and open requests finish.
pub async fn serve(listener: TcpListener, router: axum::Router, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            _ = shutdown.wait() => break,
        };
        // Answers are small and latency matters more than packet count.
        let _ = stream.set_nodelay(true);
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Clients closing early and header timeouts end up here: normal on the internet.
                tracing::debug!(%error, "webhook connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::time::timeout(DRAIN_LIMIT, graceful.shutdown())
        .await
        .context("webhook server: open requests did not finish in time")
}

/// A failed `accept`: a connection reset before it was accepted is the client's business; anything
/// else (out of file descriptors) is logged and retried after a pause, as `axum::serve` does,
/// rather than spinning or stopping the listener.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::warn!(%error, "webhook listener cannot accept a connection, retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

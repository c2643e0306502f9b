//! The webhook HTTP listener (`BUTTERBOARD_WEBHOOK_ADDR`): serves the routes services contribute
//! (today only `zoom-webhook-ingest`'s) until shutdown. The binary and the test harness both serve
//! through [`serve`], so what is tested is what runs.

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::shutdown::Shutdown;

/// Serves `router` on `listener` until `shutdown` fires and open requests finish.
pub async fn serve(listener: TcpListener, router: axum::Router, shutdown: Shutdown) -> anyhow::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown.wait()).await.context("webhook server")
}

//! The HTTP server: routes, and an accept loop that can drop one connection on purpose.
//!
//! axum's own `serve` hides the connection, but a faithful "connection dropped mid-chunk" needs
//! the server to close the socket without answering. Each connection's stream is wrapped so a
//! handler can [`ConnControl::kill`] it: the next read or write fails, hyper gives up on the
//! connection, and the client sees a reset instead of a response.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::error::ApiError;
use crate::state::SharedState;
use crate::{faults, files, inspect, list, permissions, token, upload, upload_chunk};

/// Lets a handler drop its own connection (inserted into every request's extensions).
#[derive(Debug, Clone, Default)]
pub(crate) struct ConnControl {
    killed: Arc<AtomicBool>,
}

impl ConnControl {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

/// A TCP stream that fails every operation once killed.
struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl KillableStream {
    fn check(&self) -> io::Result<()> {
        if self.killed.load(Ordering::SeqCst) {
            Err(io::Error::new(io::ErrorKind::ConnectionAborted, "connection dropped by fault injection"))
        } else {
            Ok(())
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.check()?;
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.check()?;
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Every route of the simulator.
pub(crate) fn router(state: SharedState) -> Router {
    Router::new()
        .route("/token", post(token::token_endpoint))
        .route("/drive/v3/about", get(list::about))
        .route("/drive/v3/drives", get(list::drives))
        .route("/drive/v3/drives/{driveId}", get(list::drive))
        .route("/drive/v3/files", get(list::list).post(files::create))
        .route("/drive/v3/files/generateIds", get(files::generate_ids))
        .route("/drive/v3/files/{fileId}", get(files::get).patch(files::update))
        .route("/drive/v3/files/{fileId}/permissions", get(permissions::list).post(permissions::create))
        .route("/upload/drive/v3/files", post(upload::post).put(upload_chunk::chunk))
        .merge(inspect::routes())
        .fallback(|| async {
            ApiError::new(axum::http::StatusCode::NOT_FOUND, "notFound", "Not Found").into_response()
        })
        .layer(from_fn_with_state(state.clone(), faults::inject))
        .layer(from_fn_with_state(state.clone(), inspect::record))
        .with_state(state)
}

/// Accepts connections until `shutdown`, then lets open requests finish (up to 5 s).
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    let graceful = GracefulShutdown::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %error, "drive simulator cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let control = ConnControl::default();
        let io = TokioIo::new(KillableStream { inner: stream, killed: control.killed.clone() });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(control.clone());
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection =
            hyper::server::conn::http1::Builder::new().timer(TokioTimer::new()).serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "drive simulator connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::debug!("drive simulator connections drained"),
        _ = tokio::time::sleep(Duration::from_secs(5)) => tracing::warn!("drive simulator stopped with requests still open"),
    }
}

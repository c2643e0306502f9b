//! The load generator's HTTP side: one hyper HTTP/1.1 keep-alive connection per request in
//! flight, every request signed before the clock starts.
//!
//! Why not reqwest: on two cores the generator's CPU is taken from the server it measures, and
//! reqwest's pool, redirect policy and per-request header map cost several times what a bare
//! connection does (the verify-only floor is the measure of it). Zoom's own senders keep
//! connections open, as this does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A signed delivery, ready to send as often as needed.
#[derive(Clone)]
pub struct Signed {
    pub body: Bytes,
    pub timestamp: HeaderValue,
    pub signature: HeaderValue,
}

/// Where the requests go.
#[derive(Clone)]
pub struct Target {
    address: SocketAddr,
    path: Arc<str>,
    host: HeaderValue,
}

impl Target {
    /// `url` as `http://ip:port/path`.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: http::Uri = url.parse()?;
        let authority = uri.authority().ok_or_else(|| anyhow::anyhow!("{url} has no host"))?;
        Ok(Self {
            address: authority.as_str().parse()?,
            path: uri.path().into(),
            host: HeaderValue::from_str(authority.as_str())?,
        })
    }

    async fn connect(&self) -> anyhow::Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(sender)
    }

    fn request(&self, signed: &Signed) -> anyhow::Result<Request<Full<Bytes>>> {
        Ok(Request::builder()
            .method(Method::POST)
            .uri(&*self.path)
            .header(http::header::HOST, self.host.clone())
            .header(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("x-zm-request-timestamp", signed.timestamp.clone())
            .header("x-zm-signature", signed.signature.clone())
            .body(Full::new(signed.body.clone()))?)
    }
}

/// One answered request: its status (0 when the connection failed) and its latency.
pub type Answer = (u16, Duration);

/// A connection that reconnects after a failure.
struct Connection {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    async fn send(&mut self, signed: &Signed) -> u16 {
        match self.try_send(signed).await {
            Ok(status) => status,
            Err(_) => {
                self.sender = None;
                0
            }
        }
    }

    async fn try_send(&mut self, signed: &Signed) -> anyhow::Result<u16> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(self.target.connect().await?);
        }
        let sender = self.sender.as_mut().ok_or_else(|| anyhow::anyhow!("no connection"))?;
        sender.ready().await?;
        let response = sender.send_request(self.target.request(signed)?).await?;
        let status = response.status().as_u16();
        response.into_body().collect().await?;
        Ok(status)
    }
}

/// How requests are sent.
#[derive(Debug, Clone, Copy)]
pub enum Pacing {
    /// Open loop at `rate` req/s in total: request `i` is due at `start + i / rate` and its latency
    /// counts from then, so a stalled server cannot hide its queue (no coordinated omission).
    Open(u64),
    /// Closed loop paced at `rate` req/s in total, the way a new user tries a server (`hey -c 10
    /// -q 100`): each connection sends its next request at its own next slot, or as soon as the
    /// previous answer came if that is later, and latency counts from the send.
    Closed(u64),
    /// Closed loop flat out: each connection sends its next request as soon as it has an answer.
    Flat,
}

/// Sends every request of `requests` over `connections` connections, paced by `pacing`.
pub async fn send_all(
    target: &Target,
    requests: Arc<Vec<Signed>>,
    connections: usize,
    pacing: Pacing,
) -> (Vec<Answer>, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..connections {
        let (requests, next) = (requests.clone(), next.clone());
        let mut connection = Connection { target: target.clone(), sender: None };
        workers.spawn(async move {
            let mut answers = Vec::new();
            for round in 0_u64.. {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(signed) = requests.get(i) else { return answers };
                let due = |slot: u64, rate: u64| started + Duration::from_nanos(slot * 1_000_000_000 / rate.max(1));
                let from = match pacing {
                    Pacing::Open(rate) => {
                        let due = due(i as u64, rate);
                        tokio::time::sleep_until(due).await;
                        due
                    }
                    Pacing::Closed(rate) => {
                        // Slot `round` of this connection: the connections' slots interleave evenly.
                        tokio::time::sleep_until(due(round * connections as u64 + worker as u64, rate)).await;
                        Instant::now()
                    }
                    Pacing::Flat => Instant::now(),
                };
                let status = connection.send(signed).await;
                answers.push((status, from.elapsed()));
            }
            answers
        });
    }
    let mut answers = Vec::with_capacity(requests.len());
    while let Some(Ok(done)) = workers.join_next().await {
        answers.extend(done);
    }
    (answers, started.elapsed())
}

//! Where recording downloads send their token, against the Zoom simulator and hostile servers on
//! loopback: a server that records every request's Authorization header, one that redirects, and
//! ones whose error bodies never end.

mod support;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use support::{HOST, client, config, recorded_script, sim};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zoom::rest::{CreateMeeting, ZoomClient, ZoomError};
use zoom::webhook::events::DownloadToken;
use zoom_sim::ZoomSimConfig;

const TOKEN: &str = "download-token-that-must-stay-with-zoom";

/// Each request a hostile server got: its path and Authorization header.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A server on loopback that records what reaches it. `/rec/download/…` answers with the bytes,
/// or with a 302 to `redirect_to`; `/endless` fails with a body that never ends, `/trickle` with
/// one that never finishes.
struct Hostile {
    base_url: String,
    seen: Seen,
}

impl Hostile {
    async fn start(redirect_to: Option<String>) -> Hostile {
        let seen = Seen::default();
        let app = axum::Router::new().fallback(answer).with_state((seen.clone(), redirect_to));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Hostile { base_url, seen }
    }

    fn seen(&self) -> Vec<(String, Option<String>)> {
        self.seen.lock().expect("seen").clone()
    }
}

/// A body of `chunk`s, one every `every`, forever.
fn endless(chunk: &'static [u8], every: Duration) -> Body {
    Body::from_stream(futures::stream::unfold((), move |()| async move {
        tokio::time::sleep(every).await;
        Some((Ok::<_, Infallible>(Bytes::from_static(chunk)), ()))
    }))
}

async fn answer(State((seen, redirect_to)): State<(Seen, Option<String>)>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    seen.lock().expect("seen").push((path.clone(), authorization));
    match (path.as_str(), redirect_to) {
        ("/endless", _) => {
            (StatusCode::INTERNAL_SERVER_ERROR, endless(&[b'x'; 8192], Duration::from_millis(2))).into_response()
        }
        ("/trickle", _) => (StatusCode::FORBIDDEN, endless(b"{", Duration::from_millis(50))).into_response(),
        (_, Some(to)) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
        _ => "recording bytes".into_response(),
    }
}

/// A recorded meeting on the simulator: one of its files' download URL and the webhook's token.
async fn recorded(sim: &zoom_sim::ZoomSim) -> (String, DownloadToken) {
    let start = OffsetDateTime::parse("2026-12-01T09:00:00Z", &Rfc3339).expect("time");
    let created =
        client(sim).create_meeting(HOST, &CreateMeeting::scheduled("Training", start, 45)).await.expect("create");
    let report = sim.play(created.id, recorded_script(4096)).expect("play").wait().await.expect("played");
    let recording = sim.recordings().into_iter().find(|r| r.recording.uuid == report.uuid).expect("recording");
    let url = recording.recording.recording_files[0].download_url.clone();
    (url, DownloadToken::new(report.download_token.expect("download token")))
}

fn refused_origin(result: Result<zoom::rest::Download, ZoomError>) -> String {
    match result {
        Err(ZoomError::DownloadRefused { origin }) => origin,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_token_goes_only_to_an_allowed_origin_and_nothing_is_sent_elsewhere() {
    let sim = sim(ZoomSimConfig::default()).await;
    let (url, token) = recorded(&sim).await;
    // By default only Zoom's download hosts: the simulator's URL is refused, and not even the
    // account's API token is fetched for it.
    let zoom_only = ZoomClient::new(config(&sim.api_base_url(), &sim.oauth_url())).expect("client");
    let error = zoom_only.download(&url, Some(&token), None).await.expect_err("not a zoom host");
    assert!(!error.to_string().contains(token.expose()), "{error}");
    assert_eq!(refused_origin(Err(error)), sim.base_url());
    assert_eq!(refused_origin(zoom_only.download(&url, None, None).await), sim.base_url());
    assert_eq!(zoom_only.token_fetches(), 0, "nothing was sent, not even a token request");
    // With the simulator's origin added, the same URL downloads.
    let with_sim = client(&sim);
    assert_eq!(with_sim.download(&url, Some(&token), None).await.expect("download").status, 200);

    let hostile = Hostile::start(None).await;
    let elsewhere = format!("{}/rec/download/file-1", hostile.base_url);
    let secret = DownloadToken::new(TOKEN);
    assert_eq!(refused_origin(with_sim.download(&elsewhere, Some(&secret), None).await), hostile.base_url);
    assert_eq!(refused_origin(with_sim.download(&elsewhere, None, None).await), hostile.base_url);
    let plain = "http://us06web.zoom.us/rec/download/file-1";
    assert_eq!(refused_origin(with_sim.download(plain, Some(&secret), None).await), "http://us06web.zoom.us");
    assert_eq!(hostile.seen(), [], "the hostile server never heard from the client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_goes_on_without_the_token_and_never_to_plain_http_elsewhere() {
    let sim = sim(ZoomSimConfig::default()).await;
    let signed = Hostile::start(None).await;
    let signed_url = format!("{}/rec/file/file-1?sig=abc", signed.base_url);
    let zoom = Hostile::start(Some(signed_url)).await;
    let download_url = format!("{}/rec/download/file-1", zoom.base_url);
    let secret = DownloadToken::new(TOKEN);

    // The signed URL is plain http to a host that is not allowed: not followed.
    let config = config(&sim.api_base_url(), &sim.oauth_url()).allow_download_origin(&zoom.base_url);
    let client = ZoomClient::new(config.clone()).expect("client");
    assert_eq!(refused_origin(client.download(&download_url, Some(&secret), None).await), signed.base_url);
    assert_eq!(signed.seen(), [], "not a single request to it");
    assert_eq!(zoom.seen(), [("/rec/download/file-1".to_string(), Some(format!("Bearer {TOKEN}")))]);

    // Where it may go, it gets the request without the token.
    let client = ZoomClient::new(config.allow_download_origin(&signed.base_url)).expect("client");
    let download = client.download(&download_url, Some(&secret), None).await.expect("followed");
    assert_eq!(download.status, 200);
    assert_eq!(signed.seen(), [("/rec/file/file-1".to_string(), None)], "no Authorization after the redirect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_reads_a_capped_error_body_within_the_timeout() {
    let sim = sim(ZoomSimConfig::default()).await;
    let hostile = Hostile::start(None).await;
    let mut config = config(&sim.api_base_url(), &sim.oauth_url()).allow_download_origin(&hostile.base_url);
    config.request_timeout = Duration::from_millis(500);
    let client = ZoomClient::new(config).expect("client");
    let secret = DownloadToken::new(TOKEN);
    // A guard against a hang, so a regression fails instead of waiting forever.
    let guard = Duration::from_secs(20);
    let (endless_url, trickle_url) = (format!("{}/endless", hostile.base_url), format!("{}/trickle", hostile.base_url));
    let endless = client.download(&endless_url, Some(&secret), None);
    let error = tokio::time::timeout(guard, endless).await.expect("the endless body is cut").expect_err("a 500");
    assert_eq!(error.status(), Some(500), "{error}");
    let trickle = client.download(&trickle_url, Some(&secret), None);
    let error = tokio::time::timeout(guard, trickle).await.expect("the trickle is not waited for").expect_err("a 403");
    assert_eq!(error.status(), Some(403), "{error}");
}

//! Test helpers: a simulator in a temp dir, a plain reqwest client, and the service-account
//! dance done by hand (sign an RS256 assertion with the written key file, exchange it).

#![allow(dead_code, clippy::unwrap_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use drive_sim::{DriveSim, DriveSimConfig, ServiceAccountKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const DRIVE_SCOPE: &str = "https://www.googleapis.com/auth/drive";
pub const FOLDER: &str = "application/vnd.google-apps.folder";
pub const KIB: usize = 1024;

pub struct TestSim {
    pub sim: DriveSim,
    pub dir: TempDir,
    pub http: reqwest::Client,
    pub key: ServiceAccountKey,
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("a reqwest client")
}

pub async fn start() -> TestSim {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut DriveSimConfig)) -> TestSim {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = DriveSimConfig::new(dir.path());
    adjust(&mut config);
    start_in(dir, config).await
}

/// Starts a simulator on a data dir that may already hold a previous run.
pub async fn start_in(dir: TempDir, config: DriveSimConfig) -> TestSim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let sim = drive_sim::start(config, listener).await.expect("the simulator starts");
    let key_path = dir.path().join("key.json");
    let key = sim.write_service_account_key(&key_path).await.expect("a key file");
    TestSim { sim, dir, http: client(), key }
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sim.base_url(), path.trim_start_matches('/'))
    }

    /// The claims a Google client library would sign.
    pub fn claims(&self) -> Value {
        json!({
            "iss": self.key.client_email,
            "scope": DRIVE_SCOPE,
            "aud": self.key.token_uri,
            "iat": now(),
            "exp": now() + 3600,
        })
    }

    /// Signs `claims` with the key file's private key, as yup-oauth2 does.
    pub fn assertion(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key.private_key_id.clone());
        let key = EncodingKey::from_rsa_pem(self.key.private_key.as_bytes()).expect("the key file's PEM parses");
        jsonwebtoken::encode(&header, claims, &key).expect("signing works")
    }

    pub async fn exchange(&self, assertion: &str) -> reqwest::Response {
        self.http
            .post(&self.key.token_uri)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)])
            .send()
            .await
            .expect("the token endpoint answers")
    }

    /// A token for the service account with the full Drive scope, obtained the real way.
    pub async fn token(&self) -> String {
        self.token_for(self.claims()).await
    }

    pub async fn token_for(&self, claims: Value) -> String {
        let response = self.exchange(&self.assertion(&claims)).await;
        assert_eq!(response.status(), 200, "token exchange failed");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().expect("an access token").to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("the simulator answers")
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(token).json(&body).send().await.expect("the simulator answers")
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http.patch(self.url(path)).bearer_auth(token).json(&body).send().await.expect("the simulator answers")
    }

    /// Creates a folder in the Shared Drive (or another parent) and returns its id.
    pub async fn folder(&self, token: &str, name: &str, parent: &str) -> String {
        let response = self
            .post(
                token,
                "drive/v3/files?supportsAllDrives=true",
                json!({"name": name, "mimeType": FOLDER, "parents": [parent]}),
            )
            .await;
        assert_eq!(response.status(), 200, "folder creation failed");
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// Opens a resumable session and returns the session URI.
    pub async fn open_session(&self, token: &str, query: &str, metadata: Value, total: Option<u64>) -> String {
        let mut request = self
            .http
            .post(self.url(&format!("upload/drive/v3/files?uploadType=resumable&{query}")))
            .bearer_auth(token)
            .header("X-Upload-Content-Type", "video/mp4")
            .json(&metadata);
        if let Some(total) = total {
            request = request.header("X-Upload-Content-Length", total.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "session creation failed: {:?}", response.text().await);
        response.headers()["location"].to_str().unwrap().to_owned()
    }

    /// PUTs `data[start..start+len]` as one chunk of a `total`-byte upload.
    pub async fn put_chunk(&self, session: &str, data: &[u8], start: usize, len: usize) -> reqwest::Response {
        let end = start + len - 1;
        self.http
            .put(session)
            .header("Content-Range", format!("bytes {start}-{end}/{}", data.len()))
            .body(data[start..start + len].to_vec())
            .send()
            .await
            .expect("the simulator answers")
    }

    /// An empty PUT asking how much is stored.
    pub async fn status_query(&self, session: &str, total: usize) -> reqwest::Response {
        self.http
            .put(session)
            .header("Content-Range", format!("bytes */{total}"))
            .header("Content-Length", "0")
            .send()
            .await
            .expect("the simulator answers")
    }
}

/// Deterministic test bytes.
pub fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(31) % 251) as u8).collect()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(bytes))
}

/// The next byte to send after a 308, from its `Range` header (0 when absent).
pub fn next_offset(response: &reqwest::Response) -> usize {
    match response.headers().get("range") {
        None => 0,
        Some(value) => {
            let text = value.to_str().unwrap();
            let last: usize = text.strip_prefix("bytes=0-").expect("Range is bytes=0-N").parse().unwrap();
            last + 1
        }
    }
}

/// `(status, errors[0].reason)` of a Google error response.
pub async fn error_reason(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error body");
    let reason = body["error"]["errors"][0]["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(body["error"]["code"], status, "error.code repeats the status");
    (status, reason)
}

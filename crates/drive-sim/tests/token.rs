//! The service-account token endpoint and bearer checks, driven with a plain HTTP client.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn the_written_key_file_has_googles_service_account_shape() {
    let t = start().await;
    let written: Value = serde_json::from_slice(&std::fs::read(t.dir.path().join("key.json")).unwrap()).unwrap();
    for field in
        ["type", "project_id", "private_key_id", "private_key", "client_email", "client_id", "auth_uri", "token_uri"]
    {
        assert!(written[field].as_str().is_some_and(|v| !v.is_empty()), "{field} is missing");
    }
    assert_eq!(written["type"], "service_account");
    assert_eq!(written["client_email"], drive_sim::DEFAULT_SERVICE_ACCOUNT);
    assert_eq!(written["token_uri"], format!("{}token", t.sim.base_url()));
    let pem = written["private_key"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM, as Google writes it");
    let key = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(pem).unwrap();
    assert_eq!(rsa::traits::PublicKeyParts::size(&key), 256, "an RSA 2048 key");
}

#[tokio::test]
async fn an_assertion_signed_with_the_key_file_gets_a_bearer_token() {
    let t = start().await;
    let response = t.exchange(&t.assertion(&t.claims())).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 3000);
    let token = body["access_token"].as_str().unwrap();
    let about = t.get(token, "drive/v3/about?fields=user").await;
    assert_eq!(about.status(), 200);
    let about: Value = about.json().await.unwrap();
    assert_eq!(about["user"]["emailAddress"], drive_sim::DEFAULT_SERVICE_ACCOUNT);
}

#[tokio::test]
async fn a_forged_or_tampered_assertion_is_refused_as_invalid_grant() {
    let t = start().await;
    // Signed with a key the simulator never issued.
    let forger = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&forger, rsa::pkcs8::LineEnding::LF).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(t.key.private_key_id.clone());
    let forged =
        jsonwebtoken::encode(&header, &t.claims(), &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap())
            .unwrap();
    // A genuine signature over different claims.
    let genuine = t.assertion(&t.claims());
    let mut parts: Vec<String> = genuine.split('.').map(str::to_owned).collect();
    let mut claims = t.claims();
    claims["scope"] = json!("https://www.googleapis.com/auth/cloud-platform");
    parts[1] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims.to_string());
    let tampered = parts.join(".");
    for assertion in [forged, tampered, "not.a.jwt".to_owned()] {
        let response = t.exchange(&assertion).await;
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant", "{body}");
    }
}

#[tokio::test]
async fn assertions_with_the_wrong_audience_or_lifetime_are_refused() {
    let t = start().await;
    let mut wrong_audience = t.claims();
    wrong_audience["aud"] = json!("https://example.invalid/token");
    let mut expired = t.claims();
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let mut too_long = t.claims();
    too_long["exp"] = json!(now() + 7200);
    for claims in [wrong_audience, expired, too_long] {
        let response = t.exchange(&t.assertion(&claims)).await;
        assert_eq!(response.status(), 400, "{claims}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_grant");
    }
    let response = t.http.post(&t.key.token_uri).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn api_calls_without_a_valid_bearer_get_googles_401_shape() {
    let t = start().await;
    let missing = t.http.get(t.url("drive/v3/files")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("www-authenticate"));
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], 401);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(body["error"]["errors"][0]["reason"], "required");
    let bogus = t.get("ya29.made-up", "drive/v3/files").await;
    assert_eq!(error_reason(bogus).await, (401, "authError".to_owned()));
}

#[tokio::test]
async fn an_access_token_stops_working_after_an_hour() {
    let t = start().await;
    let token = t.token().await;
    assert_eq!(t.get(&token, "drive/v3/files").await.status(), 200);
    t.sim.advance_clock(Duration::from_secs(3601));
    assert_eq!(error_reason(t.get(&token, "drive/v3/files").await).await, (401, "authError".to_owned()));
}

#[tokio::test]
async fn domain_wide_delegation_needs_the_admins_grant() {
    let refused = start().await;
    let mut claims = refused.claims();
    claims["sub"] = json!(drive_sim::DEFAULT_USER);
    let response = refused.exchange(&refused.assertion(&claims)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "unauthorized_client");

    let allowed = start_with(|c| c.service_accounts[0].domain_wide_delegation = true).await;
    let mut claims = allowed.claims();
    claims["sub"] = json!(drive_sim::DEFAULT_USER);
    let token = allowed.token_for(claims).await;
    let about: Value = allowed.get(&token, "drive/v3/about?fields=user").await.json().await.unwrap();
    assert_eq!(about["user"]["emailAddress"], drive_sim::DEFAULT_USER);
}

#[tokio::test]
async fn a_read_only_scope_cannot_create_files() {
    let t = start().await;
    let mut claims = t.claims();
    claims["scope"] = json!("https://www.googleapis.com/auth/drive.readonly");
    let token = t.token_for(claims).await;
    let response = t
        .post(
            &token,
            "drive/v3/files?supportsAllDrives=true",
            json!({"name": "x", "mimeType": FOLDER, "parents": [drive_sim::DEFAULT_SHARED_DRIVE_ID]}),
        )
        .await;
    assert_eq!(error_reason(response).await, (403, "insufficientPermissions".to_owned()));
    assert_eq!(t.get(&token, "drive/v3/files").await.status(), 200, "reading is still allowed");
}

/// yup-oauth2 writes its assertion by hand: padded base64url, no `kid`, `"sub": null`.
#[tokio::test]
async fn an_assertion_encoded_like_yup_oauth2_is_accepted() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE;
    use rsa::signature::{SignatureEncoding, Signer};

    let t = start().await;
    let claims = json!({
        "iss": t.key.client_email, "aud": t.key.token_uri, "exp": now() + 3595, "iat": now(),
        "sub": null, "scope": DRIVE_SCOPE,
    });
    let mut jwt = URL_SAFE.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    jwt.push('.');
    jwt.push_str(&URL_SAFE.encode(claims.to_string()));
    let private = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&t.key.private_key).unwrap();
    let signer = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(private);
    let signature = signer.sign(jwt.as_bytes()).to_vec();
    jwt.push('.');
    jwt.push_str(&URL_SAFE.encode(signature));
    assert!(jwt.contains('='), "this test is about padded segments");
    let response = t.exchange(&jwt).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

//! What a person sees on disk, and what survives a restart.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use drive_sim::{DEFAULT_SHARED_DRIVE_ID as DRIVE, DriveSimConfig};
use serde_json::{Value, json};

const FLAGS: &str = "supportsAllDrives=true";

async fn upload(t: &TestSim, token: &str, name: &str, parent: &str, bytes: &[u8]) -> String {
    let session = t.open_session(token, FLAGS, json!({"name": name, "parents": [parent]}), None).await;
    let done = t.put_chunk(&session, bytes, 0, bytes.len()).await;
    assert_eq!(done.status(), 200);
    done.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_disk_shows_drive_folder_and_file_names_with_twins_suffixed() {
    let t = start().await;
    let token = t.token().await;
    let engineering = t.folder(&token, "Engineering", DRIVE).await;
    let week = t.folder(&token, "Week 1", &engineering).await;
    let twin = t.folder(&token, "Week 1", &engineering).await;
    upload(&t, &token, "recording.mp4", &week, b"first").await;
    upload(&t, &token, "recording.mp4", &week, b"second").await;
    upload(&t, &token, "a/b: c.txt", &twin, b"odd name").await;
    let root = t.dir.path().join("drive/Butterboard Recordings/Engineering");
    assert_eq!(std::fs::read(root.join("Week 1/recording.mp4")).unwrap(), b"first");
    assert_eq!(std::fs::read(root.join("Week 1/recording (2).mp4")).unwrap(), b"second");
    assert_eq!(std::fs::read(root.join("Week 1 (2)/a_b: c.txt")).unwrap(), b"odd name");
    assert!(t.dir.path().join("drive/.drive-sim/index.json").is_file());
    let tree = t.sim.tree().await;
    let mut weeks = Vec::new();
    tree[0].find_all("Week 1", &mut weeks);
    assert_eq!(weeks.len(), 2, "Drive keeps both names as they are");
    assert_eq!(weeks[1].disk_path, "Butterboard Recordings/Engineering/Week 1 (2)");
}

#[tokio::test]
async fn a_restarted_simulator_keeps_files_metadata_permissions_tokens_and_sessions() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "Stage 1", DRIVE).await;
    let bytes = data(300 * KIB);
    let file = upload(&t, &token, "recording.mp4", &folder, &bytes).await;
    let share = t
        .post(
            &token,
            &format!("drive/v3/files/{file}/permissions?{FLAGS}"),
            json!({"type": "user", "role": "reader", "emailAddress": "anna@butterboard.example"}),
        )
        .await;
    assert_eq!(share.status(), 200);
    let session = t
        .open_session(
            &token,
            &format!("{FLAGS}&fields=md5Checksum"),
            json!({"name": "second.mp4", "parents": [folder]}),
            None,
        )
        .await;
    assert_eq!(next_offset(&t.put_chunk(&session, &bytes, 0, 256 * KIB).await), 256 * KIB);
    let old_key = t.key.clone();

    let TestSim { sim, dir, .. } = t;
    sim.stop().await.unwrap();
    let config = DriveSimConfig::new(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = drive_sim::start(config, listener).await.unwrap();
    let t = TestSim { sim, dir, http: client(), key: old_key };

    // A token issued before the restart still works, and so does the old key file.
    let meta: Value = t
        .get(&token, &format!("drive/v3/files/{file}?{FLAGS}&fields=name,size,md5Checksum,parents"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta,
        json!({"name": "recording.mp4", "size": bytes.len().to_string(), "md5Checksum": md5_hex(&bytes), "parents": [folder]})
    );
    let claims = t.claims();
    let fresh = t
        .http
        .post(t.sim.token_uri())
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", t.assertion(&claims).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), 200);
    let permissions: Value = t
        .get(&token, &format!("drive/v3/files/{file}/permissions?{FLAGS}&fields=permissions(emailAddress,role)"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        permissions["permissions"].as_array().unwrap().iter().any(|p| p["emailAddress"] == "anna@butterboard.example")
    );
    let content = t.get(&token, &format!("drive/v3/files/{file}?{FLAGS}&alt=media")).await.bytes().await.unwrap();
    assert_eq!(&content[..], &bytes[..]);

    // The open session resumes where its last 308 said, at the same URI path on the new port.
    let session = session.replace(&session[..session.find("upload/").unwrap()], t.sim.base_url());
    let status = t.status_query(&session, bytes.len()).await;
    assert_eq!(next_offset(&status), 256 * KIB);
    let done = t.put_chunk(&session, &bytes, 256 * KIB, bytes.len() - 256 * KIB).await;
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.json::<Value>().await.unwrap()["md5Checksum"],
        md5_hex(&bytes),
        "md5 recomputed from disk after the restart"
    );
}

#[tokio::test]
async fn the_inspection_endpoints_show_tree_uploads_and_requests() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "Inspected", DRIVE).await;
    let session = t.open_session(&token, FLAGS, json!({"name": "big.mp4", "parents": [folder]}), Some(1 << 20)).await;
    let _ = t.put_chunk(&session, &data(1 << 20), 0, 256 * KIB).await;
    let tree: Value = t.http.get(t.url("_sim/tree")).send().await.unwrap().json().await.unwrap();
    assert_eq!(tree[0]["name"], drive_sim::DEFAULT_SHARED_DRIVE_NAME);
    assert_eq!(tree[0]["kind"], "shared_drive");
    assert!(
        tree[0]["permissions"].as_array().unwrap().iter().any(|p| p["email"] == drive_sim::DEFAULT_SERVICE_ACCOUNT)
    );
    assert_eq!(tree[0]["children"][0]["name"], "Inspected");
    let uploads: Value = t.http.get(t.url("_sim/uploads")).send().await.unwrap().json().await.unwrap();
    assert_eq!(uploads[0]["name"], "big.mp4");
    assert_eq!(uploads[0]["offset"], 256 * KIB);
    assert_eq!(uploads[0]["total"], 1 << 20);
    let requests: Value = t.http.get(t.url("_sim/requests")).send().await.unwrap().json().await.unwrap();
    let statuses: Vec<u64> = requests.as_array().unwrap().iter().map(|r| r["status"].as_u64().unwrap()).collect();
    assert!(statuses.contains(&308), "{statuses:?}");
    assert!(requests.to_string().find("ya29").is_none(), "tokens never reach the log");
}

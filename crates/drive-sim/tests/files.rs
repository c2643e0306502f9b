//! Metadata calls and the rules that bite: supportsAllDrives, storage quota, twins, q, fields, ids.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use drive_sim::{DEFAULT_MY_DRIVE_FOLDER_ID as MY_FOLDER, DEFAULT_SHARED_DRIVE_ID as DRIVE};
use serde_json::{Value, json};

async fn names(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn shared_drive_items_are_not_found_without_supports_all_drives() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "Engineering", DRIVE).await;

    let get = t.get(&token, &format!("drive/v3/files/{folder}")).await;
    assert_eq!(error_reason(get).await, (404, "notFound".to_owned()));
    let create = t.post(&token, "drive/v3/files", json!({"name": "x", "mimeType": FOLDER, "parents": [folder]})).await;
    assert_eq!(error_reason(create).await, (404, "notFound".to_owned()));
    let permissions = t.get(&token, &format!("drive/v3/files/{folder}/permissions")).await;
    assert_eq!(error_reason(permissions).await, (404, "notFound".to_owned()));

    let get =
        t.get(&token, &format!("drive/v3/files/{folder}?supportsAllDrives=true&fields=id,name,driveId,parents")).await;
    assert_eq!(get.status(), 200);
    let body: Value = get.json().await.unwrap();
    assert_eq!(body, json!({"id": folder, "name": "Engineering", "driveId": DRIVE, "parents": [DRIVE]}));
}

#[tokio::test]
async fn lists_show_shared_drive_items_only_with_include_items_from_all_drives() {
    let t = start().await;
    let token = t.token().await;
    t.folder(&token, "Engineering", DRIVE).await;
    let q = format!("'{DRIVE}' in parents");
    let plain =
        t.http.get(t.url("drive/v3/files")).bearer_auth(&token).query(&[("q", q.as_str())]).send().await.unwrap();
    assert!(names(plain).await.is_empty());
    let half = t
        .http
        .get(t.url("drive/v3/files"))
        .bearer_auth(&token)
        .query(&[("q", q.as_str()), ("supportsAllDrives", "true")])
        .send()
        .await
        .unwrap();
    assert!(names(half).await.is_empty(), "supportsAllDrives alone is not enough for lists");
    let full = t
        .http
        .get(t.url("drive/v3/files"))
        .bearer_auth(&token)
        .query(&[("q", q.as_str()), ("supportsAllDrives", "true"), ("includeItemsFromAllDrives", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(names(full).await, vec!["Engineering"]);
    let by_drive = t
        .http
        .get(t.url("drive/v3/files"))
        .bearer_auth(&token)
        .query(&[
            ("corpora", "drive"),
            ("driveId", DRIVE),
            ("supportsAllDrives", "true"),
            ("includeItemsFromAllDrives", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(names(by_drive).await, vec!["Engineering"]);
}

#[tokio::test]
async fn a_service_account_cannot_store_files_in_a_my_drive_folder() {
    let t = start().await;
    let token = t.token().await;
    let file = t
        .post(&token, "drive/v3/files", json!({"name": "notes.txt", "mimeType": "text/plain", "parents": [MY_FOLDER]}))
        .await;
    let status = file.status();
    let body: Value = file.json().await.unwrap();
    assert_eq!(status, 403);
    assert_eq!(body["error"]["errors"][0]["reason"], "storageQuotaExceeded");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("Service Accounts do not have storage quota"));
    let upload = t
        .http
        .post(t.url("upload/drive/v3/files?uploadType=resumable"))
        .bearer_auth(&token)
        .json(&json!({"name": "recording.mp4", "parents": [MY_FOLDER]}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_reason(upload).await, (403, "storageQuotaExceeded".to_owned()));
    // A folder holds no bytes, so that is allowed (and is how people get fooled).
    let folder =
        t.post(&token, "drive/v3/files", json!({"name": "Sub", "mimeType": FOLDER, "parents": [MY_FOLDER]})).await;
    assert_eq!(folder.status(), 200);
}

#[tokio::test]
async fn a_delegated_person_can_store_files_in_their_my_drive_folder() {
    let t = start_with(|c| c.service_accounts[0].domain_wide_delegation = true).await;
    let mut claims = t.claims();
    claims["sub"] = json!(drive_sim::DEFAULT_USER);
    let token = t.token_for(claims).await;
    let response = t
        .post(
            &token,
            "drive/v3/files?fields=id,owners,size",
            json!({"name": "notes.txt", "mimeType": "text/plain", "parents": [MY_FOLDER]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["owners"][0]["emailAddress"], drive_sim::DEFAULT_USER);
    assert_eq!(body["size"], "0");
}

#[tokio::test]
async fn folders_with_the_same_name_are_twins_not_merged() {
    let t = start().await;
    let token = t.token().await;
    let creations = (0..4).map(|_| t.folder(&token, "Week 1", DRIVE));
    let ids = futures::future::join_all(creations).await;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "four creators, four folders");
    let q = format!("name = 'Week 1' and '{DRIVE}' in parents and mimeType = '{FOLDER}' and trashed = false");
    let listed = t
        .http
        .get(t.url("drive/v3/files"))
        .bearer_auth(&token)
        .query(&[("q", q.as_str()), ("supportsAllDrives", "true"), ("includeItemsFromAllDrives", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(names(listed).await.len(), 4);
}

#[tokio::test]
async fn list_queries_filter_by_name_parent_mime_type_and_trashed() {
    let t = start().await;
    let token = t.token().await;
    let stage = t.folder(&token, "Stage 1", DRIVE).await;
    t.folder(&token, "Sub", &stage).await;
    let flags = "supportsAllDrives=true";
    for name in ["agenda.txt", "old.txt"] {
        let r = t
            .post(
                &token,
                &format!("drive/v3/files?{flags}"),
                json!({"name": name, "mimeType": "text/plain", "parents": [stage]}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let old = {
        let r =
            t.get(&token, &format!("drive/v3/files?{flags}&includeItemsFromAllDrives=true&q=name%3D'old.txt'")).await;
        let body: Value = r.json().await.unwrap();
        body["files"][0]["id"].as_str().unwrap().to_owned()
    };
    assert_eq!(t.patch(&token, &format!("drive/v3/files/{old}?{flags}"), json!({"trashed": true})).await.status(), 200);

    let list = |q: String| {
        t.http
            .get(t.url("drive/v3/files"))
            .bearer_auth(&token)
            .query(&[
                ("q", q),
                ("supportsAllDrives", "true".into()),
                ("includeItemsFromAllDrives", "true".into()),
                ("orderBy", "name".into()),
            ])
            .send()
    };
    assert_eq!(
        names(list(format!("'{stage}' in parents")).await.unwrap()).await,
        ["agenda.txt", "old.txt", "Sub"],
        "trashed items are listed unless excluded"
    );
    assert_eq!(
        names(list(format!("'{stage}' in parents and trashed = false")).await.unwrap()).await,
        ["agenda.txt", "Sub"]
    );
    assert_eq!(
        names(list(format!("'{stage}' in parents and mimeType != '{FOLDER}'")).await.unwrap()).await,
        ["agenda.txt", "old.txt"]
    );
    assert_eq!(names(list(format!("'{stage}' in parents and mimeType = '{FOLDER}'")).await.unwrap()).await, ["Sub"]);
    assert_eq!(
        names(list("name contains 'agen' or name = 'Sub'".to_owned()).await.unwrap()).await,
        ["agenda.txt", "Sub"]
    );
    let bad = list("modifiedTime > '2024-01-01'".to_owned()).await.unwrap();
    assert_eq!(error_reason(bad).await, (400, "invalid".to_owned()));
}

#[tokio::test]
async fn lists_page_with_page_tokens_and_return_only_the_fields_asked_for() {
    let t = start().await;
    let token = t.token().await;
    let parent = t.folder(&token, "Many", DRIVE).await;
    for i in 0..5 {
        t.folder(&token, &format!("f{i}"), &parent).await;
    }
    let mut seen = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut query = vec![
            ("q", format!("'{parent}' in parents")),
            ("pageSize", "2".to_owned()),
            ("fields", "nextPageToken,files(id,name)".to_owned()),
            ("supportsAllDrives", "true".to_owned()),
            ("includeItemsFromAllDrives", "true".to_owned()),
        ];
        if let Some(token) = &page_token {
            query.push(("pageToken", token.clone()));
        }
        let body: Value = t
            .http
            .get(t.url("drive/v3/files"))
            .bearer_auth(&token)
            .query(&query)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for file in body["files"].as_array().unwrap() {
            assert_eq!(file.as_object().unwrap().len(), 2, "only id and name: {file}");
            seen.push(file["name"].as_str().unwrap().to_owned());
        }
        match body["nextPageToken"].as_str() {
            Some(next) => page_token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["f0", "f1", "f2", "f3", "f4"]);
    let without_token = t
        .get(&token, &format!("drive/v3/files?pageSize=2&fields=files(id)&supportsAllDrives=true&includeItemsFromAllDrives=true&q='{parent}'+in+parents"))
        .await;
    let body: Value = without_token.json().await.unwrap();
    assert!(body.get("nextPageToken").is_none(), "nextPageToken only when asked for in fields");
    let unknown_field = t.get(&token, "drive/v3/files?fields=files(colour)").await;
    assert_eq!(error_reason(unknown_field).await, (400, "invalid".to_owned()));
}

#[tokio::test]
async fn generated_ids_make_a_create_idempotent() {
    let t = start().await;
    let token = t.token().await;
    let ids: Value = t.get(&token, "drive/v3/files/generateIds?count=3").await.json().await.unwrap();
    assert_eq!(ids["kind"], "drive#generatedIds");
    let id = ids["ids"][0].as_str().unwrap().to_owned();
    assert_eq!(ids["ids"].as_array().unwrap().len(), 3);
    let body = json!({"id": id, "name": "Cohort 7", "mimeType": FOLDER, "parents": [DRIVE]});
    let first = t.post(&token, "drive/v3/files?supportsAllDrives=true", body.clone()).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["id"], id.as_str());
    let retry = t.post(&token, "drive/v3/files?supportsAllDrives=true", body).await;
    assert_eq!(error_reason(retry).await, (409, "duplicate".to_owned()));
    let made_up = t
        .post(
            &token,
            "drive/v3/files?supportsAllDrives=true",
            json!({"id": "1NotGeneratedByDrive", "name": "x", "mimeType": FOLDER, "parents": [DRIVE]}),
        )
        .await;
    assert_eq!(error_reason(made_up).await, (400, "invalid".to_owned()));
}

#[tokio::test]
async fn update_renames_moves_and_trashes_on_disk_too() {
    let t = start().await;
    let token = t.token().await;
    let a = t.folder(&token, "A", DRIVE).await;
    let b = t.folder(&token, "B", DRIVE).await;
    let item = t.folder(&token, "draft", &a).await;
    let flags = "supportsAllDrives=true";
    let renamed = t
        .patch(
            &token,
            &format!("drive/v3/files/{item}?{flags}&addParents={b}&removeParents={a}&fields=name,parents"),
            json!({"name": "final"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    assert_eq!(renamed.json::<Value>().await.unwrap(), json!({"name": "final", "parents": [b]}));
    assert!(t.sim.drive_dir().join("Butterboard Recordings/B/final").is_dir());
    assert!(!t.sim.drive_dir().join("Butterboard Recordings/A/draft").exists());
    let second_parent = t.patch(&token, &format!("drive/v3/files/{item}?{flags}&addParents={a}"), json!({})).await;
    assert_eq!(error_reason(second_parent).await, (403, "cannotAddParent".to_owned()));
    let trashed =
        t.patch(&token, &format!("drive/v3/files/{b}?{flags}&fields=trashed"), json!({"trashed": true})).await;
    assert_eq!(trashed.json::<Value>().await.unwrap()["trashed"], true);
    let child: Value = t
        .get(&token, &format!("drive/v3/files/{item}?{flags}&fields=trashed,explicitlyTrashed"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(child, json!({"trashed": true, "explicitlyTrashed": false}), "a trashed folder trashes its children");
}

#[tokio::test]
async fn about_needs_fields_and_reports_no_quota_for_a_service_account() {
    let t = start().await;
    let token = t.token().await;
    let without = t.get(&token, "drive/v3/about").await;
    assert_eq!(error_reason(without).await, (400, "required".to_owned()));
    let about: Value = t.get(&token, "drive/v3/about?fields=user,storageQuota").await.json().await.unwrap();
    assert_eq!(about["user"]["emailAddress"], drive_sim::DEFAULT_SERVICE_ACCOUNT);
    assert_eq!(about["storageQuota"]["limit"], "0");
    assert!(about.get("kind").is_none(), "only the fields asked for");
}

#[tokio::test]
async fn bad_input_gets_a_clear_400_and_the_server_keeps_serving() {
    let t = start().await;
    let token = t.token().await;
    let bad_json = t.http.post(t.url("drive/v3/files")).bearer_auth(&token).body("{not json").send().await.unwrap();
    assert_eq!(error_reason(bad_json).await, (400, "parseError".to_owned()));
    let bad_flag = t.get(&token, "drive/v3/files?supportsAllDrives=maybe").await;
    assert_eq!(error_reason(bad_flag).await, (400, "invalid".to_owned()));
    let bad_page = t.get(&token, "drive/v3/files?pageToken=garbage").await;
    assert_eq!(error_reason(bad_page).await, (400, "invalid".to_owned()));
    let huge_offset =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, "o18446744073709551615");
    let far_page = t.get(&token, &format!("drive/v3/files?pageToken={huge_offset}")).await;
    assert_eq!(far_page.status(), 200);
    let long_q = vec!["name = 'a'"; 400].join(" and ");
    let long = t.http.get(t.url("drive/v3/files")).bearer_auth(&token).query(&[("q", long_q)]).send().await.unwrap();
    assert_eq!(error_reason(long).await, (400, "invalid".to_owned()));
    let bad_size = t.get(&token, "drive/v3/files?pageSize=100000").await;
    assert_eq!(error_reason(bad_size).await, (400, "invalid".to_owned()));
    assert_eq!(t.get(&token, "drive/v3/files").await.status(), 200);
}

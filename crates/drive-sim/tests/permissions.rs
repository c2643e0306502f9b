//! permissions.create and permissions.list, including the organisation's `anyone` policy.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use drive_sim::DEFAULT_SHARED_DRIVE_ID as DRIVE;
use serde_json::{Value, json};

const FLAGS: &str = "supportsAllDrives=true";

#[tokio::test]
async fn sharing_with_a_person_is_listed_and_notified_once_per_grantee() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "Recordings", DRIVE).await;
    let path = format!("drive/v3/files/{folder}/permissions?{FLAGS}");
    let created = t
        .post(&token, &path, json!({"type": "user", "role": "reader", "emailAddress": "anna@butterboard.example"}))
        .await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["kind"], "drive#permission");
    assert_eq!(created["role"], "reader");
    // The same person again: one permission, the last role wins.
    let again: Value = t
        .post(
            &token,
            &format!("{path}&sendNotificationEmail=false"),
            json!({"type": "user", "role": "commenter", "emailAddress": "anna@butterboard.example"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["id"], created["id"]);

    let listed: Value = t
        .get(&token, &format!("drive/v3/files/{folder}/permissions?{FLAGS}&fields=permissions(id,type,role,emailAddress,permissionDetails)"))
        .await
        .json()
        .await
        .unwrap();
    let permissions = listed["permissions"].as_array().unwrap();
    let anna: Vec<_> = permissions.iter().filter(|p| p["emailAddress"] == "anna@butterboard.example").collect();
    assert_eq!(anna.len(), 1);
    assert_eq!(anna[0]["role"], "commenter");
    assert_eq!(anna[0]["permissionDetails"][0]["inherited"], false);
    let members: Vec<_> =
        permissions.iter().filter(|p| p["permissionDetails"][0]["permissionType"] == "member").collect();
    assert!(
        members.iter().any(|p| p["emailAddress"] == drive_sim::DEFAULT_SERVICE_ACCOUNT),
        "drive members are inherited: {listed}"
    );

    let notifications = t.sim.notifications().await;
    assert_eq!(notifications.len(), 1, "sendNotificationEmail=false sends nothing");
    assert_eq!(notifications[0].email, "anna@butterboard.example");
}

#[tokio::test]
async fn anyone_permissions_are_refused_when_the_policy_says_so() {
    let strict = start().await;
    let token = strict.token().await;
    let folder = strict.folder(&token, "R", DRIVE).await;
    let response = strict
        .post(
            &token,
            &format!("drive/v3/files/{folder}/permissions?{FLAGS}"),
            json!({"type": "anyone", "role": "reader"}),
        )
        .await;
    assert_eq!(error_reason(response).await, (403, "publishOutNotPermitted".to_owned()));
    let tree = strict.sim.tree().await;
    assert!(tree[0].find("R").unwrap().permissions.is_empty(), "nothing was stored");

    let lax = start_with(|c| c.refuse_anyone_permissions = false).await;
    let token = lax.token().await;
    let folder = lax.folder(&token, "R", DRIVE).await;
    let response = lax
        .post(
            &token,
            &format!("drive/v3/files/{folder}/permissions?{FLAGS}"),
            json!({"type": "anyone", "role": "reader"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["id"], "anyoneWithLink");
}

#[tokio::test]
async fn bad_permission_requests_name_the_field() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "R", DRIVE).await;
    let path = format!("drive/v3/files/{folder}/permissions?{FLAGS}");
    let cases = [
        (json!({"role": "reader"}), "permission.type"),
        (json!({"type": "user", "role": "boss", "emailAddress": "a@b.c"}), "permission.role"),
        (json!({"type": "user", "role": "reader"}), "permission.emailAddress"),
        (json!({"type": "domain", "role": "reader"}), "permission.domain"),
    ];
    for (body, field) in cases {
        let response = t.post(&token, &path, body.clone()).await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["errors"][0]["location"], field, "{error}");
    }
    let domain =
        t.post(&token, &path, json!({"type": "domain", "role": "reader", "domain": "butterboard.example"})).await;
    assert_eq!(domain.status(), 200);
}

#[tokio::test]
async fn permissions_on_shared_drive_items_need_supports_all_drives() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "R", DRIVE).await;
    let response = t
        .post(
            &token,
            &format!("drive/v3/files/{folder}/permissions"),
            json!({"type": "user", "role": "reader", "emailAddress": "a@b.c"}),
        )
        .await;
    assert_eq!(error_reason(response).await, (404, "notFound".to_owned()));
}

#[tokio::test]
async fn a_person_shared_on_a_folder_sees_what_is_inside() {
    let t = start_with(|c| {
        c.service_accounts[0].domain_wide_delegation = true;
        c.users.push("anna@butterboard.example".to_owned());
    })
    .await;
    let token = t.token().await;
    let shared = t.folder(&token, "Shared", DRIVE).await;
    let hidden = t.folder(&token, "Hidden", DRIVE).await;
    let inside = t.folder(&token, "Inside", &shared).await;
    t.post(
        &token,
        &format!("drive/v3/files/{shared}/permissions?{FLAGS}"),
        json!({"type": "user", "role": "reader", "emailAddress": "anna@butterboard.example"}),
    )
    .await;
    let mut claims = t.claims();
    claims["sub"] = json!("anna@butterboard.example");
    let anna = t.token_for(claims).await;
    assert_eq!(
        t.get(&anna, &format!("drive/v3/files/{inside}?{FLAGS}")).await.status(),
        200,
        "inherited from the folder"
    );
    assert_eq!(
        error_reason(t.get(&anna, &format!("drive/v3/files/{hidden}?{FLAGS}")).await).await,
        (404, "notFound".to_owned())
    );
    let write = t
        .post(&anna, &format!("drive/v3/files?{FLAGS}"), json!({"name": "x", "mimeType": FOLDER, "parents": [inside]}))
        .await;
    assert_eq!(error_reason(write).await, (403, "insufficientFilePermissions".to_owned()));
}

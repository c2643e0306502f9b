//! The resumable upload protocol of FACTS.md, plus simple uploads and Google Doc conversion.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use drive_sim::{DEFAULT_SHARED_DRIVE_ID as DRIVE, FaultAction, FaultRule};
use serde_json::{Value, json};

const CHUNK: usize = 256 * KIB;
const FLAGS: &str = "supportsAllDrives=true";

#[tokio::test]
async fn a_multi_chunk_upload_answers_308_with_range_then_the_file() {
    let t = start().await;
    let token = t.token().await;
    let folder = t.folder(&token, "Stage 1", DRIVE).await;
    let bytes = data(3 * CHUNK + 1000);
    let session = t
        .open_session(
            &token,
            &format!("{FLAGS}&fields=id,name,size,md5Checksum,parents"),
            json!({"name": "recording.mp4", "parents": [folder]}),
            Some(bytes.len() as u64),
        )
        .await;
    assert!(session.starts_with(t.sim.base_url()), "the session URI points at the simulator");
    let nothing = t.status_query(&session, bytes.len()).await;
    assert_eq!(nothing.status(), 308);
    assert!(nothing.headers().get("range").is_none(), "no Range header while nothing is stored");

    let first = t.put_chunk(&session, &bytes, 0, 2 * CHUNK).await;
    assert_eq!(first.status(), 308);
    assert_eq!(first.headers()["range"], format!("bytes=0-{}", 2 * CHUNK - 1));
    let last = t.put_chunk(&session, &bytes, 2 * CHUNK, bytes.len() - 2 * CHUNK).await;
    assert_eq!(last.status(), 200);
    let file: Value = last.json().await.unwrap();
    assert_eq!(file["name"], "recording.mp4");
    assert_eq!(file["parents"], json!([folder]));
    assert_eq!(file["size"], bytes.len().to_string());
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    let on_disk = std::fs::read(t.sim.drive_dir().join("Butterboard Recordings/Stage 1/recording.mp4")).unwrap();
    assert_eq!(on_disk, bytes);
    let again = t.status_query(&session, bytes.len()).await;
    assert_eq!(again.status(), 200, "a finished session answers with the file");
}

#[tokio::test]
async fn md5_checksum_and_size_come_only_when_asked_with_fields() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(1000);
    let session = t.open_session(&token, FLAGS, json!({"name": "a.bin", "parents": [DRIVE]}), None).await;
    let done = t.put_chunk(&session, &bytes, 0, bytes.len()).await;
    assert_eq!(done.status(), 200);
    let default: Value = done.json().await.unwrap();
    assert!(default.get("md5Checksum").is_none() && default.get("size").is_none(), "{default}");
    assert_eq!(default["kind"], "drive#file");
    let id = default["id"].as_str().unwrap();
    let asked: Value =
        t.get(&token, &format!("drive/v3/files/{id}?{FLAGS}&fields=size,md5Checksum")).await.json().await.unwrap();
    assert_eq!(asked, json!({"size": "1000", "md5Checksum": md5_hex(&bytes)}));
    let folder = t.folder(&token, "F", DRIVE).await;
    let folder: Value = t
        .get(&token, &format!("drive/v3/files/{folder}?{FLAGS}&fields=id,size,md5Checksum"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(folder.as_object().unwrap().len(), 1, "folders have no size or md5: {folder}");
}

#[tokio::test]
async fn a_chunk_that_is_not_a_multiple_of_256_kib_is_refused() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(2 * CHUNK);
    let session =
        t.open_session(&token, FLAGS, json!({"name": "a.bin", "parents": [DRIVE]}), Some(bytes.len() as u64)).await;
    let odd = t.put_chunk(&session, &bytes, 0, CHUNK + 1).await;
    assert_eq!(error_reason(odd).await, (400, "badContent".to_owned()));
    let status = t.status_query(&session, bytes.len()).await;
    assert_eq!(status.status(), 308);
    assert!(status.headers().get("range").is_none(), "nothing of the refused chunk was stored");
}

#[tokio::test]
async fn a_partially_accepted_chunk_makes_the_client_resume_from_range() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(4 * CHUNK + 123);
    let session = t
        .open_session(
            &token,
            &format!("{FLAGS}&fields=md5Checksum,size"),
            json!({"name": "a.bin", "parents": [DRIVE]}),
            None,
        )
        .await;
    t.sim.add_fault(FaultRule::new(FaultAction::PartialChunk { accept_bytes: CHUNK as u64 }).times(2));
    // A client that honours Range: send everything left, then continue from what was stored.
    let mut offset = 0;
    let mut puts = 0;
    let file = loop {
        puts += 1;
        assert!(puts < 10, "the upload does not converge");
        let response = t.put_chunk(&session, &bytes, offset, bytes.len() - offset).await;
        match response.status().as_u16() {
            308 => offset = next_offset(&response),
            200 => break response.json::<Value>().await.unwrap(),
            other => panic!("unexpected status {other}"),
        }
    };
    assert_eq!(puts, 3, "two chunks cut short, then the rest");
    assert_eq!(file["md5Checksum"], md5_hex(&bytes));
    assert_eq!(file["size"], bytes.len().to_string());
    let faulted: Vec<_> = t.sim.requests().into_iter().filter(|r| r.fault.is_some()).collect();
    assert_eq!(faulted.len(), 2);
}

#[tokio::test]
async fn after_a_dropped_connection_a_status_query_says_what_was_kept() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(8 * CHUNK);
    let session = t
        .open_session(
            &token,
            &format!("{FLAGS}&fields=md5Checksum"),
            json!({"name": "a.bin", "parents": [DRIVE]}),
            Some(bytes.len() as u64),
        )
        .await;
    t.sim.add_fault(FaultRule::new(FaultAction::DropConnection { after_bytes: (2 * CHUNK + 1000) as u64 }).times(1));
    let dropped = t
        .http
        .put(&session)
        .header("Content-Range", format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()))
        .body(bytes.clone())
        .send()
        .await;
    assert!(dropped.is_err(), "the connection dies instead of answering: {dropped:?}");
    let status = t.status_query(&session, bytes.len()).await;
    assert_eq!(status.status(), 308);
    let kept = next_offset(&status);
    assert_eq!(kept % CHUNK, 0, "only whole 256 KiB blocks are kept");
    assert!(kept >= 2 * CHUNK && kept < bytes.len(), "kept {kept}");
    let done = t.put_chunk(&session, &bytes, kept, bytes.len() - kept).await;
    assert_eq!(done.status(), 200);
    assert_eq!(done.json::<Value>().await.unwrap()["md5Checksum"], md5_hex(&bytes));
}

#[tokio::test]
async fn chunks_past_the_stored_offset_are_ignored_and_overlaps_are_skipped() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(3 * CHUNK);
    let session = t
        .open_session(
            &token,
            &format!("{FLAGS}&fields=md5Checksum"),
            json!({"name": "a.bin", "parents": [DRIVE]}),
            None,
        )
        .await;
    let gap = t.put_chunk(&session, &bytes, CHUNK, CHUNK).await;
    assert_eq!(gap.status(), 308);
    assert!(gap.headers().get("range").is_none(), "a chunk after a gap stores nothing");
    assert_eq!(next_offset(&t.put_chunk(&session, &bytes, 0, 2 * CHUNK).await), 2 * CHUNK);
    // A retry of bytes already stored (its 308 was lost) plus new ones.
    let overlap = t.put_chunk(&session, &bytes, CHUNK, 2 * CHUNK).await;
    assert_eq!(overlap.status(), 200);
    assert_eq!(overlap.json::<Value>().await.unwrap()["md5Checksum"], md5_hex(&bytes));
}

#[tokio::test]
async fn an_expired_session_answers_404() {
    let t = start().await;
    let token = t.token().await;
    let bytes = data(2 * CHUNK);
    let session = t.open_session(&token, FLAGS, json!({"name": "a.bin", "parents": [DRIVE]}), None).await;
    assert_eq!(t.put_chunk(&session, &bytes, 0, CHUNK).await.status(), 308);
    t.sim.advance_clock(Duration::from_secs(7 * 24 * 3600 + 1));
    let late = t.put_chunk(&session, &bytes, CHUNK, CHUNK).await;
    assert_eq!(error_reason(late).await, (404, "notFound".to_owned()));
    assert!(t.sim.upload_sessions().await.is_empty(), "the expired session is gone");
}

#[tokio::test]
async fn a_text_upload_with_the_docs_mime_type_becomes_a_google_doc() {
    let t = start().await;
    let token = t.token().await;
    let text = b"Agenda\n- meet the team\n".to_vec();
    let session = t
        .http
        .post(t.url(&format!("upload/drive/v3/files?uploadType=resumable&{FLAGS}&fields=id,mimeType,size,md5Checksum")))
        .bearer_auth(&token)
        .header("X-Upload-Content-Type", "text/plain")
        .json(&json!({"name": "Agenda", "mimeType": drive_sim::DOC_MIME, "parents": [DRIVE]}))
        .send()
        .await
        .unwrap();
    let session = session.headers()["location"].to_str().unwrap().to_owned();
    let done = t.put_chunk(&session, &text, 0, text.len()).await;
    assert_eq!(done.status(), 200);
    let file: Value = done.json().await.unwrap();
    assert_eq!(file["mimeType"], drive_sim::DOC_MIME);
    assert!(file.get("size").is_none() && file.get("md5Checksum").is_none(), "{file}");
    let id = file["id"].as_str().unwrap();
    let download = t.get(&token, &format!("drive/v3/files/{id}?{FLAGS}&alt=media")).await;
    assert_eq!(error_reason(download).await, (403, "fileNotDownloadable".to_owned()));
}

#[tokio::test]
async fn media_and_multipart_uploads_store_the_bytes() {
    let t = start().await;
    let token = t.token().await;
    let boundary = "b0undary";
    let mut body = format!(
        "--{boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--{boundary}\r\nContent-Type: text/vtt\r\n\r\n",
        json!({"name": "t.vtt", "parents": [DRIVE]})
    )
    .into_bytes();
    body.extend_from_slice(b"WEBVTT\n");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let multipart = t
        .http
        .post(t.url(&format!(
            "upload/drive/v3/files?uploadType=multipart&{FLAGS}&fields=id,name,mimeType,size,md5Checksum"
        )))
        .bearer_auth(&token)
        .header("Content-Type", format!("multipart/related; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(multipart.status(), 200);
    let file: Value = multipart.json().await.unwrap();
    assert_eq!(file["mimeType"], "text/vtt");
    assert_eq!(file["md5Checksum"], md5_hex(b"WEBVTT\n"));
    let id = file["id"].as_str().unwrap();
    let bytes = t.get(&token, &format!("drive/v3/files/{id}?{FLAGS}&alt=media")).await.bytes().await.unwrap();
    assert_eq!(&bytes[..], b"WEBVTT\n");
    // uploadType=media has no metadata: it goes to the caller's My Drive, which a service
    // account cannot fill.
    let media = t
        .http
        .post(t.url("upload/drive/v3/files?uploadType=media"))
        .bearer_auth(&token)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_reason(media).await, (403, "storageQuotaExceeded".to_owned()));
}

#[tokio::test]
async fn a_client_supplied_id_makes_a_resumable_create_idempotent() {
    let t = start().await;
    let token = t.token().await;
    let ids: Value = t.get(&token, "drive/v3/files/generateIds?count=1").await.json().await.unwrap();
    let id = ids["ids"][0].as_str().unwrap();
    let metadata = json!({"id": id, "name": "a.bin", "parents": [DRIVE]});
    let session = t.open_session(&token, FLAGS, metadata.clone(), None).await;
    assert_eq!(t.put_chunk(&session, b"abc", 0, 3).await.status(), 200);
    let retry = t
        .http
        .post(t.url(&format!("upload/drive/v3/files?uploadType=resumable&{FLAGS}")))
        .bearer_auth(&token)
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(error_reason(retry).await, (409, "duplicate".to_owned()));
}

#[tokio::test]
async fn malformed_content_ranges_get_a_400_and_leave_the_session_usable() {
    let t = start().await;
    let token = t.token().await;
    let session = t.open_session(&token, FLAGS, json!({"name": "a.bin", "parents": [DRIVE]}), None).await;
    for range in ["bytes 0-18446744073709551615/*", "bytes x-y/z", "bytes 5-1/10", "octets 0-1/2", "bytes 0-9/5"] {
        let response = t.http.put(&session).header("Content-Range", range).body(vec![0u8; 2]).send().await.unwrap();
        assert_eq!(error_reason(response).await, (400, "badContent".to_owned()), "{range}");
    }
    let mismatched =
        t.http.put(&session).header("Content-Range", "bytes 0-9/10").body(vec![0u8; 3]).send().await.unwrap();
    assert_eq!(mismatched.status(), 400, "Content-Length must match Content-Range");
    let unknown = t
        .http
        .put(t.url("upload/drive/v3/files?upload_id=ADsimnope"))
        .header("Content-Range", "bytes */10")
        .send()
        .await
        .unwrap();
    assert_eq!(error_reason(unknown).await, (404, "notFound".to_owned()));
    assert_eq!(t.put_chunk(&session, b"0123456789", 0, 10).await.status(), 200);
}

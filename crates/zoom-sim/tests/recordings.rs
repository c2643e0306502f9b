//! Cloud recordings: get by id or uuid (and Zoom's double-encoding rule), list a user's period with
//! paging, trash, and downloads — token, 302 to a signed URL, `Range`, expiry.

mod common;

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use zoom_sim::{ManualClock, PlayReport, ZoomSim, ZoomSimConfig};

const NOW_MS: i64 = 1_764_579_600_000; // 2025-12-01T09:00:00Z

struct Setup {
    sim: ZoomSim,
    http: reqwest::Client,
    token: String,
    clock: ManualClock,
    meeting_id: i64,
}

async fn setup(config: ZoomSimConfig) -> Setup {
    let clock = ManualClock::at(NOW_MS);
    let sim = common::start(ZoomSimConfig { clock: Arc::new(clock.clone()), ..config }).await;
    let http = common::client();
    let token = common::token(&http, &sim).await;
    let m = common::create_meeting(&http, &sim, &token, "oleg@butterboard.online", common::meeting_body()).await;
    Setup { sim, http, token, clock, meeting_id: m["id"].as_i64().expect("id") }
}

impl Setup {
    async fn play(&self, mp4_size: u64) -> PlayReport {
        self.sim.play(self.meeting_id, common::full_script(mp4_size)).expect("play").wait().await.expect("ends")
    }

    async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).bearer_auth(&self.token).send().await.expect("request")
    }

    fn recordings_url(&self, meeting: &str) -> String {
        format!("{}/meetings/{meeting}/recordings", self.sim.api_base_url())
    }

    /// The `recording.completed` body of the last play (recorded even without an endpoint).
    fn completed(&self) -> Value {
        self.sim.deliveries().into_iter().rev().find(|d| d.event == "recording.completed").expect("completed").json()
    }
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn a_meetings_recording_is_found_by_id_and_by_uuid() {
    let s = setup(common::fast_config()).await;
    let report = s.play(1000).await;
    let by_id: Value = s.get(&s.recordings_url(&s.meeting_id.to_string())).await.json().await.expect("json");
    assert_eq!(by_id["uuid"], report.uuid.as_str());
    assert_eq!(by_id["id"], s.meeting_id);
    assert_eq!(by_id["recording_count"], 7, "two MP4, two M4A, chat, timeline and transcript");
    let sizes: u64 =
        by_id["recording_files"].as_array().expect("files").iter().filter_map(|f| f["file_size"].as_u64()).sum();
    assert_eq!(by_id["total_size"], sizes);
    let by_uuid = s.get(&s.recordings_url(&encode(&encode(&report.uuid)))).await;
    assert_eq!(by_uuid.status(), 200);
    assert!(by_id.get("download_access_token").is_none());
}

#[tokio::test]
async fn a_meeting_without_a_recording_is_404_code_3301() {
    let s = setup(common::fast_config()).await;
    common::assert_zoom_error(s.get(&s.recordings_url(&s.meeting_id.to_string())).await, 404, 3301).await;
}

#[tokio::test]
async fn a_uuid_with_a_leading_slash_or_double_slash_must_be_double_encoded() {
    // Every uuid gets a slash: the 1st starts with "/", the 2nd has "//" inside.
    let s = setup(ZoomSimConfig { uuid_slash_every: 1, ..common::fast_config() }).await;
    let first = s.play(100).await;
    let second = s.play(100).await;
    assert!(first.uuid.starts_with('/'), "{}", first.uuid);
    assert!(second.uuid.contains("//"), "{}", second.uuid);
    for uuid in [&first.uuid, &second.uuid] {
        let once = s.get(&s.recordings_url(&encode(uuid))).await;
        let body = common::assert_zoom_error(once, 404, 3001).await;
        assert!(body["message"].as_str().is_some_and(|m| m.starts_with("Meeting does not exist")), "{body}");
        let twice = s.get(&s.recordings_url(&encode(&encode(uuid)))).await;
        assert_eq!(twice.status(), 200, "{uuid}");
        let body: Value = twice.json().await.expect("json");
        assert_eq!(body["uuid"], uuid.as_str());
    }
}

#[tokio::test]
async fn a_uuid_with_a_single_inner_slash_works_encoded_once_or_twice() {
    let s = setup(ZoomSimConfig { uuid_slash_every: 0, ..common::fast_config() }).await;
    let report = s.play(100).await;
    // Plain uuids never need double encoding; single and double encoding both find them.
    assert!(!report.uuid.contains('/'));
    assert_eq!(s.get(&s.recordings_url(&encode(&report.uuid))).await.status(), 200);
    assert_eq!(s.get(&s.recordings_url(&encode(&encode(&report.uuid)))).await.status(), 200);
}

#[tokio::test]
async fn a_users_recordings_are_listed_by_period_newest_first_with_paging() {
    // The token must outlive the day the clock moves.
    let s = setup(ZoomSimConfig { token_ttl: Duration::from_secs(7 * 86_400), ..common::fast_config() }).await;
    let older = s.play(100).await;
    s.clock.advance(86_400_000);
    let newer = s.play(100).await;
    let list_url = format!("{}/users/oleg@butterboard.online/recordings", s.sim.api_base_url());
    let page1: Value = s
        .http
        .get(&list_url)
        .query(&[("from", "2025-11-30"), ("to", "2025-12-02"), ("page_size", "1")])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(page1["total_records"], 2);
    assert_eq!(page1["page_size"], 1);
    assert_eq!(page1["from"], "2025-11-30");
    assert_eq!(page1["meetings"][0]["uuid"], newer.uuid.as_str());
    let next = page1["next_page_token"].as_str().expect("token");
    assert!(!next.is_empty());
    let page2: Value = s
        .http
        .get(&list_url)
        .query(&[("from", "2025-11-30"), ("to", "2025-12-02"), ("page_size", "1"), ("next_page_token", next)])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(page2["meetings"][0]["uuid"], older.uuid.as_str());
    assert_eq!(page2["next_page_token"], "");
    // Outside the period: nothing.
    let none: Value = s
        .http
        .get(&list_url)
        .query(&[("from", "2025-11-01"), ("to", "2025-11-30")])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(none["total_records"], 0);
    // A bad date names its field.
    let bad =
        s.http.get(&list_url).query(&[("from", "01.12.2025")]).bearer_auth(&s.token).send().await.expect("request");
    let body = common::assert_zoom_error(bad, 400, 300).await;
    assert_eq!(body["errors"][0]["field"], "from");
}

#[tokio::test]
async fn a_trashed_recording_is_gone_from_get_list_and_download() {
    let s = setup(common::fast_config()).await;
    let report = s.play(100).await;
    let file_url =
        s.completed()["payload"]["object"]["recording_files"][0]["download_url"].as_str().expect("url").to_string();
    let deleted = s
        .http
        .delete(s.recordings_url(&encode(&encode(&report.uuid))))
        .query(&[("action", "trash")])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request");
    assert_eq!(deleted.status(), 204);
    common::assert_zoom_error(s.get(&s.recordings_url(&s.meeting_id.to_string())).await, 404, 3301).await;
    let list_url = format!("{}/users/oleg@butterboard.online/recordings", s.sim.api_base_url());
    let list: Value = s.get(&list_url).await.json().await.expect("json");
    assert_eq!(list["total_records"], 0);
    let trash: Value = s
        .http
        .get(&list_url)
        .query(&[("trash", "true")])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("r")
        .json()
        .await
        .expect("json");
    assert_eq!(trash["total_records"], 1);
    common::assert_zoom_error(s.get(&file_url).await, 404, 3301).await;
    assert!(s.sim.recordings().iter().all(|r| r.trashed));
}

/// Follows a download URL with `token` and returns the signed location.
async fn signed_location(s: &Setup, download_url: &str, token: &str) -> String {
    let redirect = s.http.get(download_url).bearer_auth(token).send().await.expect("request");
    assert_eq!(redirect.status(), 302);
    redirect.headers()["location"].to_str().expect("location").to_string()
}

#[tokio::test]
async fn the_download_token_redirects_to_a_signed_url_that_serves_ranges_of_the_deterministic_bytes() {
    let s = setup(common::fast_config()).await;
    let size: u64 = 3 * 1024 * 1024 + 5;
    s.play(size).await;
    let completed = s.completed();
    let token = completed["download_token"].as_str().expect("download_token");
    let file = &completed["payload"]["object"]["recording_files"][0];
    let file_id = file["id"].as_str().expect("id");
    assert_eq!(file["file_size"], size);
    let location = signed_location(&s, file["download_url"].as_str().expect("url"), token).await;
    assert!(
        location.contains(&format!("/rec/file/{file_id}?"))
            && location.contains("sig=")
            && location.contains("expires=")
    );

    let partial = s.http.get(&location).header("range", "bytes=1000-200999").send().await.expect("request");
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.headers()["content-range"], format!("bytes 1000-200999/{size}").as_str());
    assert_eq!(partial.headers()["accept-ranges"], "bytes");
    assert_eq!(partial.headers()["content-length"], "200000");
    let bytes = partial.bytes().await.expect("body");
    let mut expected = vec![0u8; 200_000];
    zoom_sim::synthetic::fill(file_id, 1000, &mut expected);
    assert_eq!(bytes.as_ref(), expected.as_slice());

    let whole = s.http.get(&location).send().await.expect("request");
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-length"], size.to_string().as_str());
    let bytes = whole.bytes().await.expect("body");
    assert_eq!(bytes.len() as u64, size);
    assert_eq!(&bytes[1000..201_000], expected.as_slice());

    let tail = s.http.get(&location).header("range", "bytes=-5").send().await.expect("request");
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.expect("body").as_ref(), &bytes[bytes.len() - 5..]);

    let beyond = s.http.get(&location).header("range", format!("bytes={size}-")).send().await.expect("request");
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.headers()["content-range"], format!("bytes */{size}").as_str());
}

#[tokio::test]
async fn the_bytes_follow_the_documented_splitmix64_generator() {
    // Recomputed here from the doc comment, not with the crate's code.
    fn expected(file_id: &str, len: usize) -> Vec<u8> {
        let mut seed: u64 = 0xcbf2_9ce4_8422_2325;
        for b in file_id.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        (0..len.div_ceil(8) as u64)
            .flat_map(|i| {
                let mut z = seed.wrapping_add((i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)).to_le_bytes()
            })
            .take(len)
            .collect()
    }
    let s = setup(common::fast_config()).await;
    s.play(4099).await;
    let completed = s.completed();
    let file = &completed["payload"]["object"]["recording_files"][0];
    let location = signed_location(
        &s,
        file["download_url"].as_str().expect("url"),
        completed["download_token"].as_str().expect("t"),
    )
    .await;
    let bytes = s.http.get(&location).send().await.expect("request").bytes().await.expect("body");
    assert_eq!(bytes.as_ref(), expected(file["id"].as_str().expect("id"), 4099).as_slice());
}

#[tokio::test]
async fn text_files_are_a_webvtt_transcript_and_a_chat_log() {
    let s = setup(common::fast_config()).await;
    s.play(100).await;
    let recording: Value = s.get(&s.recordings_url(&s.meeting_id.to_string())).await.json().await.expect("json");
    let files = recording["recording_files"].as_array().expect("files");
    let text_of = |kind: &str| files.iter().find(|f| f["file_type"] == kind).cloned().expect(kind);
    for (kind, starts_with, contains) in
        [("TRANSCRIPT", "WEBVTT", "Oleg Ivanov: Welcome"), ("CHAT", "00:", "Где найти презентацию?")]
    {
        let file = text_of(kind);
        let location = signed_location(&s, file["download_url"].as_str().expect("url"), &s.token).await;
        let response = s.http.get(&location).send().await.expect("request");
        assert_eq!(response.status(), 200);
        let text = response.text().await.expect("text");
        assert!(text.starts_with(starts_with), "{kind}: {text}");
        assert!(text.contains(contains), "{kind}: {text}");
        assert_eq!(text.len() as u64, file["file_size"].as_u64().expect("size"), "{kind}");
    }
}

#[tokio::test]
async fn downloads_need_a_valid_unexpired_token_for_that_recording() {
    let config = ZoomSimConfig { download_token_ttl: Duration::from_secs(600), ..common::fast_config() };
    let s = setup(config).await;
    s.play(100).await;
    let completed = s.completed();
    let token = completed["download_token"].as_str().expect("token").to_string();
    let url = completed["payload"]["object"]["recording_files"][0]["download_url"].as_str().expect("url").to_string();

    common::assert_zoom_error(s.http.get(&url).send().await.expect("request"), 401, 124).await;
    common::assert_zoom_error(s.http.get(&url).bearer_auth("made-up").send().await.expect("request"), 401, 124).await;
    // An API token works too, and so does ?access_token=.
    signed_location(&s, &url, &s.token).await;
    let by_query = s.http.get(&url).query(&[("access_token", &token)]).send().await.expect("request");
    assert_eq!(by_query.status(), 302);

    // Another session's download token does not open this one.
    let other_meeting =
        common::create_meeting(&s.http, &s.sim, &s.token, "hr@butterboard.online", common::meeting_body()).await;
    s.sim
        .play(other_meeting["id"].as_i64().expect("id"), common::full_script(10))
        .expect("play")
        .wait()
        .await
        .expect("ends");
    let other_token = s.completed()["download_token"].as_str().expect("token").to_string();
    common::assert_zoom_error(s.http.get(&url).bearer_auth(&other_token).send().await.expect("request"), 401, 124)
        .await;

    s.clock.advance(601_000);
    let expired =
        common::assert_zoom_error(s.http.get(&url).bearer_auth(&token).send().await.expect("request"), 401, 124).await;
    assert_eq!(expired["message"], "Access token is expired.");
}

#[tokio::test]
async fn a_download_access_token_from_include_fields_downloads_that_recording() {
    let s = setup(common::fast_config()).await;
    s.play(100).await;
    let with_token: Value = s
        .http
        .get(s.recordings_url(&s.meeting_id.to_string()))
        .query(&[("include_fields", "download_access_token")])
        .bearer_auth(&s.token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let token = with_token["download_access_token"].as_str().expect("download_access_token");
    let url = with_token["recording_files"][0]["download_url"].as_str().expect("url");
    signed_location(&s, url, token).await;
}

#[tokio::test]
async fn a_tampered_or_expired_signed_url_is_refused() {
    let s = setup(ZoomSimConfig { signed_url_ttl: Duration::from_secs(60), ..common::fast_config() }).await;
    s.play(100).await;
    let completed = s.completed();
    let url = completed["payload"]["object"]["recording_files"][0]["download_url"].as_str().expect("url").to_string();
    let location = signed_location(&s, &url, completed["download_token"].as_str().expect("token")).await;
    assert_eq!(s.http.get(&location).send().await.expect("request").status(), 200);
    let (head, sig) = location.rsplit_once("sig=").expect("sig");
    let flipped = match sig.strip_prefix('0') {
        Some(rest) => format!("1{rest}"),
        None => format!("0{}", sig.get(1..).unwrap_or_default()),
    };
    assert_eq!(s.http.get(format!("{head}sig={flipped}")).send().await.expect("request").status(), 403);
    let longer = location.replace("expires=", "expires=9");
    assert_eq!(s.http.get(&longer).send().await.expect("request").status(), 403, "the expiry is signed");
    s.clock.advance(61_000);
    assert_eq!(s.http.get(&location).send().await.expect("request").status(), 401);
}

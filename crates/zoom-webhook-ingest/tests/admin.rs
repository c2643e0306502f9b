//! The admin API (`butterboard.ingest.v1`) through the client `butterboard ingest` uses: listing
//! stored deliveries, replaying them with the same or new ids, and who may call it; and the
//! retention purge.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use butterboard_proto::ingest::v1::ingest_admin_service_client::IngestAdminServiceClient;
use butterboard_proto::ingest::v1::{DeliveryFilter, ListDeliveriesRequest};
use butterboard_runtime::auth::Role;
use support::{Ingest, Mode, TS, drain, expect_messages, vectors};
use zoom_webhook_ingest::admin_client::AdminClient;

async fn admin(ingest: &Ingest, role: Role) -> AdminClient {
    let token = ingest.auth.mint("ops@butterboard.online", &[role], Duration::from_secs(300)).expect("token");
    AdminClient::connect(&ingest.grpc, token).await.expect("connect")
}

/// Posts the meeting.started, meeting.ended and recording.completed fixtures a minute apart.
async fn post_three(ingest: &Ingest) {
    for file in ["meeting.started.json", "meeting.ended.json", "recording.completed.json"] {
        let v = vectors().into_iter().find(|v| v.file == file).expect("vector");
        assert_eq!(ingest.post_raw(v.body, Some(&v.timestamp), Some(&v.signature)).await.status(), 200);
        ingest.clock.advance(60_000);
    }
}

async fn stored_deliveries_are_listed_by_time_range_and_event_type(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    post_three(&ingest).await;
    let mut client = admin(&ingest, Role::Service).await;
    let all = client.list(DeliveryFilter::default(), 100).await.expect("list");
    assert_eq!(
        all.iter().map(|d| d.event_type.as_str()).collect::<Vec<_>>(),
        ["meeting.started", "meeting.ended", "recording.completed"]
    );
    let recording = &all[2];
    assert_eq!(recording.subject, "zoom.recording.completed");
    assert_eq!(recording.meeting_uuid, "4444AAAiAAAAAiAiAiiAii==");
    assert_eq!(recording.event_ts_ms, 1_764_583_000_000);
    assert_eq!(recording.received_at_ms, TS * 1000 + 120_000);
    assert_eq!(recording.dedupe_key.len(), 64);
    let by_type = client
        .list(DeliveryFilter { event_types: vec!["meeting.ended".into()], ..Default::default() }, 100)
        .await
        .expect("list");
    assert_eq!(by_type.len(), 1);
    let window = DeliveryFilter {
        received_from_ms: TS * 1000 + 60_000,
        received_to_ms: TS * 1000 + 120_000,
        ..Default::default()
    };
    let in_window = client.list(window, 100).await.expect("list");
    assert_eq!(in_window.iter().map(|d| d.event_type.as_str()).collect::<Vec<_>>(), ["meeting.ended"]);
    // Pages: one at a time still returns all three.
    assert_eq!(client.list(DeliveryFilter::default(), 3).await.expect("list").len(), 3);
    ingest.stop().await;
}

async fn a_replay_keeps_the_event_ids_unless_forced_to_mint_new_ones(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let mut events = ingest.subscribe().await;
    post_three(&ingest).await;
    let original = expect_messages(&mut events, 3, Duration::from_secs(20), Duration::from_millis(500)).await;
    let original_ids: HashSet<String> = original.iter().map(|m| m.headers["ce-id"].clone()).collect();
    let mut client = admin(&ingest, Role::Service).await;

    let missing = client.replay(DeliveryFilter::default(), false, 0).await.expect_err("a replay needs a range or ids");
    assert!(missing.to_string().contains("received_from_ms"), "{missing}");

    let since_start = DeliveryFilter { received_from_ms: 1, ..Default::default() };
    let same = client.replay(since_start.clone(), false, 0).await.expect("replay");
    assert_eq!(same.replayed, 3);
    assert_eq!(same.event_ids.iter().cloned().collect::<HashSet<_>>(), original_ids, "the original ids are reused");
    // The bus drops re-published ids inside its duplicate window; consumers' inboxes drop them later.
    assert!(drain(&mut events, Duration::from_secs(2)).await.is_empty(), "nothing new for consumers");

    let forced = client
        .replay(DeliveryFilter { event_types: vec!["recording.completed".into()], ..since_start }, true, 0)
        .await
        .expect("replay");
    assert_eq!(forced.replayed, 1);
    assert!(!original_ids.contains(&forced.event_ids[0]));
    let again = expect_messages(&mut events, 1, Duration::from_secs(20), Duration::from_millis(500)).await;
    assert_eq!(again[0].headers["ce-id"], forced.event_ids[0]);
    assert_eq!(again[0].subject, "zoom.recording.completed");
    let recording = original.iter().find(|m| m.subject == "zoom.recording.completed").expect("original");
    assert_eq!(again[0].payload, recording.payload, "the raw body again");
    ingest.stop().await;
}

async fn only_callers_with_the_service_role_may_list_or_replay(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    let mut employee = admin(&ingest, Role::Employee).await;
    let denied = employee.list(DeliveryFilter::default(), 10).await.expect_err("denied");
    assert!(denied.to_string().contains("PermissionDenied"), "{denied}");
    let denied = employee
        .replay(DeliveryFilter { received_from_ms: 1, ..Default::default() }, true, 0)
        .await
        .expect_err("denied");
    assert!(denied.to_string().contains("PermissionDenied"), "{denied}");
    let mut anonymous = AdminClient::connect(&ingest.grpc, "not-a-token".into()).await.expect("connect");
    let refused = anonymous.list(DeliveryFilter::default(), 10).await.expect_err("refused");
    assert!(refused.to_string().contains("Unauthenticated"), "{refused}");
    ingest.stop().await;
}

async fn deliveries_older_than_the_retention_are_purged_and_newer_ones_kept(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    post_three(&ingest).await;
    ingest.clock.advance(31 * 24 * 3600 * 1000);
    let v = vectors().into_iter().find(|v| v.file == "meeting.participant_left.json").expect("vector");
    let now = (TS + 31 * 24 * 3600 + 180).to_string();
    let signature = zoom::webhook::sign(support::SECRET.as_bytes(), &now, &v.body);
    assert_eq!(ingest.post_raw(v.body, Some(&now), Some(&signature)).await.status(), 200);
    let purged =
        zoom_webhook_ingest::retention::purge_once(&ingest.store, &ingest.clock, Duration::from_secs(30 * 24 * 3600))
            .await
            .expect("purge");
    assert_eq!(purged, 3);
    assert_eq!(ingest.count("deliveries").await, 1);
    ingest.stop().await;
}

/// Calls `ListDeliveries` as the service role, with a raw request (the client pages by itself).
async fn list_raw(ingest: &Ingest, request: ListDeliveriesRequest) -> Result<usize, tonic::Status> {
    let token = ingest.auth.mint("ops@butterboard.online", &[Role::Service], Duration::from_secs(300)).expect("token");
    let mut client = IngestAdminServiceClient::connect(ingest.grpc.clone()).await.expect("connect");
    let mut request = tonic::Request::new(request);
    butterboard_runtime::auth::attach_bearer(&mut request, &token).expect("bearer");
    client.list_deliveries(request).await.map(|r| r.into_inner().deliveries.len())
}

async fn list_filters_are_bounded_and_a_store_outage_is_unavailable(mode: Mode) {
    let ingest = Ingest::start(mode).await;
    post_three(&ingest).await;
    let filter = |f: DeliveryFilter| ListDeliveriesRequest { filter: Some(f), limit: 0, after_id: 0 };
    let types = |n: usize| vec!["meeting.started".to_string(); n];
    let at_most = DeliveryFilter { event_types: types(50), ids: (1..=1000).collect(), ..Default::default() };
    assert_eq!(list_raw(&ingest, filter(at_most)).await.expect("50 event types and 1,000 ids are fine"), 1);
    let page = ListDeliveriesRequest { limit: 1000, ..filter(DeliveryFilter::default()) };
    assert_eq!(list_raw(&ingest, page).await.expect("a page of 1,000 is fine"), 3);
    for (request, field) in [
        (filter(DeliveryFilter { event_types: types(51), ..Default::default() }), "filter.event_types"),
        (filter(DeliveryFilter { ids: (1..=1001).collect(), ..Default::default() }), "filter.ids"),
        (filter(DeliveryFilter { meeting_uuid: "u".repeat(201), ..Default::default() }), "filter.meeting_uuid"),
        (ListDeliveriesRequest { limit: 1001, ..filter(DeliveryFilter::default()) }, "limit"),
    ] {
        let refused = list_raw(&ingest, request).await.expect_err("refused");
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{field}: {refused:?}");
        assert!(refused.message().contains(field), "{field} named in {:?}", refused.message());
    }
    ingest.store.close().await;
    let down = list_raw(&ingest, filter(DeliveryFilter::default())).await.expect_err("the store is closed");
    assert_eq!(down.code(), tonic::Code::Unavailable, "{down:?}");
    assert!(!down.message().contains("pool"), "the cause is logged, not returned: {:?}", down.message());
}

butterboard_runtime::in_both_modes!(
    list_filters_are_bounded_and_a_store_outage_is_unavailable,
    stored_deliveries_are_listed_by_time_range_and_event_type,
    a_replay_keeps_the_event_ids_unless_forced_to_mint_new_ones,
    only_callers_with_the_service_role_may_list_or_replay,
    deliveries_older_than_the_retention_are_purged_and_newer_ones_kept,
);

//! `butterboard.ingest.v1.IngestAdminService`: list stored deliveries, replay them to the bus.
//! Every call needs the `service` role: deliveries are Zoom's raw traffic.

use butterboard_proto::ingest::v1::ingest_admin_service_server::IngestAdminService;
use butterboard_proto::ingest::v1::{
    Delivery, DeliveryFilter, ListDeliveriesRequest, ListDeliveriesResponse, ReplayDeliveriesRequest,
    ReplayDeliveriesResponse, WhoAmIRequest, WhoAmIResponse,
};
use butterboard_runtime::auth::{Role, caller};
use butterboard_runtime::store::Store;
use tonic::{Request, Response, Status};
use zoom::webhook::EventName;

use crate::replay::{MAX_REPLAY, replay};
use crate::store::{Filter, select};

pub struct Api {
    pub store: Store,
}

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 1000;

/// Checks a filter and turns it into the store's.
fn filter(filter: Option<DeliveryFilter>) -> Result<Filter, Status> {
    let f = filter.unwrap_or_default();
    if f.received_from_ms < 0 || f.received_to_ms < 0 {
        return Err(Status::invalid_argument("filter.received_from_ms and filter.received_to_ms must not be negative"));
    }
    if f.received_to_ms > 0 && f.received_to_ms <= f.received_from_ms {
        return Err(Status::invalid_argument("filter.received_to_ms must be after filter.received_from_ms"));
    }
    for name in &f.event_types {
        EventName::parse(name)
            .map_err(|_| Status::invalid_argument(format!("filter.event_types: {name:?} is not a zoom event name")))?;
    }
    Ok(Filter {
        received_from_ms: (f.received_from_ms > 0).then_some(f.received_from_ms),
        received_to_ms: (f.received_to_ms > 0).then_some(f.received_to_ms),
        event_types: f.event_types,
        meeting_uuid: (!f.meeting_uuid.is_empty()).then_some(f.meeting_uuid),
        ids: f.ids,
    })
}

fn unavailable(error: sqlx::Error) -> Status {
    tracing::warn!(%error, "ingest admin call failed on the store");
    Status::unavailable("the ingest store is unavailable")
}

#[tonic::async_trait]
impl IngestAdminService for Api {
    async fn who_am_i(&self, request: Request<WhoAmIRequest>) -> Result<Response<WhoAmIResponse>, Status> {
        let caller = caller(&request)?;
        Ok(Response::new(WhoAmIResponse {
            subject: caller.subject.clone(),
            roles: caller.roles.iter().map(|r| r.to_string()).collect(),
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<ListDeliveriesRequest>,
    ) -> Result<Response<ListDeliveriesResponse>, Status> {
        caller(&request)?.require_any(&[Role::Service])?;
        let request = request.into_inner();
        let filter = filter(request.filter)?;
        let limit = if request.limit == 0 { DEFAULT_PAGE } else { request.limit.min(MAX_PAGE) };
        let rows = select(self.store.pool(), &filter, request.after_id.max(0), i64::from(limit), false)
            .await
            .map_err(unavailable)?;
        let next_after_id = if rows.len() as u32 == limit { rows.last().map_or(0, |r| r.id) } else { 0 };
        let deliveries = rows
            .into_iter()
            .map(|r| Delivery {
                id: r.id,
                subject: format!("zoom.{}", r.event_type),
                event_type: r.event_type,
                event_id: r.event_id,
                event_ts_ms: r.event_ts.unwrap_or_default(),
                received_at_ms: r.received_at,
                dedupe_key: r.dedupe_key,
                meeting_uuid: r.meeting_uuid.unwrap_or_default(),
                body_bytes: u64::try_from(r.body_bytes).unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(ListDeliveriesResponse { deliveries, next_after_id }))
    }

    async fn replay_deliveries(
        &self,
        request: Request<ReplayDeliveriesRequest>,
    ) -> Result<Response<ReplayDeliveriesResponse>, Status> {
        let subject = {
            let caller = caller(&request)?;
            caller.require_any(&[Role::Service])?;
            caller.subject.clone()
        };
        let request = request.into_inner();
        let filter = filter(request.filter)?;
        if filter.received_from_ms.is_none() && filter.ids.is_empty() {
            return Err(Status::invalid_argument(
                "filter.received_from_ms or filter.ids is required, so a replay never covers everything by accident",
            ));
        }
        let limit = if request.limit == 0 { MAX_REPLAY } else { i64::from(request.limit).min(MAX_REPLAY) };
        let event_ids = replay(&self.store, &filter, request.force_new_ids, limit).await.map_err(unavailable)?;
        tracing::info!(by = %subject, replayed = event_ids.len(), force_new_ids = request.force_new_ids, "zoom deliveries replayed");
        Ok(Response::new(ReplayDeliveriesResponse { replayed: event_ids.len() as u32, event_ids }))
    }
}

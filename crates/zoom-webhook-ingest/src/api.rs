//! `butterboard.ingest.v1.IngestAdminService`: list stored deliveries, replay them to the bus.
//! Every call needs the `service` role: deliveries are Zoom's raw traffic.

use butterboard_proto::ingest::v1::ingest_admin_service_server::IngestAdminService;
use butterboard_proto::ingest::v1::{
    Delivery, DeliveryFilter, ListDeliveriesRequest, ListDeliveriesResponse, ReplayDeliveriesRequest,
    ReplayDeliveriesResponse, WhoAmIRequest, WhoAmIResponse,
};
use butterboard_runtime::auth::{Role, caller};
use butterboard_runtime::error::{ServiceError, ServiceResult, Violation};
use butterboard_runtime::store::Store;
use tonic::{Request, Response, Status};
use zoom::webhook::EventName;

use crate::replay::{MAX_REPLAY, replay};
use crate::store::{Filter, select};

pub struct Api {
    pub store: Store,
}

const DEFAULT_PAGE: u32 = 100;
/// The largest page; a larger `limit` is refused rather than cut, so a caller knows.
pub const MAX_PAGE: u32 = 1000;
/// The most event types one filter may name (Zoom has a few dozen).
pub const MAX_EVENT_TYPES: usize = 50;
/// The most delivery ids one filter may name (a page's worth).
pub const MAX_IDS: usize = 1000;
/// The longest meeting uuid accepted (Zoom's are 24 characters).
const MAX_MEETING_UUID: usize = 200;

/// Checks a filter and turns it into the store's; every violation names its field.
fn filter(filter: Option<DeliveryFilter>) -> ServiceResult<Filter> {
    let f = filter.unwrap_or_default();
    let mut violations = Vec::new();
    if f.received_from_ms < 0 {
        violations.push(Violation::new("filter.received_from_ms", "must not be negative"));
    }
    if f.received_to_ms < 0 {
        violations.push(Violation::new("filter.received_to_ms", "must not be negative"));
    } else if f.received_to_ms > 0 && f.received_to_ms <= f.received_from_ms {
        violations.push(Violation::new("filter.received_to_ms", "must be after filter.received_from_ms"));
    }
    if f.event_types.len() > MAX_EVENT_TYPES {
        violations.push(Violation::new("filter.event_types", format!("at most {MAX_EVENT_TYPES} event types")));
    } else if let Some(name) = f.event_types.iter().find(|name| EventName::parse(name).is_err()) {
        violations.push(Violation::new("filter.event_types", format!("{name:?} is not a zoom event name")));
    }
    if f.ids.len() > MAX_IDS {
        violations.push(Violation::new("filter.ids", format!("at most {MAX_IDS} ids")));
    }
    if f.meeting_uuid.len() > MAX_MEETING_UUID {
        violations.push(Violation::new("filter.meeting_uuid", format!("at most {MAX_MEETING_UUID} characters")));
    }
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    Ok(Filter {
        received_from_ms: (f.received_from_ms > 0).then_some(f.received_from_ms),
        received_to_ms: (f.received_to_ms > 0).then_some(f.received_to_ms),
        event_types: f.event_types,
        meeting_uuid: (!f.meeting_uuid.is_empty()).then_some(f.meeting_uuid),
        ids: f.ids,
    })
}

/// `limit` of a request: 0 means `default`, above `max` is refused.
fn limit(limit: u32, default: u32, max: u32) -> ServiceResult<u32> {
    match limit {
        0 => Ok(default),
        n if n > max => Err(ServiceError::invalid("limit", format!("at most {max}"))),
        n => Ok(n),
    }
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
        let limit = limit(request.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let rows = select(self.store.pool(), &filter, request.after_id.max(0), i64::from(limit), false)
            .await
            .map_err(ServiceError::from)?;
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
            return Err(ServiceError::invalid(
                "filter.received_from_ms",
                "required unless filter.ids names the deliveries, so a replay never covers everything by accident",
            )
            .into());
        }
        let limit = limit(request.limit, MAX_REPLAY, MAX_REPLAY)?;
        let event_ids =
            replay(&self.store, &filter, request.force_new_ids, i64::from(limit)).await.map_err(ServiceError::from)?;
        tracing::info!(by = %subject, replayed = event_ids.len(), force_new_ids = request.force_new_ids, "zoom deliveries replayed");
        Ok(Response::new(ReplayDeliveriesResponse { replayed: event_ids.len() as u32, event_ids }))
    }
}

//! The client side of the admin API, for `butterboard ingest list|replay`: it connects to a
//! running ingest over gRPC with a bearer token, so the service stays the only reader of its
//! store and replays go through its outbox and relay in either run mode.

use anyhow::Context as _;
use butterboard_proto::ingest::v1::ingest_admin_service_client::IngestAdminServiceClient;
use butterboard_proto::ingest::v1::{
    Delivery, DeliveryFilter, ListDeliveriesRequest, ReplayDeliveriesRequest, ReplayDeliveriesResponse,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tonic::transport::Channel;

/// Reads a time argument: RFC 3339 (`2026-12-01T09:00:00Z`), epoch milliseconds, or an age
/// before `now_ms` such as `90m`, `2h`, `7d`.
pub fn parse_time(text: &str, now_ms: i64) -> anyhow::Result<i64> {
    let text = text.trim();
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok((at.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().context("epoch milliseconds out of range");
    }
    let unit_ms = match text.chars().last() {
        Some('s') => 1_000,
        Some('m') => 60_000,
        Some('h') => 3_600_000,
        Some('d') => 86_400_000,
        _ => anyhow::bail!("{text:?} is not a time: use RFC 3339, epoch milliseconds, or an age like 2h or 7d"),
    };
    let amount: i64 =
        text[..text.len() - 1].parse().with_context(|| format!("{text:?} is not an age like 2h or 7d"))?;
    Ok(now_ms - amount.saturating_mul(unit_ms))
}

/// A connected admin client with its token.
pub struct AdminClient {
    client: IngestAdminServiceClient<Channel>,
    token: String,
}

impl AdminClient {
    pub async fn connect(address: &str, token: String) -> anyhow::Result<Self> {
        let client = IngestAdminServiceClient::connect(address.to_string())
            .await
            .with_context(|| format!("cannot reach the ingest admin API at {address}"))?;
        Ok(Self { client, token })
    }

    fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        butterboard_runtime::auth::attach_bearer(&mut request, &self.token)?;
        Ok(request)
    }

    /// Every delivery matching `filter`, page by page.
    pub async fn list(&mut self, filter: DeliveryFilter, limit: usize) -> anyhow::Result<Vec<Delivery>> {
        let mut out = Vec::new();
        let mut after_id = 0;
        while out.len() < limit {
            let page = (limit - out.len()).min(1000) as u32;
            let request =
                self.request(ListDeliveriesRequest { filter: Some(filter.clone()), limit: page, after_id })?;
            let response = self.client.list_deliveries(request).await.map_err(status_error)?.into_inner();
            out.extend(response.deliveries);
            if response.next_after_id == 0 {
                break;
            }
            after_id = response.next_after_id;
        }
        Ok(out)
    }

    pub async fn replay(
        &mut self,
        filter: DeliveryFilter,
        force_new_ids: bool,
        limit: u32,
    ) -> anyhow::Result<ReplayDeliveriesResponse> {
        let request = self.request(ReplayDeliveriesRequest { filter: Some(filter), force_new_ids, limit })?;
        Ok(self.client.replay_deliveries(request).await.map_err(status_error)?.into_inner())
    }
}

fn status_error(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_rfc3339_epoch_milliseconds_or_an_age() {
        let now = 1_764_579_612_000;
        assert_eq!(parse_time("2025-12-01T09:00:12Z", now).ok(), Some(now));
        assert_eq!(parse_time("1764579612000", now).ok(), Some(now));
        assert_eq!(parse_time("2h", now).ok(), Some(now - 7_200_000));
        assert_eq!(parse_time("7d", now).ok(), Some(now - 7 * 86_400_000));
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("xh", now).is_err());
    }
}

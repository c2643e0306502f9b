//! Keeps `cohort_changes` short. Every change to a scenario's stage instances adds a row there
//! (PostgreSQL), and ResolveParticipants sums a scenario's rows on every call. A scenario with
//! more than a few rows has them replaced by one row of the same total
//! (`store::cohort::compact`): right away when a call finds them ([`Compactions`]), and once a
//! minute for every scenario ([`compact`], run by the service as a periodic task), so the sum
//! stays a read of a row or two.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use butterboard_runtime::store::Store;

use crate::store::cohort;

/// How often compaction runs.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// Scenarios with more rows than this are compacted.
pub const MAX_ROWS: i64 = 16;

/// Compacts the scenarios with more than `max_rows` change rows, each in its own transaction;
/// returns how many.
pub async fn compact(store: &Store, max_rows: i64) -> anyhow::Result<usize> {
    let scenarios = {
        let mut conn = store.pool().acquire().await?;
        cohort::scenarios_to_compact(&mut conn, max_rows).await?
    };
    for scenario_id in &scenarios {
        compact_scenario(store, scenario_id).await?;
    }
    Ok(scenarios.len())
}

async fn compact_scenario(store: &Store, scenario_id: &str) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    cohort::compact(&mut tx, scenario_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Compactions started by calls that found a scenario's rows piling up (after a burst of
/// assignments, say), at most one per scenario at a time; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Compactions {
    running: Arc<Mutex<HashSet<String>>>,
}

impl Compactions {
    /// Compacts the scenario in the background unless that is under way already.
    pub fn start(&self, store: &Store, scenario_id: &str) {
        if !self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(scenario_id.to_string()) {
            return;
        }
        let (running, store, scenario_id) = (self.running.clone(), store.clone(), scenario_id.to_string());
        tokio::spawn(async move {
            if let Err(error) = compact_scenario(&store, &scenario_id).await {
                tracing::warn!(error = format!("{error:#}"), scenario_id, "cohort change compaction failed");
            }
            running.lock().unwrap_or_else(PoisonError::into_inner).remove(&scenario_id);
        });
    }
}

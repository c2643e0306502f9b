//! The people of assignments, parsed once per process.
//!
//! An assignment's people are written when it is created and never changed, so a copy can never
//! be stale, on any replica. ResolveParticipants for a stage reads the role people of every
//! assignment in the cohort — a thousand documents for a large cohort — and this keeps it from
//! fetching and parsing them on every call. The cache is bounded: past `CAPACITY` entries it
//! starts over, which costs one slower call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use sqlx::AnyConnection;

use crate::domain::assignment::AssignmentPeople;
use crate::store::{assignments, corrupt};

const CAPACITY: usize = 50_000;

/// Keyed by assignment id, with a fast hash: a large cohort looks up a thousand ids per call.
type Entries = HashMap<String, Arc<AssignmentPeople>, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Default)]
pub struct PeopleCache {
    entries: Arc<Mutex<Entries>>,
}

impl PeopleCache {
    /// The people of each of `ids`, in the same order.
    pub async fn get_many(&self, conn: &mut AnyConnection, ids: &[&str]) -> anyhow::Result<Vec<Arc<AssignmentPeople>>> {
        let missing: Vec<String> = {
            let entries = self.lock();
            ids.iter().filter(|id| !entries.contains_key(**id)).map(|id| id.to_string()).collect()
        };
        if !missing.is_empty() {
            let mut fetched = Vec::with_capacity(missing.len());
            for (id, text) in assignments::people_of(conn, &missing).await? {
                let people: AssignmentPeople =
                    serde_json::from_str(&text).map_err(|e| corrupt("assignment people", e))?;
                fetched.push((id, Arc::new(people)));
            }
            let mut entries = self.lock();
            if entries.len() + fetched.len() > CAPACITY {
                entries.clear();
            }
            entries.extend(fetched);
        }
        let entries = self.lock();
        ids.iter()
            .map(|id| entries.get(*id).cloned().ok_or_else(|| anyhow::anyhow!("assignment {id} has no people")))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves a map of complete entries: keep using it.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

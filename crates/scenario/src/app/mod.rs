//! The service's operations, one method per API call, behind the gRPC layer: check who asks,
//! parse and validate, read or change the store in one transaction with the events owed. The API
//! module only converts messages; tests and the bench call these methods the same way.

pub mod access;
mod assignments;
mod cancellation;
mod cohort_cache;
pub mod errors;
mod participants;
mod people_cache;
mod scenarios;
mod stages;

use std::collections::HashMap;
use std::sync::Arc;

use butterboard_runtime::auth::Caller;
use butterboard_runtime::clock::Clock;
use butterboard_runtime::store::Store;

pub use assignments::{AssignmentFilter, AssignmentView};
pub use participants::{ResolveTarget, ResolvedStage};
pub use scenarios::{SavedScenario, ScenarioPage};
pub(crate) use stages::close_instance;

use crate::domain::scenario::{MaterialKind, ScenarioDefinition, Stage};
use crate::store::recordings::RecordingLink;

/// The scenario service's application layer; cheap to clone.
#[derive(Clone)]
pub struct ScenarioApp {
    store: Store,
    clock: Arc<dyn Clock>,
    people: people_cache::PeopleCache,
    cohorts: cohort_cache::CohortCache,
    compactions: crate::compaction::Compactions,
}

impl ScenarioApp {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            people: people_cache::PeopleCache::default(),
            cohorts: cohort_cache::CohortCache::default(),
            compactions: crate::compaction::Compactions::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Fills the `previous_recording` materials of every stage with the stage's latest archived
/// recording, where `caller` may see it ([`access::may_see_previous_recording`]); otherwise the
/// material keeps an empty url, as it has before any recording was archived.
pub fn fill_recordings(definition: &mut ScenarioDefinition, links: &HashMap<String, RecordingLink>, caller: &Caller) {
    for stage in &mut definition.stages {
        let link = links.get(&stage.id);
        fill_stage_recordings(stage, link, caller);
    }
}

/// [`fill_recordings`] for one stage.
pub fn fill_stage_recordings(stage: &mut Stage, link: Option<&RecordingLink>, caller: &Caller) {
    let Some(link) = link.filter(|_| access::may_see_previous_recording(caller, stage.recording_privacy)) else {
        return;
    };
    for material in stage.materials.iter_mut().filter(|m| m.kind == MaterialKind::PreviousRecording) {
        material.url = link.folder_link.clone();
    }
}

/// Page sizes: 0 means the default; above the maximum is a violation of `page_size`.
fn page_size(requested: u32) -> errors::ServiceResult<u32> {
    match requested {
        0 => Ok(50),
        1..=200 => Ok(requested),
        _ => Err(errors::ServiceError::invalid("page_size", "must be at most 200")),
    }
}

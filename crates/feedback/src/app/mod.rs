//! The service's operations, one method per API call, behind the gRPC layer: check who asks,
//! parse and validate, read or change the store in one transaction with the events owed. The API
//! module only converts messages; tests and the bench call these methods the same way.

pub mod access;
pub mod errors;
mod notes;
mod reports;
mod requests;

use std::sync::Arc;

use butterboard_runtime::clock::Clock;
use butterboard_runtime::store::Store;

pub use reports::ReportView;
pub use requests::RequestView;

use crate::settings::FeedbackSettings;

/// The feedback service's application layer; cheap to clone.
#[derive(Clone)]
pub struct FeedbackApp {
    store: Store,
    clock: Arc<dyn Clock>,
    settings: Arc<FeedbackSettings>,
}

impl FeedbackApp {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Arc<FeedbackSettings>) -> Self {
        Self { store, clock, settings }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// `text` trimmed, or a violation of `field` when blank.
fn required(field: &str, text: &str) -> errors::ServiceResult<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(errors::ServiceError::invalid(field, "is required"));
    }
    Ok(text.to_string())
}

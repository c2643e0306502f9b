//! The service's boundary errors are the runtime's one table ([`ServiceError`]: bad input with
//! field violations, not found, failed precondition, permission denied, store unavailable,
//! internal), so feedback answers every failure the way the other services do.

pub use butterboard_runtime::error::{ServiceError, ServiceResult};

//! Generated protobuf messages and gRPC services of Butterboard Meetings.
//!
//! The sources are the `.proto` files under `proto/` at the repository root; `events::v1` holds the
//! payloads of the public `onboarding.*` subjects, the other modules one gRPC package each.
//! [`FILE_DESCRIPTOR_SET`] feeds gRPC reflection.

#![allow(clippy::all, missing_docs)]

/// Encoded descriptors of every file, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("butterboard_descriptor");

pub mod events {
    pub mod v1 {
        tonic::include_proto!("butterboard.events.v1");
    }
}
pub mod scenario {
    pub mod v1 {
        tonic::include_proto!("butterboard.scenario.v1");
    }
}
pub mod meeting {
    pub mod v1 {
        tonic::include_proto!("butterboard.meeting.v1");
    }
}
pub mod recording {
    pub mod v1 {
        tonic::include_proto!("butterboard.recording.v1");
    }
}
pub mod feedback {
    pub mod v1 {
        tonic::include_proto!("butterboard.feedback.v1");
    }
}
pub mod ingest {
    pub mod v1 {
        tonic::include_proto!("butterboard.ingest.v1");
    }
}

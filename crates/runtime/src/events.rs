//! The catalogue of `onboarding.*` events: subject, CloudEvents type and protobuf payload of each.
//!
//! Publishers build events with [`OnboardingEvent::into_cloud_event`]; consumers and
//! `butterboard events tail` decode with [`OnboardingEvent::decode`], which refuses unknown types.
//! docs/events.md documents the same table for other Butterboard services.

use butterboard_proto::events::v1 as pb;

use crate::envelope::{CloudEvent, EnvelopeError};

macro_rules! catalogue {
    ($( $variant:ident => $subject:literal ),* $(,)?) => {
        /// Every event this system publishes on `onboarding.>`.
        #[derive(Debug, Clone, PartialEq)]
        pub enum OnboardingEvent {
            $( $variant(pb::$variant), )*
        }

        /// `(subject, ce-type)` of every onboarding event.
        pub const CATALOGUE: &[(&str, &str)] = &[
            $( ($subject, concat!("butterboard.", $subject, ".v1")), )*
        ];

        impl OnboardingEvent {
            /// The subject it is published on.
            pub fn subject(&self) -> &'static str {
                match self { $( Self::$variant(_) => $subject, )* }
            }

            /// Its CloudEvents type: `butterboard.<subject>.v1`.
            pub fn event_type(&self) -> &'static str {
                match self { $( Self::$variant(_) => concat!("butterboard.", $subject, ".v1"), )* }
            }

            fn encode(&self) -> Vec<u8> {
                use prost::Message as _;
                match self { $( Self::$variant(m) => m.encode_to_vec(), )* }
            }

            /// Decodes a CloudEvent whose type is one of the catalogue's.
            pub fn decode(event: &CloudEvent) -> Result<Self, EnvelopeError> {
                $(
                    if event.ty == concat!("butterboard.", $subject, ".v1") {
                        return event.decode_protobuf(&event.ty).map(Self::$variant);
                    }
                )*
                Err(EnvelopeError::UnknownType(event.ty.clone()))
            }
        }

        $(
            impl From<pb::$variant> for OnboardingEvent {
                fn from(m: pb::$variant) -> Self { Self::$variant(m) }
            }
        )*
    };
}

catalogue! {
    ScenarioAssigned => "onboarding.scenario.assigned",
    AssignmentCancelled => "onboarding.assignment.cancelled",
    StageDue => "onboarding.stage.due",
    StageCompleted => "onboarding.stage.completed",
    MeetingScheduled => "onboarding.meeting.scheduled",
    MeetingStarted => "onboarding.meeting.started",
    MeetingEnded => "onboarding.meeting.ended",
    MeetingCancelled => "onboarding.meeting.cancelled",
    MeetingRescheduled => "onboarding.meeting.rescheduled",
    MeetingInviteesChanged => "onboarding.meeting.invitees_changed",
    RecordingArchived => "onboarding.recording.archived",
    RecordingFailed => "onboarding.recording.failed",
    FeedbackRequested => "onboarding.feedback.requested",
    FeedbackReminder => "onboarding.feedback.reminder",
    FeedbackSubmitted => "onboarding.feedback.submitted",
    FeedbackExpired => "onboarding.feedback.expired",
    FeedbackManagerNote => "onboarding.feedback.manager_note",
}

impl OnboardingEvent {
    /// The CloudEvent for this payload, from `butterboard/<service>` about `aggregate_id`.
    pub fn into_cloud_event(self, service: &str, aggregate_id: impl Into<String>) -> CloudEvent {
        let data = bytes::Bytes::from(self.encode());
        CloudEvent::new(
            format!("butterboard/{service}"),
            self.event_type(),
            crate::envelope::CONTENT_TYPE_PROTOBUF,
            data,
        )
        .with_subject(aggregate_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_onboarding_event_decodes_back_to_itself() {
        let event = OnboardingEvent::StageDue(pb::StageDue {
            assignment_id: "a1".into(),
            title: "Meet the team".into(),
            ..Default::default()
        });
        let cloud = event.clone().into_cloud_event("scenario", "a1");
        assert_eq!(cloud.ty, "butterboard.onboarding.stage.due.v1");
        assert_eq!(OnboardingEvent::decode(&cloud), Ok(event));
    }

    #[test]
    fn an_unknown_event_type_is_refused() {
        let mut cloud = OnboardingEvent::StageDue(pb::StageDue::default()).into_cloud_event("scenario", "a1");
        cloud.ty = "butterboard.onboarding.stage.exploded.v1".into();
        assert_eq!(OnboardingEvent::decode(&cloud), Err(EnvelopeError::UnknownType(cloud.ty.clone())));
    }
}

//! The requests a stage event calls for, read off the event: pure, so each rule is tested without
//! a bus.

use butterboard_proto::events::v1 as pb;

use crate::domain::request::{Presence, Sighting, given_questions};

/// `onboarding.meeting.ended`: one sighting per new employee the meeting was for (role
/// `employee` with an assignment or stage instance), with their attendance.
pub fn of_meeting(ended: &pb::MeetingEnded) -> Vec<Sighting> {
    let questions = given_questions(&ended.feedback_questions);
    ended
        .attendance
        .iter()
        .filter(|a| a.role == "employee" && !(a.assignment_id.is_empty() && a.stage_instance_id.is_empty()))
        .map(|a| Sighting {
            assignment_id: a.assignment_id.clone(),
            stage_instance_id: a.stage_instance_id.clone(),
            stage_id: ended.stage_id.clone(),
            stage_title: ended.stage_title.clone(),
            occurrence: 0,
            meeting_id: Some(ended.meeting_id.clone()).filter(|m| !m.is_empty()),
            presence: Some(Presence {
                attended: a.attended,
                seconds_present: a.seconds_present,
                joined_late: a.joined_late,
                left_early: a.left_early,
            }),
            questions: questions.clone(),
            scenario_version: ended.scenario_version,
        })
        .collect()
}

/// `onboarding.stage.completed`: a sighting unless the stage was skipped (it did not happen).
pub fn of_completion(completed: &pb::StageCompleted) -> Option<Sighting> {
    if completed.skipped || completed.assignment_id.is_empty() || completed.stage_instance_id.is_empty() {
        return None;
    }
    Some(Sighting {
        assignment_id: completed.assignment_id.clone(),
        stage_instance_id: completed.stage_instance_id.clone(),
        stage_id: completed.stage_id.clone(),
        stage_title: completed.title.clone(),
        occurrence: completed.occurrence,
        meeting_id: Some(completed.meeting_id.clone()).filter(|m| !m.is_empty()),
        presence: None,
        questions: given_questions(&completed.questions),
        scenario_version: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attendance(role: &str, assignment: &str, attended: bool) -> pb::Attendance {
        pb::Attendance {
            person: Some(pb::Person { email: format!("{assignment}@example.com"), ..Default::default() }),
            role: role.into(),
            assignment_id: assignment.into(),
            stage_instance_id: if assignment.is_empty() { String::new() } else { format!("{assignment}-i") },
            attended,
            seconds_present: if attended { 1800 } else { 0 },
            ..Default::default()
        }
    }

    #[test]
    fn a_meeting_asks_every_new_employee_it_was_for_and_nobody_else() {
        let ended = pb::MeetingEnded {
            meeting_id: "m1".into(),
            stage_id: "meet".into(),
            attendance: vec![
                attendance("employee", "a1", true),
                attendance("employee", "a2", false),
                attendance("manager", "", true),
                attendance("guest", "", true),
                attendance("employee", "", true),
            ],
            feedback_questions: vec!["What was missing?".into()],
            ..Default::default()
        };
        let sightings = of_meeting(&ended);
        let who: Vec<(&str, bool)> =
            sightings.iter().map(|s| (s.assignment_id.as_str(), s.presence.is_some_and(|p| p.attended))).collect();
        assert_eq!(who, [("a1", true), ("a2", false)], "the absent employee is asked too");
        assert!(sightings.iter().all(|s| s.meeting_id.as_deref() == Some("m1") && s.questions.is_some()));
    }

    #[test]
    fn a_skipped_stage_asks_nothing_and_a_completed_one_asks_its_employee() {
        let completed = pb::StageCompleted {
            assignment_id: "a1".into(),
            stage_instance_id: "i1".into(),
            stage_id: "read".into(),
            occurrence: 2,
            ..Default::default()
        };
        let sighting = of_completion(&completed).expect("asks");
        assert_eq!((sighting.occurrence, sighting.presence, sighting.questions), (2, None, None));
        assert_eq!(of_completion(&pb::StageCompleted { skipped: true, ..completed }), None);
    }
}

//! The API over real gRPC on loopback, on both stores: every bad answer or note is
//! INVALID_ARGUMENT naming its field with nothing stored; an employee reads and answers only their
//! own requests; a manager's report hides what fewer answers than the threshold would give away
//! and never shows comments or another manager's people; notes reach only the employee, their
//! manager and HR.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use butterboard_proto::feedback::v1 as pb;
use butterboard_runtime::auth::Role;
use butterboard_runtime::testing::{Mode, TestService};
use support::*;
use tonic::Code;

fn submit(id: &str, rating: u32, comment: &str, answers: &[&str]) -> pb::SubmitFeedbackRequest {
    pb::SubmitFeedbackRequest {
        request_id: id.into(),
        rating,
        comment: comment.into(),
        answers: answers.iter().map(|a| a.to_string()).collect(),
    }
}

/// Rows a write could touch, to show a refused call wrote nothing.
async fn footprint(service: &TestService) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM feedback_responses",
        "SELECT COUNT(*) FROM feedback_requests WHERE status <> 'open'",
        "SELECT COUNT(*) FROM manager_notes",
    ] {
        counts.push(count(&service.store, sql).await);
    }
    counts
}

fn anna() -> Newcomer<'static> {
    Newcomer { id: "anna", manager: "oleg@example.com", start: "2025-03-03", version: 1 }
}

async fn every_bad_answer_or_note_is_invalid_argument_naming_its_field_and_writes_nothing(mode: Mode) {
    let service = start(mode, &[]).await;
    let ids = asked_about_meet(&service, &[anna()]).await;
    let mut grpc = client(&service);
    let before = footprint(&service).await;
    let long = "x".repeat(5_001);
    let cases: Vec<(pb::SubmitFeedbackRequest, Vec<&str>)> = vec![
        (submit("", 4, "", &["yes"]), vec!["request_id"]),
        (submit(&ids[0], 0, "", &["yes"]), vec!["rating"]),
        (submit(&ids[0], 6, &long, &[]), vec!["rating", "comment", "answers[0]"]),
        (submit(&ids[0], 3, "", &["  "]), vec!["answers[0]"]),
        (submit(&ids[0], 3, "", &["yes", "and more"]), vec!["answers"]),
        (submit(&ids[0], 3, "", &[long.as_str()]), vec!["answers[0]"]),
    ];
    for (request, fields) in cases {
        let status = grpc.submit_feedback(service.employee("anna@example.com", request)).await.expect_err("refused");
        assert_eq!(violated_fields(&status), fields);
    }
    let note = |assignment: &str, instance: &str, rating: u32, comment: &str| pb::LeaveManagerNoteRequest {
        assignment_id: assignment.into(),
        stage_instance_id: instance.into(),
        rating,
        comment: comment.into(),
    };
    for (request, fields) in [
        (note("", "", 3, "ok"), vec!["assignment_id"]),
        (note("anna", "", 9, " "), vec!["rating", "comment"]),
        (note("anna", "", 3, &long), vec!["comment"]),
        (note("anna", "someone-elses-instance", 3, "good start"), vec!["stage_instance_id"]),
    ] {
        let status = grpc.leave_manager_note(service.manager(request)).await.expect_err("refused");
        assert_eq!(violated_fields(&status), fields);
    }
    assert_eq!(footprint(&service).await, before, "nothing stored");
    let mut watch = service.watch(&["onboarding.feedback.submitted", "onboarding.feedback.manager_note"]).await;
    assert!(watch.next(std::time::Duration::from_millis(500)).await.is_none(), "nothing published");

    // Answered once; a second answer and an answer after the deadline are refused.
    let answered =
        grpc.submit_feedback(service.employee("anna@example.com", submit(&ids[0], 4, "Good", &["yes"]))).await;
    assert_eq!(answered.expect("answered").into_inner().status, pb::RequestStatus::Answered as i32);
    let again = grpc.submit_feedback(service.employee("anna@example.com", submit(&ids[0], 5, "", &["yes"]))).await;
    assert_eq!(again.expect_err("answered already").code(), Code::FailedPrecondition);
    let late = asked_about_meet(&service, &[Newcomer { id: "boris", ..anna() }]).await;
    service.clock.advance(30 * DAY);
    let expired = grpc.submit_feedback(service.employee("boris@example.com", submit(&late[0], 5, "", &["yes"]))).await;
    assert_eq!(expired.expect_err("expired").code(), Code::FailedPrecondition);
    assert_eq!(count(&service.store, "SELECT COUNT(*) FROM feedback_responses").await, 1, "stored once");
    service.stop().await.expect("stops cleanly");
}

async fn an_employee_reads_and_answers_only_their_own_requests(mode: Mode) {
    let service = start(mode, &[]).await;
    let ids = asked_about_meet(&service, &[anna(), Newcomer { id: "boris", ..anna() }]).await;
    let mut grpc = client(&service);
    let secret = "the onboarding buddy never showed up";
    grpc.submit_feedback(service.employee("anna@example.com", submit(&ids[0], 2, secret, &["no"])))
        .await
        .expect("answered");
    let denied = |r: Result<tonic::Response<pb::FeedbackRequest>, tonic::Status>| r.expect_err("denied").code();
    let boris_reads =
        grpc.get_request(service.employee("boris@example.com", pb::GetRequestRequest { id: ids[0].clone() })).await;
    assert_eq!(denied(boris_reads), Code::PermissionDenied);
    let boris_answers =
        grpc.submit_feedback(service.employee("boris@example.com", submit(&ids[0], 5, "", &["yes"]))).await;
    assert_eq!(denied(boris_answers), Code::PermissionDenied);
    let manager_reads = grpc.get_request(service.manager(pb::GetRequestRequest { id: ids[0].clone() })).await;
    assert_eq!(denied(manager_reads), Code::PermissionDenied, "a manager sees summaries, not answers");
    // Oleg's e-mail with the employee role is not anna.
    let impostor =
        grpc.get_request(service.employee("oleg@example.com", pb::GetRequestRequest { id: ids[0].clone() })).await;
    assert_eq!(denied(impostor), Code::PermissionDenied);

    let mine = grpc.list_my_requests(service.employee("Boris@Example.com", pb::ListMyRequestsRequest::default())).await;
    let mine = mine.expect("listed").into_inner().requests;
    assert_eq!(mine.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [ids[1].as_str()], "only boris's own, open");
    assert_eq!(mine[0].questions, ["Useful?"]);
    let hr = grpc.get_request(service.hr(pb::GetRequestRequest { id: ids[0].clone() })).await.expect("hr reads");
    assert_eq!(hr.into_inner().answer.map(|a| a.comment), Some(secret.to_string()));
    let listed = grpc
        .list_my_requests(service.employee("anna@example.com", pb::ListMyRequestsRequest { include_closed: true }))
        .await;
    assert_eq!(listed.expect("listed").into_inner().requests[0].answer.as_ref().map(|a| a.rating), Some(2));
    // The bus gets the rating, never the text.
    let mut watch = service.watch(&["onboarding.feedback.submitted"]).await;
    let message = watch.next(std::time::Duration::from_secs(30)).await.expect("published");
    let butterboard_runtime::events::OnboardingEvent::FeedbackSubmitted(event) =
        butterboard_runtime::testing::watch::decode(&message)
    else {
        panic!("submitted")
    };
    assert_eq!((event.rating, event.request_id.as_str()), (2, ids[0].as_str()));
    assert!(!String::from_utf8_lossy(&message.payload).contains("buddy never"), "free text stays off the bus");
    let call =
        grpc.list_my_requests(service.request("svc", &[Role::Service], pb::ListMyRequestsRequest::default())).await;
    assert_eq!(call.expect_err("not an employee").code(), Code::PermissionDenied);
    service.stop().await.expect("stops cleanly");
}

async fn a_manager_below_the_threshold_sees_no_aggregate_and_no_comment(mode: Mode) {
    let service = start(mode, &[("FEEDBACK_ANONYMITY_THRESHOLD", "3")]).await;
    let people = [
        anna(),
        Newcomer { id: "boris", ..anna() },
        Newcomer { id: "carl", manager: "ivan@example.com", ..anna() },
        Newcomer { id: "dora", manager: "ivan@example.com", ..anna() },
        Newcomer { id: "emil", manager: "ivan@example.com", ..anna() },
    ];
    let ids = asked_about_meet(&service, &people).await;
    let mut grpc = client(&service);
    for (n, (id, p)) in ids.iter().zip(&people).enumerate() {
        let request = submit(id, 1 + n as u32, "a comment", &["yes"]);
        grpc.submit_feedback(service.employee(&format!("{}@example.com", p.id), request)).await.expect("answered");
    }
    let report = |grpc: &mut pb::feedback_service_client::FeedbackServiceClient<_>, request| {
        let mut grpc = grpc.clone();
        async move { grpc.get_report(request).await }
    };
    let ask = pb::GetReportRequest { scenario_id: "s1".into(), scenario_version: 0 };
    // Oleg's two answers are below the threshold: the row says so and gives no figure.
    let oleg = report(&mut grpc, service.manager(ask.clone())).await.expect("report").into_inner();
    let row = &oleg.stages[0];
    assert!(row.suppressed && row.note == "fewer than 3 answers", "{row:?}");
    assert_eq!((row.requests, row.answered, row.average_rating, row.response_rate), (2, 0, 0.0, 0.0));
    assert!(row.distribution.is_empty() && row.median_hours_to_answer == 0.0);
    assert!(row.attendance.iter().all(|c| c.ratings.as_ref().is_some_and(|r| r.suppressed && r.average_rating == 0.0)));
    assert!(oleg.cohorts.iter().all(|c| c.suppressed && c.average_rating == 0.0));
    // Ivan's three reach it, and his report holds his people only.
    let ivan =
        report(&mut grpc, service.request("ivan@example.com", &[Role::Manager], ask.clone())).await.expect("report");
    let row = ivan.into_inner().stages.remove(0);
    assert_eq!((row.suppressed, row.requests, row.answered, row.average_rating), (false, 3, 3, 4.0));
    // HR sees everyone.
    let hr = report(&mut grpc, service.hr(ask.clone())).await.expect("report").into_inner();
    assert_eq!((hr.stages[0].requests, hr.stages[0].average_rating), (5, 3.0));
    // Comments are HR's only; the CSV export follows the same rule as the report.
    let comments =
        pb::ListStageCommentsRequest { scenario_id: "s1".into(), stage_id: "meet".into(), scenario_version: 0 };
    let denied =
        grpc.list_stage_comments(service.manager(comments.clone())).await.expect_err("managers read no comments");
    assert_eq!(denied.code(), Code::PermissionDenied);
    let listed = grpc.list_stage_comments(service.hr(comments)).await.expect("hr reads comments").into_inner();
    assert_eq!(listed.comments.len(), 5);
    let csv = grpc.export_report_csv(service.manager(ask.clone())).await.expect("csv").into_inner().csv;
    assert!(csv.contains("fewer than 3 answers") && !csv.contains("a comment"), "{csv}");
    let employee = grpc.get_report(service.employee("anna@example.com", ask)).await.expect_err("not for employees");
    assert_eq!(employee.code(), Code::PermissionDenied);
    service.stop().await.expect("stops cleanly");
}

async fn a_manager_note_reaches_only_the_employee_their_manager_and_hr(mode: Mode) {
    let service = start(mode, &[]).await;
    asked_about_meet(&service, &[anna(), Newcomer { id: "boris", manager: "ivan@example.com", ..anna() }]).await;
    let mut grpc = client(&service);
    let note = pb::LeaveManagerNoteRequest {
        assignment_id: "anna".into(),
        stage_instance_id: instance("anna", "one-on-one", 1),
        rating: 4,
        comment: "Settling in well".into(),
    };
    let other = grpc.leave_manager_note(service.request("ivan@example.com", &[Role::Manager], note.clone())).await;
    assert_eq!(other.expect_err("not anna's manager").code(), Code::PermissionDenied);
    let left = grpc.leave_manager_note(service.manager(note)).await.expect("left").into_inner();
    assert_eq!((left.stage_id.as_str(), left.rating), ("one-on-one", 4));
    let list = pb::ListManagerNotesRequest { assignment_id: "anna".into() };
    for request in
        [service.employee("anna@example.com", list.clone()), service.manager(list.clone()), service.hr(list.clone())]
    {
        let notes = grpc.list_manager_notes(request).await.expect("readable").into_inner().notes;
        assert_eq!(notes.iter().map(|n| n.comment.as_str()).collect::<Vec<_>>(), ["Settling in well"]);
    }
    for request in [
        service.employee("boris@example.com", list.clone()),
        service.request("ivan@example.com", &[Role::Manager], list.clone()),
    ] {
        assert_eq!(grpc.list_manager_notes(request).await.expect_err("denied").code(), Code::PermissionDenied);
    }
    let mut watch = service.watch(&["onboarding.feedback.manager_note"]).await;
    let message = watch.next(std::time::Duration::from_secs(30)).await.expect("published");
    let butterboard_runtime::events::OnboardingEvent::FeedbackManagerNote(event) =
        butterboard_runtime::testing::watch::decode(&message)
    else {
        panic!("a manager note")
    };
    assert_eq!(
        (event.note_id.as_str(), event.assignment_id.as_str(), event.scenario_id.as_str()),
        (left.id.as_str(), "anna", "s1")
    );
    assert!(!String::from_utf8_lossy(&message.payload).contains("Settling"), "ids only on the bus");
    service.stop().await.expect("stops cleanly");
}

butterboard_runtime::in_both_modes!(
    every_bad_answer_or_note_is_invalid_argument_naming_its_field_and_writes_nothing,
    an_employee_reads_and_answers_only_their_own_requests,
    a_manager_below_the_threshold_sees_no_aggregate_and_no_comment,
    a_manager_note_reaches_only_the_employee_their_manager_and_hr,
);

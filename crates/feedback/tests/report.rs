//! The report against a data set counted by hand, on both stores, in all three formats: the
//! message, the CSV of the API, the terminal table and the HTML page (parsed, one bar per stage).
//!
//! Scenario s1, stage "meet" (a meeting) and "read" (no meeting), answers given 1 to 10 hours
//! after the requests:
//!
//! | who | cohort | v | meet (attendance, rating, hours) | read (rating, hours) |
//! | --- | --- | --- | --- | --- |
//! | a1 | 2025-03 | 1 | full, 5, 2 h | 2, 1 h |
//! | a2 | 2025-03 | 1 | left early, 3, 4 h | 3, 3 h |
//! | a3 | 2025-03 | 1 | missed, 2, 10 h | — |
//! | a4 | 2025-03 | 1 | full, open | — |
//! | a5 | 2025-04 | 1 | full, 4, 1 h | open |
//! | a6 | 2025-04 | 1 | missed, open | — |
//! | a7 | 2025-04 | 2 | full, 1, 1 h | — |
//!
//! meet v1: 6 requests, 4 answers (67 %), mean (5+3+2+4)/4 = 3.50, distribution 0/1/1/1/1,
//! median of 1, 2, 4, 10 h = 3 h; attended 4.50 (2 answers of 3), late/left early 3.00 (1),
//! missed 2.00 (1 of 2). read v1: 3 requests, 2 answers (67 %), mean 2.50, median 2 h, weak.
//! meet v2: 1 request, 1 answer, mean 1.00, weak. Weakest first: meet v2, read v1, meet v1.
//! Cohorts: 2025-03 6 requests, 5 answers (83 %), mean 15/5 = 3.00; 2025-04 4 requests,
//! 2 answers (50 %), mean 2.50.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use butterboard_proto::events::v1 as events_pb;
use butterboard_proto::feedback::v1 as pb;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::testing::{Mode, TestService};
use feedback::render::{self, Format};
use support::*;

async fn request_id(service: &TestService, assignment: &str, stage: &str) -> String {
    let mut conn = service.store.pool().acquire().await.expect("connection");
    feedback::store::requests::find(&mut conn, assignment, &instance(assignment, stage, 1))
        .await
        .expect("read")
        .expect("a request")
        .id
}

async fn answer(service: &TestService, assignment: &str, stage: &str, rating: u32) {
    let id = request_id(service, assignment, stage).await;
    let request =
        pb::SubmitFeedbackRequest { request_id: id, rating, comment: String::new(), answers: vec!["fine".into()] };
    client(service)
        .submit_feedback(service.employee(&format!("{assignment}@example.com"), request))
        .await
        .expect("answered");
}

async fn hand_counted_data_set(service: &TestService) {
    let people = [
        ("a1", "2025-03-03", 1),
        ("a2", "2025-03-03", 1),
        ("a3", "2025-03-10", 1),
        ("a4", "2025-03-17", 1),
        ("a5", "2025-04-01", 1),
        ("a6", "2025-04-01", 1),
        ("a7", "2025-04-07", 2),
    ];
    for (a, start, version) in people {
        let event = assigned(a, &format!("{a}@example.com"), "oleg@example.com", "Europe/Berlin", start, version);
        publish(service, OnboardingEvent::ScenarioAssigned(event), "scenario").await;
    }
    wait_assignments(&service.store, 7).await;
    let v1 = vec![
        attendance("a1", "meet", true, false),
        attendance("a2", "meet", true, true),
        attendance("a3", "meet", false, false),
        attendance("a4", "meet", true, false),
        attendance("a5", "meet", true, false),
        attendance("a6", "meet", false, false),
    ];
    publish(service, OnboardingEvent::MeetingEnded(ended("m1", v1, &["Useful?"])), "meeting-orchestrator").await;
    let mut v2 = ended("m2", vec![attendance("a7", "meet", true, false)], &["Useful?"]);
    v2.scenario_version = 2;
    publish(service, OnboardingEvent::MeetingEnded(v2), "meeting-orchestrator").await;
    for a in ["a1", "a2", "a5"] {
        let done: events_pb::StageCompleted = completed(a, "read", "", &["Clear?"]);
        publish(service, OnboardingEvent::StageCompleted(done), "scenario").await;
    }
    wait_count(&service.store, "SELECT COUNT(*) FROM feedback_requests", 10).await;
    type Answers<'a> = &'a [(&'a str, &'a str, u32)];
    let steps: [(i64, Answers); 4] = [
        (1, &[("a5", "meet", 4), ("a7", "meet", 1), ("a1", "read", 2)]),
        (1, &[("a1", "meet", 5)]),
        (1, &[("a2", "read", 3)]),
        (1, &[("a2", "meet", 3)]),
    ];
    for (hours, answers) in steps {
        service.clock.advance(hours * HOUR);
        for (a, stage, rating) in answers {
            answer(service, a, stage, *rating).await;
        }
    }
    service.clock.advance(6 * HOUR);
    answer(service, "a3", "meet", 2).await;
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn check_message(report: &pb::Report) {
    let order: Vec<(&str, u32)> = report.stages.iter().map(|s| (s.stage_id.as_str(), s.scenario_version)).collect();
    assert_eq!(order, [("meet", 2), ("read", 1), ("meet", 1)], "weakest first");
    let meet = &report.stages[2];
    assert_eq!((meet.requests, meet.answered, meet.distribution.as_slice()), (6, 4, &[0, 1, 1, 1, 1][..]));
    assert!(
        close(meet.response_rate, 4.0 / 6.0)
            && close(meet.average_rating, 3.5)
            && close(meet.median_hours_to_answer, 3.0)
    );
    assert!(!meet.weak);
    let split: Vec<(i32, u32, u32, f64)> = meet
        .attendance
        .iter()
        .map(|c| {
            let r = c.ratings.clone().unwrap_or_default();
            (c.class, c.requests, r.answered, r.average_rating)
        })
        .collect();
    use pb::AttendanceClass::*;
    assert_eq!(
        split,
        [(Full as i32, 3, 2, 4.5), (Partial as i32, 1, 1, 3.0), (Missed as i32, 2, 1, 2.0)],
        "attendance beside the rating"
    );
    let read = &report.stages[1];
    assert_eq!((read.requests, read.answered, read.weak), (3, 2, true));
    assert!(close(read.average_rating, 2.5) && close(read.median_hours_to_answer, 2.0));
    assert_eq!(read.attendance.iter().map(|c| c.class).collect::<Vec<_>>(), [NoMeeting as i32]);
    let v2 = &report.stages[0];
    assert!(v2.weak && close(v2.average_rating, 1.0) && close(v2.median_hours_to_answer, 1.0));
    let cohorts: Vec<(&str, u32, u32, f64)> =
        report.cohorts.iter().map(|c| (c.cohort.as_str(), c.requests, c.answered, c.average_rating)).collect();
    assert_eq!(cohorts, [("2025-03", 6, 5, 3.0), ("2025-04", 4, 2, 2.5)]);
    assert!(close(report.cohorts[0].response_rate, 5.0 / 6.0) && close(report.cohorts[1].response_rate, 0.5));
    assert_eq!(report.scenario_name, "Engineering onboarding");
}

fn check_csv(csv: &str) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("a header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a record")).collect();
    let field = |row: &csv::StringRecord, name: &str| {
        let index = header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
        row.get(index).unwrap_or_default().to_string()
    };
    assert_eq!(rows.len(), 5, "three stage rows and two cohorts");
    let meet = &rows[2];
    let expected = [
        ("kind", "stage"),
        ("stage_id", "meet"),
        ("stage_title", "Meet the team"),
        ("scenario_version", "1"),
        ("requests", "6"),
        ("answered", "4"),
        ("response_rate", "0.6667"),
        ("average_rating", "3.5000"),
        ("rating_1", "0"),
        ("rating_5", "1"),
        ("median_hours_to_answer", "3.00"),
        ("attended_answered", "2"),
        ("attended_average", "4.5000"),
        ("partial_average", "3.0000"),
        ("missed_answered", "1"),
        ("missed_average", "2.0000"),
        ("no_meeting_answered", ""),
        ("weak", "false"),
    ];
    for (name, value) in expected {
        assert_eq!(field(meet, name), value, "meet v1 {name}");
    }
    assert_eq!(
        (field(&rows[1], "stage_id"), field(&rows[1], "average_rating"), field(&rows[1], "weak")),
        ("read".into(), "2.5000".into(), "true".into())
    );
    assert_eq!(
        (field(&rows[3], "kind"), field(&rows[3], "cohort"), field(&rows[3], "response_rate")),
        ("cohort".into(), "2025-03".into(), "0.8333".into())
    );
    assert_eq!(field(&rows[4], "average_rating"), "2.5000");
}

fn check_table(table: &str) {
    let lines: Vec<&str> = table.lines().collect();
    let cells = |line: &str| -> Vec<String> {
        line.split("  ").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect()
    };
    let row = |title: &str, version: &str| {
        lines
            .iter()
            .find(|l| {
                let cells = cells(l);
                cells.first().is_some_and(|c| c.ends_with(title)) && cells.get(1).is_some_and(|v| v == version)
            })
            .unwrap_or_else(|| panic!("a row for {title} v{version} in\n{table}"))
            .to_string()
    };
    let meet = row("Meet the team", "1");
    for figure in ["6", "4", "67%", "3.50", "0/1/1/1/1", "3.0", "4.50 (2)", "3.00 (1)", "2.00 (1)"] {
        assert!(meet.split("  ").any(|cell| cell.trim() == figure), "{figure} in {meet}");
    }
    assert!(row("Read the handbook", "1").starts_with("! "), "weak stages are marked");
    let first = lines.iter().position(|l| l.contains("Meet the team")).expect("meet");
    assert_eq!(cells(lines[first]).get(1).map(String::as_str), Some("2"), "meet v2 is the weakest");
    assert!(first < lines.iter().position(|l| l.contains("Read the handbook")).expect("read"), "weakest first");
    assert!(lines.iter().any(|l| l.starts_with("2025-03") && l.contains("83%") && l.contains("3.00")), "{table}");
}

fn check_html(html: &str) {
    let page = scraper::Html::parse_document(html);
    assert!(page.errors.is_empty(), "the page parses cleanly: {:?}", page.errors);
    let select = |css: &str| scraper::Selector::parse(css).expect("selector");
    let bars: Vec<scraper::ElementRef> = page.select(&select("svg g.stage rect.bar")).collect();
    assert_eq!(bars.len(), 3, "one bar per stage");
    let widths: Vec<&str> = bars.iter().map(|b| b.value().attr("width").unwrap_or_default()).collect();
    assert_eq!(widths, ["80.0", "200.0", "280.0"], "average 1.0, 2.5 and 3.5 of 5 on 400 px");
    assert_eq!(page.select(&select("rect.bar.weak")).count(), 2, "the two weak stages are highlighted");
    let rates: Vec<&str> =
        page.select(&select("rect.rate")).map(|r| r.value().attr("width").unwrap_or_default()).collect();
    assert_eq!(rates, ["400.0", "266.7", "266.7"], "response rates 100 %, 67 %, 67 %");
    assert_eq!(page.select(&select("table.stages tbody tr")).count(), 3);
    assert_eq!(page.select(&select("table.stages tbody tr.weak")).count(), 2);
    assert_eq!(page.select(&select("table.cohorts tbody tr")).count(), 2);
    for external in ["script[src]", "link", "img"] {
        assert_eq!(page.select(&select(external)).count(), 0, "self-contained: no {external}");
    }
}

async fn the_report_matches_a_hand_counted_data_set_in_all_three_formats(mode: Mode) {
    let service = start(mode, &[]).await;
    hand_counted_data_set(&service).await;
    let ask = pb::GetReportRequest { scenario_id: "s1".into(), scenario_version: 0 };
    let report = client(&service).get_report(service.hr(ask.clone())).await.expect("report").into_inner();
    check_message(&report);
    let csv = client(&service).export_report_csv(service.hr(ask)).await.expect("csv").into_inner().csv;
    check_csv(&csv);
    assert_eq!(csv, render::render(&report, Format::Csv).expect("csv"), "the CLI renders what the API exports");
    check_table(&render::render(&report, Format::Table).expect("table"));
    check_html(&render::render(&report, Format::Html).expect("html"));
    // One version only.
    let v2 = pb::GetReportRequest { scenario_id: "s1".into(), scenario_version: 2 };
    let only = client(&service).get_report(service.hr(v2)).await.expect("report").into_inner();
    assert_eq!(only.stages.len(), 1);
    service.stop().await.expect("stops cleanly");
}

#[test]
fn a_stage_title_cannot_inject_markup_into_the_page() {
    let report = pb::Report {
        scenario_name: "<script>alert(1)</script>".into(),
        stages: vec![pb::StageRow { stage_title: "Meet <b>\"the\"</b> team".into(), ..Default::default() }],
        ..Default::default()
    };
    let html = render::html(&report);
    assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
    let page = scraper::Html::parse_document(&html);
    assert_eq!(page.select(&scraper::Selector::parse("script, b").expect("selector")).count(), 0);
}

butterboard_runtime::in_both_modes!(the_report_matches_a_hand_counted_data_set_in_all_three_formats);

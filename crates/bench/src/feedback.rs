//! The feedback service on PostgreSQL: the scenario report over 100,000 answers, called over gRPC
//! on loopback as Butterboard's UI calls it, next to the bare SQL aggregate it is built on (the
//! grouped counts and the medians, the same statements on the same pool); and request creation
//! from a backlog of `onboarding.meeting.ended` events on NATS JetStream, each for five new
//! employees, until every request is stored and every `onboarding.feedback.requested` relayed.

use std::time::{Duration, Instant};

use butterboard_proto::events::v1 as pb;
use butterboard_proto::feedback::v1::GetReportRequest;
use butterboard_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use butterboard_runtime::auth::{self, Role};
use butterboard_runtime::bus::OutgoingMessage;
use butterboard_runtime::events::OnboardingEvent;
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;
use butterboard_runtime::testing::{self, TestService};
use feedback::store::report;

const ANSWERS: i64 = 100_000;
const OPEN: i64 = 25_000;
const REPORTS: usize = 30;
const MEETINGS: usize = 3_000;
const PER_MEETING: usize = 5;

fn p50(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

/// 125,000 requests of scenario `s1` (100,000 answered) over 8 stages, 2 versions, 12 cohorts and
/// the four attendance classes, written by one statement.
async fn fill(store: &Store) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO feedback_requests (id, assignment_id, stage_instance_id, occurrence, scenario_id, scenario_version, \
         stage_id, stage_title, meeting_id, employee_email, employee_name, employee_time_zone, manager_email, cohort, \
         questions, attendance, seconds_present, joined_late, left_early, status, asked_at, due_at, reminders_sent, \
         next_reminder_at, rating, answered_at, closed_at, link) \
         SELECT 'r' || n, 'a' || (n / 8), 'i' || n, 1, 's1', 1 + (n / 96) % 2, 'stage-' || (n % 8), 'Stage ' || (n % 8), NULL, \
         'e' || (n / 8) || '@example.com', '', 'Europe/Berlin', 'm' || (n % 40) || '@example.com', \
         '2025-' || LPAD(CAST(1 + (n / 8) % 12 AS TEXT), 2, '0'), '[]', \
         (ARRAY['full', 'partial', 'missed', 'no_meeting'])[1 + (n / 3) % 4], 0, 0, 0, \
         CASE WHEN n <= $1 THEN 'answered' ELSE 'open' END, 1740992400000 + n, 1740992400000 + n + 864000000, 0, NULL, \
         CASE WHEN n <= $1 THEN 1 + (n * 7 + n / 8) % 5 END, \
         CASE WHEN n <= $1 THEN 1740992400000 + n + (n * 7919) % 172800000 END, NULL, '' \
         FROM generate_series(1, $2) AS n",
    )
    .bind(ANSWERS)
    .bind(ANSWERS + OPEN)
    .execute(store.pool())
    .await?;
    sqlx::query("VACUUM ANALYZE feedback_requests").execute(store.pool()).await?;
    Ok(())
}

async fn report(service: &TestService, store: &Store) -> anyhow::Result<()> {
    let token = service.auth.mint("hr@example.com", &[Role::Hr], Duration::from_secs(3600))?;
    let mut grpc = FeedbackServiceClient::new(service.channel.clone());
    let ask = || -> anyhow::Result<tonic::Request<GetReportRequest>> {
        let mut request = tonic::Request::new(GetReportRequest { scenario_id: "s1".into(), scenario_version: 0 });
        auth::attach_bearer(&mut request, &token)?;
        Ok(request)
    };
    // The same two statements, at once on two connections as the service runs them.
    let bare = || async {
        let run = |sql: &'static str| sqlx::query(sql).bind("s1").bind(0i64).bind("").fetch_all(store.pool());
        tokio::try_join!(run(report::GROUPS_SQL), run(report::MEDIANS_SQL_POSTGRES))?;
        anyhow::Ok(())
    };
    let stages = grpc.get_report(ask()?).await?.into_inner().stages;
    let answered: u32 = stages.iter().map(|s| s.answered).sum();
    anyhow::ensure!(answered as i64 == ANSWERS, "the report counts {answered} answers");
    bare().await?;
    // Alternating, so both see the same load from the rest of the machine.
    let (mut api, mut sql) = (Vec::new(), Vec::new());
    for _ in 0..REPORTS {
        let started = Instant::now();
        grpc.get_report(ask()?).await?;
        api.push(started.elapsed());
        let started = Instant::now();
        bare().await?;
        sql.push(started.elapsed());
    }
    let (api, sql) = (p50(api), p50(sql));
    crate::report("GetReport, 100,000 answers (16 stage rows): p50", api, "ms", "≤ 200");
    crate::report("  … the bare SQL aggregate it is built on: p50", sql, "ms", "-");
    crate::report("  … report / bare SQL", api / sql, "", "≤ 2");
    Ok(())
}

/// The assignments and stage instances the meetings are for, as the assignment consumer would
/// have projected them.
async fn project(store: &Store, employees: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO assignments (id, scenario_id, scenario_version, scenario_name, employee_email, employee_name, \
         employee_time_zone, manager_email, start_date, known, cancelled_at, updated_at) \
         SELECT 'b' || n, 's2', 1, 'Engineering onboarding', 'b' || n || '@example.com', 'B ' || n, 'America/New_York', \
         'm' || (n % 40) || '@example.com', '2025-03-03', 1, NULL, 0 FROM generate_series(0, $1 - 1) AS n",
    )
    .bind(employees)
    .execute(store.pool())
    .await?;
    sqlx::query(
        "INSERT INTO assignment_stages (stage_instance_id, assignment_id, stage_id, title, occurrence, kind, due_at) \
         SELECT 'b' || n || '-meet', 'b' || n, 'meet', 'Meet the team', 1, 'meeting', 0 FROM generate_series(0, $1 - 1) AS n",
    )
    .bind(employees)
    .execute(store.pool())
    .await?;
    Ok(())
}

fn meeting_ended(m: usize) -> OutgoingMessage {
    let attendance = (0..PER_MEETING)
        .map(|k| {
            let n = m * PER_MEETING + k;
            pb::Attendance {
                person: Some(pb::Person { email: format!("b{n}@example.com"), ..Default::default() }),
                seconds_present: 2400,
                attended: k != 4,
                role: "employee".into(),
                assignment_id: format!("b{n}"),
                stage_instance_id: format!("b{n}-meet"),
                sessions: 1,
                ..Default::default()
            }
        })
        .collect::<Vec<_>>();
    let event = OnboardingEvent::MeetingEnded(pb::MeetingEnded {
        meeting_id: format!("meeting-{m}"),
        scenario_id: "s2".into(),
        stage_id: "meet".into(),
        stage_instance_ids: attendance.iter().map(|a| a.stage_instance_id.clone()).collect(),
        attendance,
        scenario_version: 1,
        stage_title: "Meet the team".into(),
        feedback_questions: vec!["Was the meeting useful?".into(), "What was missing?".into()],
        ..Default::default()
    });
    let subject = event.subject();
    event.into_cloud_event("meeting-orchestrator", format!("meeting-{m}")).into_message(subject)
}

async fn creation() -> anyhow::Result<()> {
    let store = Store::connect(&testing::fresh_postgres_url().await?, 16).await?;
    store.migrate(&feedback::migrations()).await?;
    project(&store, (MEETINGS * PER_MEETING) as i64).await?;
    let (bus, _namespace) = testing::jetstream_bus().await?;
    bus.publish_all((0..MEETINGS).map(meeting_ended).collect()).await?;
    let started = Instant::now();
    let service = TestService::builder(ServiceName::Feedback, feedback::migrations())
        .store(store.clone())
        .bus(bus)
        .wall_clock()
        .peer(ServiceName::Scenario, "http://127.0.0.1:9")
        .try_start(feedback::start)
        .await?;
    let expected = (MEETINGS * PER_MEETING) as i64;
    loop {
        let requests: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM feedback_requests").fetch_one(store.pool()).await?;
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(store.pool()).await?;
        if requests == expected && pending == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "{requests} of {expected} requests after 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let label = format!("meeting.ended → requests stored and relayed, {PER_MEETING} employees each");
    crate::report(&label, MEETINGS as f64 / elapsed, "events/s", "≥ 1000");
    crate::report("  … feedback requests created", expected as f64 / elapsed, "requests/s", "-");
    service.stop().await
}

pub async fn run() -> anyhow::Result<()> {
    println!("== feedback service (PostgreSQL, NATS JetStream, gRPC on loopback)");
    let store = Store::connect(&testing::fresh_postgres_url().await?, 10).await?;
    store.migrate(&feedback::migrations()).await?;
    fill(&store).await?;
    let service = TestService::builder(ServiceName::Feedback, feedback::migrations())
        .store(store.clone())
        .wall_clock()
        .peer(ServiceName::Scenario, "http://127.0.0.1:9")
        .try_start(feedback::start)
        .await?;
    report(&service, &store).await?;
    service.stop().await?;
    creation().await
}

//! Feedback requests: created once per (assignment, stage instance) by an insert that does nothing
//! on the unique constraint, enriched by later sightings, and moved from `open` by guarded
//! updates (answer, expiry, withdrawal), so two writers racing change a row once and the loser
//! learns it from the affected-row count.

use butterboard_runtime::store::{placeholders, statement_chunks};
use sqlx::{AnyConnection, Row};

use super::{corrupt, small};
use crate::domain::request::{AttendanceClass, Presence, RequestStatus};

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub id: String,
    pub assignment_id: String,
    pub stage_instance_id: String,
    pub occurrence: u32,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub stage_id: String,
    pub stage_title: String,
    pub meeting_id: Option<String>,
    pub employee_email: String,
    pub employee_name: String,
    pub employee_time_zone: String,
    pub manager_email: String,
    pub cohort: String,
    pub questions: Vec<String>,
    pub attendance: AttendanceClass,
    pub presence: Presence,
    pub status: RequestStatus,
    pub asked_at: i64,
    pub due_at: i64,
    pub reminders_sent: u32,
    pub next_reminder_at: Option<i64>,
    pub rating: Option<u32>,
    pub answered_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub link: String,
}

pub const COLUMNS: &str = "id, assignment_id, stage_instance_id, occurrence, scenario_id, scenario_version, stage_id, \
     stage_title, meeting_id, employee_email, employee_name, employee_time_zone, manager_email, cohort, questions, \
     attendance, seconds_present, joined_late, left_early, status, asked_at, due_at, reminders_sent, next_reminder_at, \
     rating, answered_at, closed_at, link";
const COLUMN_COUNT: usize = 28;

pub fn record(row: &sqlx::any::AnyRow) -> anyhow::Result<RequestRecord> {
    let questions: String = row.try_get(14)?;
    let attendance: String = row.try_get(15)?;
    let status: String = row.try_get(19)?;
    Ok(RequestRecord {
        id: row.try_get(0)?,
        assignment_id: row.try_get(1)?,
        stage_instance_id: row.try_get(2)?,
        occurrence: small("occurrence", row.try_get(3)?)?,
        scenario_id: row.try_get(4)?,
        scenario_version: small("scenario version", row.try_get(5)?)?,
        stage_id: row.try_get(6)?,
        stage_title: row.try_get(7)?,
        meeting_id: row.try_get(8)?,
        employee_email: row.try_get(9)?,
        employee_name: row.try_get(10)?,
        employee_time_zone: row.try_get(11)?,
        manager_email: row.try_get(12)?,
        cohort: row.try_get(13)?,
        questions: serde_json::from_str(&questions).map_err(|e| corrupt("questions", e))?,
        attendance: AttendanceClass::parse(&attendance).ok_or_else(|| corrupt("attendance", &attendance))?,
        presence: Presence {
            attended: matches!(
                AttendanceClass::parse(&attendance),
                Some(AttendanceClass::Full | AttendanceClass::Partial)
            ),
            seconds_present: small("seconds present", row.try_get(16)?)?,
            joined_late: row.try_get::<i64, _>(17)? != 0,
            left_early: row.try_get::<i64, _>(18)? != 0,
        },
        status: RequestStatus::parse(&status).ok_or_else(|| corrupt("request status", &status))?,
        asked_at: row.try_get(20)?,
        due_at: row.try_get(21)?,
        reminders_sent: small("reminders sent", row.try_get(22)?)?,
        next_reminder_at: row.try_get(23)?,
        rating: row.try_get::<Option<i64>, _>(24)?.map(|r| small("rating", r)).transpose()?,
        answered_at: row.try_get(25)?,
        closed_at: row.try_get(26)?,
        link: row.try_get(27)?,
    })
}

/// Writes the requests that do not exist yet; returns the ids of those it wrote (the others
/// existed: another event or replica made them).
pub async fn insert_new(conn: &mut AnyConnection, requests: &[RequestRecord]) -> anyhow::Result<Vec<String>> {
    let mut created = Vec::new();
    // 16 rows of 28 parameters stay far below both backends' parameter limits.
    for chunk in statement_chunks(requests, 16) {
        let sql = format!(
            "INSERT INTO feedback_requests ({COLUMNS}) VALUES {} \
             ON CONFLICT (assignment_id, stage_instance_id) DO NOTHING RETURNING id",
            placeholders(chunk.len(), COLUMN_COUNT)
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            query = query
                .bind(r.id.clone())
                .bind(r.assignment_id.clone())
                .bind(r.stage_instance_id.clone())
                .bind(i64::from(r.occurrence))
                .bind(r.scenario_id.clone())
                .bind(i64::from(r.scenario_version))
                .bind(r.stage_id.clone())
                .bind(r.stage_title.clone())
                .bind(r.meeting_id.clone())
                .bind(r.employee_email.clone())
                .bind(r.employee_name.clone())
                .bind(r.employee_time_zone.clone())
                .bind(r.manager_email.clone())
                .bind(r.cohort.clone())
                .bind(serde_json::to_string(&r.questions)?)
                .bind(r.attendance.as_str())
                .bind(i64::from(r.presence.seconds_present))
                .bind(i64::from(r.presence.joined_late))
                .bind(i64::from(r.presence.left_early))
                .bind(r.status.as_str())
                .bind(r.asked_at)
                .bind(r.due_at)
                .bind(i64::from(r.reminders_sent))
                .bind(r.next_reminder_at)
                .bind(r.rating.map(i64::from))
                .bind(r.answered_at)
                .bind(r.closed_at)
                .bind(r.link.clone());
        }
        created.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(created)
}

/// What a later sighting adds to an existing request (the rule of `Sighting::merge`): the
/// meeting once known, the attendance while none is stored, the template while an open request
/// has none.
pub async fn enrich(
    conn: &mut AnyConnection,
    assignment_id: &str,
    stage_instance_id: &str,
    meeting_id: Option<&str>,
    presence: Option<Presence>,
    questions: Option<&[String]>,
) -> anyhow::Result<bool> {
    if meeting_id.is_none() && presence.is_none() && questions.is_none() {
        return Ok(false);
    }
    let class = presence.map(|p| p.class().as_str());
    let p = presence.unwrap_or_default();
    let questions = questions.map(serde_json::to_string).transpose()?;
    // Every SET expression reads the row as it was before the update, on both backends.
    let done = sqlx::query(
        "UPDATE feedback_requests SET meeting_id = COALESCE(meeting_id, $3), \
         seconds_present = CASE WHEN attendance = 'no_meeting' AND $4 IS NOT NULL THEN $5 ELSE seconds_present END, \
         joined_late = CASE WHEN attendance = 'no_meeting' AND $4 IS NOT NULL THEN $6 ELSE joined_late END, \
         left_early = CASE WHEN attendance = 'no_meeting' AND $4 IS NOT NULL THEN $7 ELSE left_early END, \
         attendance = CASE WHEN attendance = 'no_meeting' AND $4 IS NOT NULL THEN $4 ELSE attendance END, \
         questions = CASE WHEN questions = '[]' AND status = 'open' AND $8 IS NOT NULL THEN $8 ELSE questions END \
         WHERE assignment_id = $1 AND stage_instance_id = $2",
    )
    .bind(assignment_id)
    .bind(stage_instance_id)
    .bind(meeting_id.map(str::to_string))
    .bind(class)
    .bind(i64::from(p.seconds_present))
    .bind(i64::from(p.joined_late))
    .bind(i64::from(p.left_early))
    .bind(questions)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn load(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<RequestRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM feedback_requests WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| record(&r)).transpose()
}

pub async fn load_by_ids(conn: &mut AnyConnection, ids: &[String]) -> anyhow::Result<Vec<RequestRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql =
        format!("SELECT {COLUMNS} FROM feedback_requests WHERE id IN ({}) ORDER BY id", super::list(1, ids.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(&mut *conn).await?.iter().map(record).collect()
}

/// The request of (assignment, stage instance), if any.
pub async fn find(
    conn: &mut AnyConnection,
    assignment_id: &str,
    stage_instance_id: &str,
) -> anyhow::Result<Option<RequestRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM feedback_requests WHERE assignment_id = $1 AND stage_instance_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(assignment_id)
        .bind(stage_instance_id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| record(&r)).transpose()
}

/// The stage instances of `stage_id` of an assignment that already have a request.
pub async fn requested_instances(
    conn: &mut AnyConnection,
    assignment_id: &str,
    stage_id: &str,
) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT stage_instance_id FROM feedback_requests WHERE assignment_id = $1 AND stage_id = $2")
        .bind(assignment_id)
        .bind(stage_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// An employee's requests, newest first; open ones only unless `include_closed`.
pub async fn of_employee(
    conn: &mut AnyConnection,
    email: &str,
    include_closed: bool,
) -> anyhow::Result<Vec<RequestRecord>> {
    let filter = if include_closed { "" } else { " AND status = 'open'" };
    let sql = format!(
        "SELECT {COLUMNS} FROM feedback_requests WHERE employee_email = $1{filter} ORDER BY asked_at DESC, id DESC LIMIT 500"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email.trim().to_lowercase()).fetch_all(&mut *conn).await?;
    rows.iter().map(record).collect()
}

/// Records an answer on an open request; `false` when it was no longer open.
pub async fn mark_answered(conn: &mut AnyConnection, id: &str, rating: u32, at: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE feedback_requests SET status = 'answered', rating = $2, answered_at = $3, closed_at = $3, \
         next_reminder_at = NULL WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(i64::from(rating))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws the open requests of an assignment; returns their ids.
pub async fn withdraw_assignment(
    conn: &mut AnyConnection,
    assignment_id: &str,
    at: i64,
) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE feedback_requests SET status = 'withdrawn', closed_at = $2, next_reminder_at = NULL \
         WHERE assignment_id = $1 AND status = 'open' RETURNING id",
    )
    .bind(assignment_id)
    .bind(at)
    .fetch_all(&mut *conn)
    .await?)
}

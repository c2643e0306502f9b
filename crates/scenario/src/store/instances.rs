//! Stage instances: reading them and the guarded status changes. Every change names the statuses
//! it starts from in its `WHERE`, so two writers racing (a person and a consumer, two replicas)
//! change a row once and the loser learns it from the affected-row count.

use sqlx::{AnyConnection, Row};

use super::{Arg, Sql, corrupt, open_statuses_sql};
use crate::domain::instance::StageStatus;
use crate::domain::scenario::StageKind;

/// A stage instance as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRecord {
    pub id: String,
    pub assignment_id: String,
    pub scenario_id: String,
    pub stage_id: String,
    pub occurrence: u32,
    pub title: String,
    pub kind: StageKind,
    pub due_at: i64,
    pub due_date: String,
    pub status: StageStatus,
    pub missed: bool,
    pub meeting_id: Option<String>,
    pub completed_at: Option<i64>,
    pub feedback: Option<Feedback>,
}

/// The stage feedback an employee submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub request_id: String,
    pub rating: u32,
    pub submitted_at: i64,
}

pub const INSTANCE_COLUMNS: &str = "id, assignment_id, scenario_id, stage_id, occurrence, title, kind, due_at, due_date, \
                                    status, missed, meeting_id, completed_at, feedback_request_id, feedback_rating, \
                                    feedback_submitted_at";

pub fn instance(row: &sqlx::any::AnyRow) -> anyhow::Result<InstanceRecord> {
    let kind: String = row.try_get(6)?;
    let status: String = row.try_get(9)?;
    let feedback = match (
        row.try_get::<Option<String>, _>(13)?,
        row.try_get::<Option<i64>, _>(14)?,
        row.try_get::<Option<i64>, _>(15)?,
    ) {
        (Some(request_id), Some(rating), Some(submitted_at)) => {
            Some(Feedback { request_id, rating: u32::try_from(rating).unwrap_or(0), submitted_at })
        }
        _ => None,
    };
    Ok(InstanceRecord {
        id: row.try_get(0)?,
        assignment_id: row.try_get(1)?,
        scenario_id: row.try_get(2)?,
        stage_id: row.try_get(3)?,
        occurrence: u32::try_from(row.try_get::<i64, _>(4)?).map_err(|e| corrupt("occurrence", e))?,
        title: row.try_get(5)?,
        kind: StageKind::parse(&kind).ok_or_else(|| corrupt("stage kind", &kind))?,
        due_at: row.try_get(7)?,
        due_date: row.try_get(8)?,
        status: StageStatus::parse(&status).ok_or_else(|| corrupt("stage status", &status))?,
        missed: row.try_get::<i64, _>(10)? != 0,
        meeting_id: row.try_get(11)?,
        completed_at: row.try_get(12)?,
        feedback,
    })
}

pub async fn load(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<InstanceRecord>> {
    let sql = format!("SELECT {INSTANCE_COLUMNS} FROM stage_instances WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|row| instance(&row)).transpose()
}

/// Completes or skips an open instance; `false` when it was no longer open.
pub async fn close(
    conn: &mut AnyConnection,
    id: &str,
    to: StageStatus,
    meeting_id: Option<&str>,
    at: i64,
) -> anyhow::Result<bool> {
    let sql = format!(
        "UPDATE stage_instances SET status = $2, completed_at = $3, meeting_id = COALESCE($4, meeting_id), updated_at = $3 \
         WHERE id = $1 AND status IN ({})",
        open_statuses_sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(to.as_str())
        .bind(at)
        .bind(meeting_id.map(str::to_string))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks an open instance whose meeting the employee missed: it stays to be done, overdue.
pub async fn mark_missed(conn: &mut AnyConnection, id: &str, meeting_id: &str, now: i64) -> anyhow::Result<bool> {
    let sql = format!(
        "UPDATE stage_instances SET missed = 1, status = 'overdue', meeting_id = $2, updated_at = $3 \
         WHERE id = $1 AND status IN ({})",
        open_statuses_sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(meeting_id).bind(now).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Records submitted feedback unless a later submission is already there.
pub async fn record_feedback(
    conn: &mut AnyConnection,
    id: &str,
    feedback: &Feedback,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE stage_instances SET feedback_request_id = $2, feedback_rating = $3, feedback_submitted_at = $4, updated_at = $5 \
         WHERE id = $1 AND (feedback_submitted_at IS NULL OR feedback_submitted_at <= $4)",
    )
    .bind(id)
    .bind(&feedback.request_id)
    .bind(i64::from(feedback.rating))
    .bind(feedback.submitted_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The open instances of a stage for the employees with these e-mails, earliest first.
pub async fn open_for_employees(
    conn: &mut AnyConnection,
    scenario_id: &str,
    stage_id: &str,
    emails: &[String],
) -> anyhow::Result<Vec<InstanceRecord>> {
    if emails.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new("");
    let scenario = sql.arg(Arg::Text(scenario_id.to_string()));
    let stage = sql.arg(Arg::Text(stage_id.to_string()));
    let list = sql.list(emails);
    let columns = INSTANCE_COLUMNS.split(", ").map(|c| format!("si.{}", c.trim())).collect::<Vec<_>>().join(", ");
    sql.push(&format!(
        "SELECT {columns} FROM stage_instances si JOIN assignments a ON a.id = si.assignment_id \
         WHERE si.scenario_id = {scenario} AND si.stage_id = {stage} AND si.status IN ({}) AND a.employee_email IN ({list}) \
         ORDER BY si.due_at",
        open_statuses_sql()
    ));
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(instance).collect()
}

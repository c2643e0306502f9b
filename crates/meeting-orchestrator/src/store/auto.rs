//! Due stages this service schedules itself (`schedule_automatically`): one row per stage
//! instance, whatever the redeliveries of `onboarding.stage.due`; a worker takes a row under a
//! lease (so two replicas never work on one) and records the meeting it made.

use sqlx::{AnyConnection, Row};

/// A due stage instance to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoSchedule {
    pub stage_instance_id: String,
    pub scenario_id: String,
    pub stage_id: String,
    pub assignment_id: String,
    pub due_at: i64,
    pub attempts: u32,
}

/// Records the instance; `false` when it was recorded before.
pub async fn insert(conn: &mut AnyConnection, a: &AutoSchedule, now: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO auto_schedules (stage_instance_id, scenario_id, stage_id, assignment_id, due_at, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&a.stage_instance_id)
    .bind(&a.scenario_id)
    .bind(&a.stage_id)
    .bind(&a.assignment_id)
    .bind(a.due_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending rows due for an attempt whose lease is free.
pub async fn ready(conn: &mut AnyConnection, now: i64, limit: i64) -> anyhow::Result<Vec<AutoSchedule>> {
    let rows = sqlx::query(
        "SELECT stage_instance_id, scenario_id, stage_id, assignment_id, due_at, attempts FROM auto_schedules \
         WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AutoSchedule {
                stage_instance_id: r.try_get(0)?,
                scenario_id: r.try_get(1)?,
                stage_id: r.try_get(2)?,
                assignment_id: r.try_get(3)?,
                due_at: r.try_get(4)?,
                attempts: u32::try_from(r.try_get::<i64, _>(5)?).unwrap_or(0),
            })
        })
        .collect()
}

pub async fn take(conn: &mut AnyConnection, id: &str, now: i64, until: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE auto_schedules SET lease_until = $3, attempts = attempts + 1 WHERE stage_instance_id = $1 \
         AND status = 'pending' AND lease_until <= $2",
    )
    .bind(id)
    .bind(now)
    .bind(until)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Done: `meeting_id` is the meeting that covers the instance (`None`: nothing to schedule).
pub async fn finish(
    conn: &mut AnyConnection,
    id: &str,
    meeting_id: Option<&str>,
    note: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE auto_schedules SET status = 'done', lease_until = 0, meeting_id = $2, last_error = $3 WHERE stage_instance_id = $1")
        .bind(id)
        .bind(meeting_id.map(str::to_string))
        .bind(note.map(str::to_string))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Failed for now: tried again at `next_attempt_at`, or given up (`status = failed`).
pub async fn retry_later(
    conn: &mut AnyConnection,
    id: &str,
    next_attempt_at: Option<i64>,
    error: &str,
) -> anyhow::Result<()> {
    let status = if next_attempt_at.is_some() { "pending" } else { "failed" };
    sqlx::query(
        "UPDATE auto_schedules SET status = $2, lease_until = 0, next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4 \
         WHERE stage_instance_id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(next_attempt_at)
    .bind(error)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

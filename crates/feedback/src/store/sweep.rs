//! The sweeper's claims: open requests whose reminder is due, and open requests past their
//! deadline. Each claim selects candidates (skipping rows another replica holds, on PostgreSQL)
//! and changes them with an update guarded by the state it read, in the transaction that writes
//! the events, so a reminder or an expiry is published exactly when its change commits — once.

use butterboard_runtime::store::Backend;
use sqlx::AnyConnection;

use super::lock_clause;
use super::requests::{COLUMNS, RequestRecord, record};

/// Open requests whose next reminder is due at `now`, earliest first.
pub async fn due_reminders(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    limit: u32,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM feedback_requests WHERE status = 'open' AND next_reminder_at <= $1 \
         ORDER BY next_reminder_at, id LIMIT $2{}",
        lock_clause(backend, " FOR UPDATE SKIP LOCKED")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(i64::from(limit)).fetch_all(&mut *conn).await?;
    rows.iter().map(record).collect()
}

/// Moves a request's reminder on after it was sent (`sent` = how many had been sent before) or
/// rescheduled (`sent_now` false); `false` when another replica got there first.
pub async fn advance_reminder(
    conn: &mut AnyConnection,
    request: &RequestRecord,
    sent_now: bool,
    next: Option<i64>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE feedback_requests SET reminders_sent = reminders_sent + $3, next_reminder_at = $4 \
         WHERE id = $1 AND status = 'open' AND reminders_sent = $2 AND next_reminder_at = $5",
    )
    .bind(&request.id)
    .bind(i64::from(request.reminders_sent))
    .bind(i64::from(sent_now))
    .bind(next)
    .bind(request.next_reminder_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Open requests past their deadline at `now`.
pub async fn past_deadline(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    limit: u32,
) -> anyhow::Result<Vec<RequestRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM feedback_requests WHERE status = 'open' AND due_at <= $1 ORDER BY due_at, id LIMIT $2{}",
        lock_clause(backend, " FOR UPDATE SKIP LOCKED")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(i64::from(limit)).fetch_all(&mut *conn).await?;
    rows.iter().map(record).collect()
}

/// Expires an open request; `false` when it was no longer open.
pub async fn expire(conn: &mut AnyConnection, id: &str, at: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE feedback_requests SET status = 'expired', closed_at = $2, next_reminder_at = NULL \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

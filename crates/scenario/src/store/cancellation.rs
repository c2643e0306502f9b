//! Cancelling an assignment: the assignment row is marked once (a guarded update), and its open
//! stage instances are closed as `cancelled` in the same transaction, so the scheduler never
//! publishes them due and meetings no longer count them in their cohort.

use sqlx::AnyConnection;

use super::open_statuses_sql;

/// Marks the assignment cancelled; `false` when it was cancelled before.
pub async fn cancel(conn: &mut AnyConnection, id: &str, by: &str, reason: &str, at: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE assignments SET cancelled_at = $2, cancelled_by = $3, cancel_reason = $4 \
         WHERE id = $1 AND cancelled_at IS NULL",
    )
    .bind(id)
    .bind(at)
    .bind(by)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Closes the assignment's open stage instances as cancelled; returns how many.
pub async fn close_open_instances(conn: &mut AnyConnection, assignment_id: &str, at: i64) -> anyhow::Result<u64> {
    let sql = format!(
        "UPDATE stage_instances SET status = 'cancelled', updated_at = $2 WHERE assignment_id = $1 AND status IN ({})",
        open_statuses_sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(assignment_id).bind(at).execute(&mut *conn).await?;
    Ok(done.rows_affected())
}

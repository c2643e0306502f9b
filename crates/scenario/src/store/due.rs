//! The scheduler's claim on due stage instances.
//!
//! A claim is one transaction: select pending instances whose due time has come, flip them from
//! `pending` to `due` with a guarded `UPDATE … WHERE status = 'pending' … RETURNING id`, and write
//! their `onboarding.stage.due` events to the outbox before committing. An instance is therefore
//! published exactly when its flip commits, and a flip commits once: a second replica either
//! skips the rows the first holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL) or finds them no longer
//! pending; a restarted scheduler finds them `due`.

use butterboard_runtime::store::Backend;
use sqlx::{AnyConnection, Row};

use super::{Sql, corrupt, lock_clause};
use crate::domain::people::{Email, Person, TimeZoneName};
use crate::domain::scenario::StageKind;

/// A claimed instance with what its event says.
#[derive(Debug, Clone)]
pub struct DueInstance {
    pub id: String,
    pub assignment_id: String,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub stage_id: String,
    pub occurrence: u32,
    pub title: String,
    pub kind: StageKind,
    pub due_at: i64,
    pub schedule_meeting: bool,
    pub employee: Person,
}

/// Claims up to `limit` instances due at `now`, in due order.
pub async fn claim(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
    limit: u32,
) -> anyhow::Result<Vec<DueInstance>> {
    let sql = format!(
        "SELECT si.id, si.assignment_id, si.scenario_id, a.scenario_version, si.stage_id, si.occurrence, si.title, si.kind, \
         si.due_at, si.schedule_meeting, a.employee_email, a.employee_name, a.employee_time_zone \
         FROM stage_instances si JOIN assignments a ON a.id = si.assignment_id \
         WHERE si.status = 'pending' AND si.due_at <= $1 ORDER BY si.due_at, si.id LIMIT $2{}",
        lock_clause(backend, " FOR UPDATE OF si SKIP LOCKED")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(i64::from(limit)).fetch_all(&mut *conn).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut candidates = Vec::with_capacity(rows.len());
    for row in &rows {
        candidates.push(due_instance(row)?);
    }
    let ids: Vec<String> = candidates.iter().map(|c| c.id.clone()).collect();
    let mut update = Sql::new("");
    let now_arg = update.arg(super::Arg::Int(now));
    let list = update.list(&ids);
    update.push(&format!(
        "UPDATE stage_instances SET status = 'due', due_published_at = {now_arg}, updated_at = {now_arg} \
         WHERE status = 'pending' AND id IN ({list}) RETURNING id"
    ));
    let flipped: std::collections::HashSet<String> = update
        .query()
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(candidates.into_iter().filter(|c| flipped.contains(&c.id)).collect())
}

/// Marks `due` instances overdue once their due time is older than `before`.
pub async fn mark_overdue(conn: &mut AnyConnection, before: i64, now: i64) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE stage_instances SET status = 'overdue', updated_at = $2 WHERE status = 'due' AND due_at <= $1",
    )
    .bind(before)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

fn due_instance(row: &sqlx::any::AnyRow) -> anyhow::Result<DueInstance> {
    let kind: String = row.try_get(7)?;
    let email: String = row.try_get(10)?;
    let zone: String = row.try_get(12)?;
    Ok(DueInstance {
        id: row.try_get(0)?,
        assignment_id: row.try_get(1)?,
        scenario_id: row.try_get(2)?,
        scenario_version: super::scenarios::version(row.try_get(3)?)?,
        stage_id: row.try_get(4)?,
        occurrence: u32::try_from(row.try_get::<i64, _>(5)?).map_err(|e| corrupt("occurrence", e))?,
        title: row.try_get(6)?,
        kind: StageKind::parse(&kind).ok_or_else(|| corrupt("stage kind", &kind))?,
        due_at: row.try_get(8)?,
        schedule_meeting: row.try_get::<i64, _>(9)? != 0,
        employee: Person {
            email: Email::parse(&email).map_err(|e| corrupt("e-mail", e))?,
            name: row.try_get(11)?,
            time_zone: TimeZoneName::parse(&zone).ok(),
        },
    })
}

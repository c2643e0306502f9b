//! What this service knows of each assignment, projected from `onboarding.scenario.assigned` (or
//! read from scenario's GetAssignment when a stage event came first): whose it is, who manages
//! it, when it started (the report's cohort) and its stage instances. A cancellation that comes
//! before the assignment leaves a row with `known = 0`, so it still holds when the assignment
//! arrives.

use sqlx::{AnyConnection, Row};

use super::{list, small};

/// One assignment as the service keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssignmentFacts {
    pub id: String,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_name: String,
    /// Lower case.
    pub employee_email: String,
    pub employee_name: String,
    pub employee_time_zone: String,
    /// Lower case.
    pub manager_email: String,
    /// YYYY-MM-DD.
    pub start_date: String,
    pub cancelled_at: Option<i64>,
    /// False for a row only a cancellation made.
    pub known: bool,
}

impl AssignmentFacts {
    /// The report's cohort: the start month, YYYY-MM.
    pub fn cohort(&self) -> String {
        self.start_date.get(..7).unwrap_or_default().to_string()
    }
}

/// One stage instance of an assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFacts {
    pub stage_instance_id: String,
    pub stage_id: String,
    pub title: String,
    pub occurrence: u32,
    pub kind: String,
    pub due_at: i64,
}

const COLUMNS: &str = "id, scenario_id, scenario_version, scenario_name, employee_email, employee_name, \
                       employee_time_zone, manager_email, start_date, cancelled_at, known";

fn facts(row: &sqlx::any::AnyRow) -> anyhow::Result<AssignmentFacts> {
    Ok(AssignmentFacts {
        id: row.try_get(0)?,
        scenario_id: row.try_get(1)?,
        scenario_version: small("scenario version", row.try_get(2)?)?,
        scenario_name: row.try_get(3)?,
        employee_email: row.try_get(4)?,
        employee_name: row.try_get(5)?,
        employee_time_zone: row.try_get(6)?,
        manager_email: row.try_get(7)?,
        start_date: row.try_get(8)?,
        cancelled_at: row.try_get(9)?,
        known: row.try_get::<i64, _>(10)? != 0,
    })
}

/// Records (or refreshes) an assignment and its stage instances; a cancellation recorded before
/// stays.
pub async fn upsert(
    conn: &mut AnyConnection,
    a: &AssignmentFacts,
    stages: &[StageFacts],
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO assignments (id, scenario_id, scenario_version, scenario_name, employee_email, employee_name, \
         employee_time_zone, manager_email, start_date, known, cancelled_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, NULL, $10) \
         ON CONFLICT (id) DO UPDATE SET scenario_id = excluded.scenario_id, scenario_version = excluded.scenario_version, \
         scenario_name = excluded.scenario_name, employee_email = excluded.employee_email, \
         employee_name = excluded.employee_name, employee_time_zone = excluded.employee_time_zone, \
         manager_email = excluded.manager_email, start_date = excluded.start_date, known = 1, \
         updated_at = excluded.updated_at",
    )
    .bind(&a.id)
    .bind(&a.scenario_id)
    .bind(i64::from(a.scenario_version))
    .bind(&a.scenario_name)
    .bind(a.employee_email.to_lowercase())
    .bind(&a.employee_name)
    .bind(&a.employee_time_zone)
    .bind(a.manager_email.to_lowercase())
    .bind(&a.start_date)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for chunk in butterboard_runtime::store::statement_chunks(stages, 64) {
        let sql = format!(
            "INSERT INTO assignment_stages (stage_instance_id, assignment_id, stage_id, title, occurrence, kind, due_at) \
             VALUES {} ON CONFLICT (stage_instance_id) DO NOTHING",
            butterboard_runtime::store::placeholders(chunk.len(), 7)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for s in chunk {
            query = query
                .bind(&s.stage_instance_id)
                .bind(&a.id)
                .bind(&s.stage_id)
                .bind(&s.title)
                .bind(i64::from(s.occurrence))
                .bind(&s.kind)
                .bind(s.due_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks an assignment cancelled (creating a placeholder when it is not known yet); `false` when
/// it was cancelled before.
pub async fn cancel(conn: &mut AnyConnection, id: &str, scenario_id: &str, at: i64, now: i64) -> anyhow::Result<bool> {
    sqlx::query(
        "INSERT INTO assignments (id, scenario_id, scenario_version, scenario_name, employee_email, employee_name, \
         employee_time_zone, manager_email, start_date, known, cancelled_at, updated_at) \
         VALUES ($1, $2, 0, '', '', '', '', '', '', 0, NULL, $3) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(scenario_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let done =
        sqlx::query("UPDATE assignments SET cancelled_at = $2, updated_at = $3 WHERE id = $1 AND cancelled_at IS NULL")
            .bind(id)
            .bind(at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn load(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<AssignmentFacts>> {
    let sql = format!("SELECT {COLUMNS} FROM assignments WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|r| facts(&r)).transpose()
}

/// The assignments among `ids` that are stored (known or only cancelled).
pub async fn load_many(conn: &mut AnyConnection, ids: &[String]) -> anyhow::Result<Vec<AssignmentFacts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("SELECT {COLUMNS} FROM assignments WHERE id IN ({})", list(1, ids.len()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(&mut *conn).await?.iter().map(facts).collect()
}

/// The instances of `stage_id` of an assignment, earliest first.
pub async fn stage_instances(
    conn: &mut AnyConnection,
    assignment_id: &str,
    stage_id: &str,
) -> anyhow::Result<Vec<StageFacts>> {
    let rows = sqlx::query(
        "SELECT stage_instance_id, stage_id, title, occurrence, kind, due_at FROM assignment_stages \
         WHERE assignment_id = $1 AND stage_id = $2 ORDER BY due_at, stage_instance_id",
    )
    .bind(assignment_id)
    .bind(stage_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StageFacts {
                stage_instance_id: row.try_get(0)?,
                stage_id: row.try_get(1)?,
                title: row.try_get(2)?,
                occurrence: small("occurrence", row.try_get(3)?)?,
                kind: row.try_get(4)?,
                due_at: row.try_get(5)?,
            })
        })
        .collect()
}

/// The stage instance `id` of any assignment.
pub async fn stage_instance(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<(String, StageFacts)>> {
    Ok(stage_instances_by_ids(conn, &[id.to_string()]).await?.into_iter().next())
}

/// The stage instances among `ids`, with their assignment.
pub async fn stage_instances_by_ids(
    conn: &mut AnyConnection,
    ids: &[String],
) -> anyhow::Result<Vec<(String, StageFacts)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT assignment_id, stage_instance_id, stage_id, title, occurrence, kind, due_at FROM assignment_stages \
         WHERE stage_instance_id IN ({})",
        list(1, ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0)?,
                StageFacts {
                    stage_instance_id: row.try_get(1)?,
                    stage_id: row.try_get(2)?,
                    title: row.try_get(3)?,
                    occurrence: small("occurrence", row.try_get(4)?)?,
                    kind: row.try_get(5)?,
                    due_at: row.try_get(6)?,
                },
            ))
        })
        .collect()
}

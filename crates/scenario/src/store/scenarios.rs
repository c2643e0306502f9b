//! Scenarios and their versions.

use butterboard_runtime::store::Backend;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::cohort::{Weight, weight_at};
use super::{corrupt, lock_clause};
use crate::domain::scenario::ScenarioDefinition;

/// A scenario at one version.
#[derive(Debug, Clone)]
pub struct ScenarioRecord {
    pub id: String,
    pub version: u32,
    pub current_version: u32,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub definition: ScenarioDefinition,
}

pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    definition: &ScenarioDefinition,
    by: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO scenarios (id, name, owner_email, current_version, archived, created_at, updated_at) \
         VALUES ($1, $2, $3, 1, 0, $4, $4)",
    )
    .bind(id)
    .bind(&definition.name)
    .bind(definition.owner.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_version(conn, id, 1, definition, by, now).await
}

pub async fn insert_version(
    conn: &mut AnyConnection,
    id: &str,
    version: u32,
    definition: &ScenarioDefinition,
    by: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO scenario_versions (scenario_id, version, definition, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(i64::from(version))
    .bind(definition.to_json()?)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rewrites a version nobody is assigned to.
pub async fn replace_version(
    conn: &mut AnyConnection,
    id: &str,
    version: u32,
    definition: &ScenarioDefinition,
    by: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE scenario_versions SET definition = $3, created_at = $4, created_by = $5 WHERE scenario_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(i64::from(version))
    .bind(definition.to_json()?)
    .bind(now)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Points the scenario at `version` and refreshes the columns copied from its content.
pub async fn set_current(
    conn: &mut AnyConnection,
    id: &str,
    version: u32,
    definition: &ScenarioDefinition,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE scenarios SET current_version = $2, name = $3, owner_email = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(i64::from(version))
    .bind(&definition.name)
    .bind(definition.owner.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether any assignment follows `version`.
pub async fn version_in_use(conn: &mut AnyConnection, id: &str, version: u32) -> anyhow::Result<bool> {
    let row = sqlx::query("SELECT 1 FROM assignments WHERE scenario_id = $1 AND scenario_version = $2 LIMIT 1")
        .bind(id)
        .bind(i64::from(version))
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

pub async fn archive(conn: &mut AnyConnection, id: &str, now: i64) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE scenarios SET archived = 1, updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The columns [`record`] reads, in its order.
macro_rules! record_columns {
    () => {
        "s.id, v.version, s.current_version, s.archived, s.created_at, s.updated_at, v.definition"
    };
}
/// How many columns [`record`] reads.
const COLUMNS: usize = 7;
const FROM: &str = "FROM scenarios s JOIN scenario_versions v ON v.scenario_id = s.id";
const SELECT: &str =
    concat!("SELECT ", record_columns!(), " FROM scenarios s JOIN scenario_versions v ON v.scenario_id = s.id");

/// The scenario at `version`, or at its current version when `None`.
pub async fn load(conn: &mut AnyConnection, id: &str, version: Option<u32>) -> anyhow::Result<Option<ScenarioRecord>> {
    let row = select_version(conn, SELECT, id, version).await?;
    row.map(|row| record(&row)).transpose()
}

/// The row of `select` (a [`SELECT`] with other columns, perhaps) for the scenario at `version`,
/// or at its current version.
async fn select_version(
    conn: &mut AnyConnection,
    select: &str,
    id: &str,
    version: Option<u32>,
) -> Result<Option<AnyRow>, sqlx::Error> {
    match version {
        Some(version) => {
            let sql = format!("{select} WHERE s.id = $1 AND v.version = $2");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(i64::from(version)).fetch_optional(&mut *conn).await
        }
        None => {
            let sql = format!("{select} WHERE s.id = $1 AND v.version = s.current_version");
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await
        }
    }
}

/// [`load`], with the scenario's cohort change weight read in the same statement (before any
/// cohort the caller reads next, as the cohort cache requires).
pub async fn load_with_cohort_weight(
    conn: &mut AnyConnection,
    id: &str,
    version: Option<u32>,
) -> anyhow::Result<Option<(ScenarioRecord, Weight)>> {
    let select = format!("SELECT {}, {} {FROM}", record_columns!(), super::cohort::WEIGHT_COLUMNS);
    let row = select_version(conn, &select, id, version).await?;
    row.map(|row| anyhow::Ok((record(&row)?, weight_at(&row, COLUMNS)?))).transpose()
}

/// The scenario at its current version, read under a lock on PostgreSQL: `FOR UPDATE` for an
/// editor, `FOR KEY SHARE` for an assignment, which must not see its version rewritten under it
/// (editors wait for assignments in flight and the reverse; assignments do not wait for each
/// other). SQLite has one writer, which serialises them anyway.
pub async fn load_current_locked(
    conn: &mut AnyConnection,
    backend: Backend,
    id: &str,
    exclusive: bool,
) -> anyhow::Result<Option<ScenarioRecord>> {
    // KEY SHARE is the lock the assignment's foreign key takes on the row anyway; it conflicts
    // with an editor's FOR UPDATE and with nothing an assignment does.
    let clause = lock_clause(backend, if exclusive { " FOR UPDATE OF s" } else { " FOR KEY SHARE OF s" });
    let sql = format!("{SELECT} WHERE s.id = $1 AND v.version = s.current_version{clause}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|row| record(&row)).transpose()
}

/// Current versions in creation order, after the id `after`.
pub async fn list(
    conn: &mut AnyConnection,
    include_archived: bool,
    after: &str,
    limit: u32,
) -> anyhow::Result<Vec<ScenarioRecord>> {
    let sql = format!(
        "{SELECT} WHERE v.version = s.current_version AND s.id > $1 AND (s.archived = 0 OR $2 = 1) ORDER BY s.id LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(i64::from(include_archived))
        .bind(i64::from(limit))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(record).collect()
}

fn record(row: &sqlx::any::AnyRow) -> anyhow::Result<ScenarioRecord> {
    let text: String = row.try_get(6)?;
    Ok(ScenarioRecord {
        id: row.try_get(0)?,
        version: version(row.try_get(1)?)?,
        current_version: version(row.try_get(2)?)?,
        archived: row.try_get::<i64, _>(3)? != 0,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
        definition: ScenarioDefinition::from_json(&text).map_err(|e| corrupt("scenario definition", e))?,
    })
}

pub fn version(value: i64) -> anyhow::Result<u32> {
    u32::try_from(value).map_err(|e| corrupt("version", e))
}

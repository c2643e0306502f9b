//! The cohort query behind ResolveParticipants: the open instances of one stage of one scenario,
//! answered from the `stage_instances_cohort` index.
//!
//! The rows come back as one aggregated text, not a thousand rows: through sqlx's `Any` driver
//! every row and column is converted and copied twice, which cost more than the query itself for
//! a large cohort. The joined values are uuids this service generated, integers and status
//! words, so neither separator can occur inside one. The employees' names and time zones come
//! from the people cache (`app::people_cache`), not from here.
//!
//! Each scenario also has a change weight (migration `0103_cohort_changes`): it grows with every
//! committed change to its stage instances, so a cohort read after it can be kept until it moves
//! (`app::cohort_cache`).

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{corrupt, open_statuses_sql};
use crate::domain::instance::StageStatus;

/// One open instance of the stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInstance {
    pub id: String,
    pub assignment_id: String,
    pub due_at_ms: i64,
    pub status: StageStatus,
}

/// The open instances of the stage, in no particular order: sorting a thousand rows cost
/// PostgreSQL more than finding them, and the caller orders the cohort anyway.
pub async fn open_instances(
    conn: &mut AnyConnection,
    scenario_id: &str,
    stage_id: &str,
) -> anyhow::Result<Vec<OpenInstance>> {
    let sql = format!(
        "SELECT string_agg(id || ' ' || assignment_id || ' ' || due_at || ' ' || status, ',') \
         FROM stage_instances WHERE scenario_id = $1 AND stage_id = $2 AND status IN ({})",
        open_statuses_sql()
    );
    let joined: Option<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(scenario_id).bind(stage_id).fetch_one(&mut *conn).await?;
    joined.as_deref().map(parse).unwrap_or(Ok(Vec::new()))
}

/// A scenario's change weight, and how many rows hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight {
    pub total: i64,
    pub rows: i64,
}

/// The scenario's change weight and its row count, as two columns, for the scenario id bound to
/// `$1` (see [`weight_at`]; `scenarios::load_with_cohort_weight` reads them with the scenario).
/// `SUM` of a PostgreSQL `BIGINT` is a `NUMERIC`, which the `Any` driver does not read: hence
/// the cast.
pub const WEIGHT_COLUMNS: &str = "(SELECT CAST(COALESCE(SUM(weight), 0) AS BIGINT) FROM cohort_changes WHERE scenario_id = $1), \
     (SELECT COUNT(*) FROM cohort_changes WHERE scenario_id = $1)";

/// The [`WEIGHT_COLUMNS`] of `row`, from column `at` on.
pub fn weight_at(row: &AnyRow, at: usize) -> Result<Weight, sqlx::Error> {
    Ok(Weight { total: row.try_get(at)?, rows: row.try_get(at + 1)? })
}

/// Scenarios with more than `rows` change rows: [`compact`] them.
pub async fn scenarios_to_compact(conn: &mut AnyConnection, rows: i64) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT scenario_id FROM cohort_changes GROUP BY scenario_id HAVING COUNT(*) > $1")
        .bind(rows)
        .fetch_all(&mut *conn)
        .await?)
}

/// Replaces the scenario's change rows by one row of the same total, in the caller's
/// transaction. Only rows this transaction deletes are summed: rows committed meanwhile stay as
/// they are, and a concurrent compaction of the same rows finds them gone and adds nothing, so
/// the total never changes.
pub async fn compact(conn: &mut AnyConnection, scenario_id: &str) -> anyhow::Result<()> {
    let weights: Vec<i64> = sqlx::query_scalar("DELETE FROM cohort_changes WHERE scenario_id = $1 RETURNING weight")
        .bind(scenario_id)
        .fetch_all(&mut *conn)
        .await?;
    if !weights.is_empty() {
        sqlx::query("INSERT INTO cohort_changes (scenario_id, weight) VALUES ($1, $2)")
            .bind(scenario_id)
            .bind(weights.iter().sum::<i64>())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn parse(joined: &str) -> anyhow::Result<Vec<OpenInstance>> {
    joined
        .split(',')
        .map(|row| {
            let mut fields = row.split(' ');
            let (Some(id), Some(assignment_id), Some(due_at), Some(status), None) =
                (fields.next(), fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(corrupt("cohort row", row));
            };
            Ok(OpenInstance {
                id: id.to_string(),
                assignment_id: assignment_id.to_string(),
                due_at_ms: due_at.parse().map_err(|e| corrupt("due time", e))?,
                status: StageStatus::parse(status).ok_or_else(|| corrupt("stage status", status))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_rows_parse_in_order() {
        let parsed = parse("i1 a1 1000 due,i2 a2 2000 pending").expect("parses");
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            parsed[0],
            OpenInstance { id: "i1".into(), assignment_id: "a1".into(), due_at_ms: 1000, status: StageStatus::Due }
        );
        assert_eq!(parsed[1].status, StageStatus::Pending);
    }

    #[test]
    fn a_malformed_row_is_an_error_not_a_panic() {
        assert!(parse("i1 a1 1000").is_err());
        assert!(parse("i1 a1 soon due").is_err());
        assert!(parse("i1 a1 1000 due extra").is_err());
        assert!(parse("i1 a1 1000 vanished").is_err());
    }
}

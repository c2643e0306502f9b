//! What the report is built on: the requests of a scenario counted per stage, version, cohort,
//! attendance class, status and rating (a few hundred rows however many answers there are), and
//! the median time to answer per stage and version. Withdrawn requests (cancelled assignments)
//! count nowhere; expired ones count as unanswered.
//!
//! The counts are one text for both backends (the title is grouped, not aggregated: it depends on
//! the stage and version, and hashing it is cheaper than comparing it row by row in `MAX`). The
//! median differs: PostgreSQL's `percentile_cont(0.5)` sorts each stage's bigints (three times
//! faster than window functions over 100,000 answers); SQLite, which has no ordered-set
//! aggregate, takes the middle row (or the mean of the middle two) with window functions. Both
//! give the mean of the two middle values for an even count.

use butterboard_runtime::store::Backend;
use sqlx::{AnyConnection, Row};

use super::{corrupt, small};
use crate::domain::report::{Group, Medians};
use crate::domain::request::{AttendanceClass, RequestStatus};

/// Which requests a report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub scenario_id: String,
    /// `None`: every version.
    pub version: Option<u32>,
    /// `Some`: only the new employees this manager manages (lower case).
    pub manager_email: Option<String>,
}

/// The grouped counts.
pub const GROUPS_SQL: &str = "SELECT stage_id, scenario_version, stage_title, cohort, attendance, status, rating, COUNT(*) \
     FROM feedback_requests WHERE scenario_id = $1 AND ($2 = 0 OR scenario_version = $2) AND ($3 = '' OR manager_email = $3) \
     AND status <> 'withdrawn' GROUP BY stage_id, scenario_version, stage_title, cohort, attendance, status, rating";

/// The medians (milliseconds) per stage and version, on PostgreSQL.
pub const MEDIANS_SQL_POSTGRES: &str = "SELECT stage_id, scenario_version, \
     CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY answered_at - asked_at) AS DOUBLE PRECISION) \
     FROM feedback_requests WHERE scenario_id = $1 AND ($2 = 0 OR scenario_version = $2) \
     AND ($3 = '' OR manager_email = $3) AND status = 'answered' GROUP BY stage_id, scenario_version";

/// The medians (milliseconds) per stage and version, on SQLite.
pub const MEDIANS_SQL_SQLITE: &str = "WITH answered AS (SELECT stage_id, scenario_version, answered_at - asked_at AS t, \
     ROW_NUMBER() OVER (PARTITION BY stage_id, scenario_version ORDER BY answered_at - asked_at) AS rn, \
     COUNT(*) OVER (PARTITION BY stage_id, scenario_version) AS n FROM feedback_requests \
     WHERE scenario_id = $1 AND ($2 = 0 OR scenario_version = $2) AND ($3 = '' OR manager_email = $3) \
     AND status = 'answered') \
     SELECT stage_id, scenario_version, CAST(AVG(t) AS DOUBLE PRECISION) FROM answered \
     WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY stage_id, scenario_version";

fn bind<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    scope: &'q Scope,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(scope.scenario_id.as_str())
        .bind(i64::from(scope.version.unwrap_or(0)))
        .bind(scope.manager_email.as_deref().unwrap_or(""))
}

pub async fn groups(conn: &mut AnyConnection, scope: &Scope) -> anyhow::Result<Vec<Group>> {
    let rows = bind(sqlx::query(GROUPS_SQL), scope).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let attendance: String = row.try_get(4)?;
            let status: String = row.try_get(5)?;
            Ok(Group {
                stage_id: row.try_get(0)?,
                scenario_version: small("scenario version", row.try_get(1)?)?,
                stage_title: row.try_get(2)?,
                cohort: row.try_get(3)?,
                attendance: AttendanceClass::parse(&attendance).ok_or_else(|| corrupt("attendance", &attendance))?,
                status: RequestStatus::parse(&status).ok_or_else(|| corrupt("request status", &status))?,
                rating: row.try_get::<Option<i64>, _>(6)?.map(|r| small("rating", r)).transpose()?,
                count: u64::try_from(row.try_get::<i64, _>(7)?).map_err(|e| corrupt("count", e))?,
            })
        })
        .collect()
}

/// The median statement of `backend`.
pub fn medians_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => MEDIANS_SQL_POSTGRES,
        Backend::Sqlite => MEDIANS_SQL_SQLITE,
    }
}

pub async fn medians(conn: &mut AnyConnection, backend: Backend, scope: &Scope) -> anyhow::Result<Medians> {
    let rows = bind(sqlx::query(medians_sql(backend)), scope).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let key = (row.try_get::<String, _>(0)?, small("scenario version", row.try_get(1)?)?);
            Ok((key, row.try_get::<f64, _>(2)?))
        })
        .collect()
}

/// The name of the scenario as its latest known assignment gave it.
pub async fn scenario_name(conn: &mut AnyConnection, scenario_id: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT scenario_name FROM assignments WHERE scenario_id = $1 AND known = 1 \
         ORDER BY scenario_version DESC LIMIT 1",
    )
    .bind(scenario_id)
    .fetch_optional(&mut *conn)
    .await?)
}

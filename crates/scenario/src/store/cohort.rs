//! The cohort query behind ResolveParticipants: the open instances of one stage of one scenario
//! with their employees, read from one table and answered from the `stage_instances_cohort`
//! index alone (it carries every column read here).

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::{corrupt, open_statuses_sql};
use crate::domain::cohort::CohortMember;
use crate::domain::instance::StageStatus;
use crate::domain::people::{Email, Person, TimeZoneName};

pub async fn open_instances(
    conn: &mut AnyConnection,
    scenario_id: &str,
    stage_id: &str,
) -> anyhow::Result<Vec<CohortMember>> {
    let sql = format!(
        "SELECT id, assignment_id, due_at, status, employee_email, employee_name, employee_time_zone \
         FROM stage_instances WHERE scenario_id = $1 AND stage_id = $2 AND status IN ({})",
        open_statuses_sql()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scenario_id).bind(stage_id).fetch_all(&mut *conn).await?;
    // Most of a cohort shares a few time zones: parse each once per call.
    let mut zones: HashMap<String, TimeZoneName> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let status: String = row.try_get(3)?;
        let email: String = row.try_get(4)?;
        let zone_name: String = row.try_get(6)?;
        let zone = match zones.get(&zone_name) {
            Some(zone) => zone.clone(),
            None => {
                let zone = TimeZoneName::parse(&zone_name).map_err(|e| corrupt("time zone", e))?;
                zones.insert(zone_name, zone.clone());
                zone
            }
        };
        out.push(CohortMember {
            employee: Person {
                email: Email::parse(&email).map_err(|e| corrupt("e-mail", e))?,
                name: row.try_get(5)?,
                time_zone: Some(zone),
            },
            assignment_id: row.try_get(1)?,
            stage_instance_id: row.try_get(0)?,
            due_at_ms: row.try_get(2)?,
            status: StageStatus::parse(&status).ok_or_else(|| corrupt("stage status", &status))?,
        });
    }
    Ok(out)
}

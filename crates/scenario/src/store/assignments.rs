//! Assignments and the creation of their stage instances.

use sqlx::{AnyConnection, Row};

use super::instances::{INSTANCE_COLUMNS, InstanceRecord, instance};
use super::{Arg, Sql, corrupt};
use crate::domain::assignment::{AssignmentPeople, PlannedInstance};
use crate::domain::instance::StageStatus;

/// An assignment as stored.
#[derive(Debug, Clone)]
pub struct AssignmentRecord {
    pub id: String,
    pub scenario_id: String,
    pub scenario_version: u32,
    pub scenario_name: String,
    pub start_date: String,
    pub people: AssignmentPeople,
    pub created_at: i64,
}

/// A new stage instance with its id.
#[derive(Debug, Clone)]
pub struct NewInstance {
    pub id: String,
    pub planned: PlannedInstance,
    pub schedule_meeting: bool,
}

pub async fn insert(conn: &mut AnyConnection, a: &AssignmentRecord, by: &str) -> Result<(), sqlx::Error> {
    let people = serde_json::to_string(&a.people).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let zone = a.people.employee.time_zone.as_ref().map(|z| z.as_str().to_string()).unwrap_or_default();
    sqlx::query(
        "INSERT INTO assignments (id, scenario_id, scenario_version, employee_email, employee_name, employee_time_zone, \
         manager_email, start_date, people, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&a.id)
    .bind(&a.scenario_id)
    .bind(i64::from(a.scenario_version))
    .bind(a.people.employee.email.as_str())
    .bind(&a.people.employee.name)
    .bind(zone)
    .bind(a.people.manager.email.as_str())
    .bind(&a.start_date)
    .bind(people)
    .bind(a.created_at)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts the instances of one assignment, many rows per statement.
pub async fn insert_instances(
    conn: &mut AnyConnection,
    assignment: &AssignmentRecord,
    instances: &[NewInstance],
    now: i64,
) -> Result<(), sqlx::Error> {
    const COLUMNS: &str = "(id, assignment_id, scenario_id, stage_id, occurrence, title, kind, due_at, due_date, \
                           status, schedule_meeting, updated_at)";
    // 12 values per row; SQLite allows 32766 placeholders, PostgreSQL 65535.
    for chunk in instances.chunks(200) {
        let mut sql = Sql::new(&format!("INSERT INTO stage_instances {COLUMNS} VALUES "));
        for (n, i) in chunk.iter().enumerate() {
            let values = [
                Arg::Text(i.id.clone()),
                Arg::Text(assignment.id.clone()),
                Arg::Text(assignment.scenario_id.clone()),
                Arg::Text(i.planned.stage_id.clone()),
                Arg::Int(i64::from(i.planned.due.occurrence)),
                Arg::Text(i.planned.title.clone()),
                Arg::Text(i.planned.kind.as_str().to_string()),
                Arg::Int(i.planned.due.at_ms),
                Arg::Text(i.planned.due.date.to_string()),
                Arg::Text(StageStatus::Pending.as_str().to_string()),
                Arg::Int(i64::from(i.schedule_meeting)),
                Arg::Int(now),
            ];
            let placeholders: Vec<String> = values.into_iter().map(|v| sql.arg(v)).collect();
            sql.push(&format!("{}({})", if n == 0 { "" } else { ", " }, placeholders.join(", ")));
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

const SELECT: &str = "SELECT a.id, a.scenario_id, a.scenario_version, s.name, a.start_date, a.people, a.created_at \
                      FROM assignments a JOIN scenarios s ON s.id = a.scenario_id";

pub async fn load(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<AssignmentRecord>> {
    let sql = format!("{SELECT} WHERE a.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *conn).await?;
    row.map(|row| record(&row)).transpose()
}

/// Which assignments a list may return, besides its filters.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// `None`: all. `Some`: only those whose manager or employee is one of these e-mails.
    pub managed_by: Option<String>,
    pub employee: Option<String>,
    pub all: bool,
}

/// Filters of a list; empty strings and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub struct AssignmentQuery {
    pub scenario_id: String,
    pub employee_email: String,
    pub manager_email: String,
    pub status: Option<StageStatus>,
    pub due_after: Option<i64>,
    pub due_before: Option<i64>,
    pub after_id: String,
    pub limit: u32,
}

pub async fn list(
    conn: &mut AnyConnection,
    q: &AssignmentQuery,
    visible: &Visibility,
) -> anyhow::Result<Vec<AssignmentRecord>> {
    let mut sql = Sql::new(SELECT);
    let after = sql.arg(Arg::Text(q.after_id.clone()));
    sql.push(&format!(" WHERE a.id > {after}"));
    for (column, value) in [
        ("a.scenario_id", &q.scenario_id),
        ("a.employee_email", &q.employee_email),
        ("a.manager_email", &q.manager_email),
    ] {
        if !value.is_empty() {
            let p = sql.arg(Arg::Text(value.clone()));
            sql.push(&format!(" AND {column} = {p}"));
        }
    }
    if !visible.all {
        let mut allowed = Vec::new();
        if let Some(manager) = &visible.managed_by {
            allowed.push(format!("a.manager_email = {}", sql.arg(Arg::Text(manager.clone()))));
        }
        if let Some(employee) = &visible.employee {
            allowed.push(format!("a.employee_email = {}", sql.arg(Arg::Text(employee.clone()))));
        }
        if allowed.is_empty() {
            return Ok(Vec::new());
        }
        sql.push(&format!(" AND ({})", allowed.join(" OR ")));
    }
    if q.status.is_some() || q.due_after.is_some() || q.due_before.is_some() {
        sql.push(" AND EXISTS (SELECT 1 FROM stage_instances si WHERE si.assignment_id = a.id");
        if let Some(status) = q.status {
            let p = sql.arg(Arg::Text(status.as_str().to_string()));
            sql.push(&format!(" AND si.status = {p}"));
        }
        if let Some(from) = q.due_after {
            let p = sql.arg(Arg::Int(from));
            sql.push(&format!(" AND si.due_at >= {p}"));
        }
        if let Some(to) = q.due_before {
            let p = sql.arg(Arg::Int(to));
            sql.push(&format!(" AND si.due_at < {p}"));
        }
        sql.push(")");
    }
    let limit = sql.arg(Arg::Int(i64::from(q.limit)));
    sql.push(&format!(" ORDER BY a.id LIMIT {limit}"));
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter().map(record).collect()
}

/// The instances of these assignments, by assignment then due time.
pub async fn instances_of(conn: &mut AnyConnection, assignment_ids: &[String]) -> anyhow::Result<Vec<InstanceRecord>> {
    let mut out = Vec::new();
    for chunk in assignment_ids.chunks(500) {
        let mut sql = Sql::new("");
        let list = sql.list(chunk);
        sql.push(&format!(
            "SELECT {INSTANCE_COLUMNS} FROM stage_instances WHERE assignment_id IN ({list}) ORDER BY assignment_id, due_at, stage_id"
        ));
        for row in sql.query().fetch_all(&mut *conn).await? {
            out.push(instance(&row)?);
        }
    }
    Ok(out)
}

/// The stored people documents of these assignments, by id.
pub async fn people_of(conn: &mut AnyConnection, ids: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut sql = Sql::new("");
        let list = sql.list(chunk);
        sql.push(&format!("SELECT id, people FROM assignments WHERE id IN ({list})"));
        for row in sql.query().fetch_all(&mut *conn).await? {
            out.push((row.try_get(0)?, row.try_get(1)?));
        }
    }
    Ok(out)
}

fn record(row: &sqlx::any::AnyRow) -> anyhow::Result<AssignmentRecord> {
    let people: String = row.try_get(5)?;
    Ok(AssignmentRecord {
        id: row.try_get(0)?,
        scenario_id: row.try_get(1)?,
        scenario_version: super::scenarios::version(row.try_get(2)?)?,
        scenario_name: row.try_get(3)?,
        start_date: row.try_get(4)?,
        people: serde_json::from_str(&people).map_err(|e| corrupt("assignment people", e))?,
        created_at: row.try_get(6)?,
    })
}

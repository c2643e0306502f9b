//! Meetings: the intent written before Zoom is called, its completion, reads and guarded status
//! changes. Every change names the statuses it starts from, so two writers racing (a request and
//! recovery, two replicas) change a row once and the loser learns it from the affected-row count.

use sqlx::{AnyConnection, Row};

use butterboard_runtime::store::{placeholders, statement_chunks};

use super::{Arg, Sql, corrupt};
use crate::conferencing::ProviderMeeting;
use crate::domain::meeting::{Invitee, MeetingStatus, PlannedInstance};
use crate::domain::plan::MeetingPlan;
use crate::domain::stage::Person;

/// A meeting as stored.
#[derive(Debug, Clone)]
pub struct MeetingRow {
    pub id: String,
    pub idempotency_key: Option<String>,
    pub status: MeetingStatus,
    pub lease_until: i64,
    pub plan: MeetingPlan,
    pub created_by: String,
    pub host_email: String,
    pub scenario_id: String,
    pub stage_id: String,
    pub start_at: i64,
    pub duration_minutes: u32,
    pub time_zone: String,
    pub topic: String,
    pub zoom_meeting_id: Option<i64>,
    pub zoom_uuid: Option<String>,
    pub join_url: Option<String>,
    pub cancel_reason: Option<String>,
    pub created_at: i64,
}

pub const COLUMNS: &str = "id, idempotency_key, status, lease_until, plan, created_by, host_email, scenario_id, stage_id, \
                           start_at, duration_minutes, time_zone, topic, zoom_meeting_id, zoom_uuid, join_url, \
                           cancel_reason, created_at";

pub fn row(row: &sqlx::any::AnyRow) -> anyhow::Result<MeetingRow> {
    let status: String = row.try_get(2)?;
    let plan: String = row.try_get(4)?;
    Ok(MeetingRow {
        id: row.try_get(0)?,
        idempotency_key: row.try_get(1)?,
        status: MeetingStatus::parse(&status).ok_or_else(|| corrupt("meeting status", &status))?,
        lease_until: row.try_get(3)?,
        plan: serde_json::from_str(&plan).map_err(|e| corrupt("meeting plan", e))?,
        created_by: row.try_get(5)?,
        host_email: row.try_get(6)?,
        scenario_id: row.try_get(7)?,
        stage_id: row.try_get(8)?,
        start_at: row.try_get(9)?,
        duration_minutes: u32::try_from(row.try_get::<i64, _>(10)?).unwrap_or(0),
        time_zone: row.try_get(11)?,
        topic: row.try_get(12)?,
        zoom_meeting_id: row.try_get(13)?,
        zoom_uuid: row.try_get(14)?,
        join_url: row.try_get(15)?,
        cancel_reason: row.try_get(16)?,
        created_at: row.try_get(17)?,
    })
}

async fn one(conn: &mut AnyConnection, column: &str, value: Arg) -> anyhow::Result<Option<MeetingRow>> {
    let mut sql = Sql::new("");
    let p = sql.arg(value);
    sql.push(&format!("SELECT {COLUMNS} FROM meetings WHERE {column} = {p}"));
    let found = sql.query().fetch_optional(&mut *conn).await?;
    found.map(|r| row(&r)).transpose()
}

pub async fn load(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<MeetingRow>> {
    one(conn, "id", Arg::Text(id.to_string())).await
}

pub async fn by_key(conn: &mut AnyConnection, key: &str) -> anyhow::Result<Option<MeetingRow>> {
    one(conn, "idempotency_key", Arg::Text(key.to_string())).await
}

pub async fn by_zoom_id(conn: &mut AnyConnection, zoom_id: i64) -> anyhow::Result<Option<MeetingRow>> {
    one(conn, "zoom_meeting_id", Arg::Int(zoom_id)).await
}

/// Writes the intent: the meeting in `creating` with its plan, invitees and stage instances,
/// leased to the caller until `lease_until`. `false` when the idempotency key is taken.
pub async fn insert_intent(
    tx: &mut AnyConnection,
    plan: &MeetingPlan,
    key: Option<&str>,
    created_by: &str,
    lease_until: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let json = serde_json::to_string(plan)?;
    let inserted = sqlx::query(
        "INSERT INTO meetings (id, idempotency_key, status, lease_until, plan, created_by, host_email, scenario_id, stage_id, \
         start_at, duration_minutes, time_zone, topic, created_at, updated_at) \
         VALUES ($1, $2, 'creating', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT DO NOTHING",
    )
    .bind(&plan.meeting_id)
    .bind(key.map(str::to_string))
    .bind(lease_until)
    .bind(json)
    .bind(created_by)
    .bind(&plan.host.person.email)
    .bind(&plan.stage.scenario_id)
    .bind(&plan.stage.stage_id)
    .bind(plan.start_ms)
    .bind(i64::from(plan.duration_minutes))
    .bind(&plan.time_zone)
    .bind(&plan.topic)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    // Several rows per statement: a cohort meeting has dozens of invitees and instances, and
    // this transaction is on the path of a person waiting for their meeting.
    let invitees: Vec<(usize, &Invitee)> = plan.invitees.iter().enumerate().collect();
    for chunk in statement_chunks(&invitees, 64) {
        let sql = format!(
            "INSERT INTO invitees (meeting_id, email, name, time_zone, role, assignment_id, stage_instance_id, removed, position) VALUES {}",
            placeholders(chunk.len(), 9)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (position, i) in chunk {
            query = query
                .bind(&plan.meeting_id)
                .bind(&i.person.email)
                .bind(&i.person.name)
                .bind(&i.person.time_zone)
                .bind(&i.role)
                .bind(&i.assignment_id)
                .bind(&i.stage_instance_id)
                .bind(0i64)
                .bind(*position as i64);
        }
        query.execute(&mut *tx).await?;
    }
    for chunk in statement_chunks(&plan.instances, 128) {
        let sql = format!(
            "INSERT INTO meeting_instances (meeting_id, stage_instance_id, assignment_id, occurrence_index) VALUES {}",
            placeholders(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for instance in chunk {
            query = query
                .bind(&plan.meeting_id)
                .bind(&instance.stage_instance_id)
                .bind(&instance.assignment_id)
                .bind(instance.occurrence_index.map(i64::from));
        }
        query.execute(&mut *tx).await?;
    }
    Ok(true)
}

pub async fn insert_invitee(
    conn: &mut AnyConnection,
    meeting_id: &str,
    i: &Invitee,
    position: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO invitees (meeting_id, email, name, time_zone, role, assignment_id, stage_instance_id, removed, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) \
         ON CONFLICT (meeting_id, email) DO UPDATE SET removed = 0, role = $5",
    )
    .bind(meeting_id)
    .bind(&i.person.email)
    .bind(&i.person.name)
    .bind(&i.person.time_zone)
    .bind(&i.role)
    .bind(&i.assignment_id)
    .bind(&i.stage_instance_id)
    .bind(position)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn remove_invitee(conn: &mut AnyConnection, meeting_id: &str, email: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE invitees SET removed = 1 WHERE meeting_id = $1 AND email = $2 AND removed = 0")
        .bind(meeting_id)
        .bind(email)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the lease of a meeting still being created whose lease ran out (or was released).
pub async fn take_lease(conn: &mut AnyConnection, id: &str, now: i64, until: i64) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE meetings SET lease_until = $3, updated_at = $2 WHERE id = $1 AND status = 'creating' AND lease_until <= $2")
        .bind(id)
        .bind(now)
        .bind(until)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up at once, so a retry or recovery need not wait for it to run out.
pub async fn release(conn: &mut AnyConnection, id: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE meetings SET lease_until = 0 WHERE id = $1 AND status = 'creating'")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Meetings still being created whose lease ran out, oldest first.
pub async fn abandoned(conn: &mut AnyConnection, now: i64, limit: i64) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM meetings WHERE status = 'creating' AND lease_until <= $1 ORDER BY created_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Forgets an intent Zoom certainly refused (nothing exists there), so the key can be used again.
pub async fn forget_intent(conn: &mut AnyConnection, id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM meetings WHERE id = $1 AND status = 'creating'").bind(id).execute(&mut *conn).await?;
    Ok(())
}

/// Completes the intent with what Zoom made; `false` when it was completed already.
pub async fn mark_created(
    conn: &mut AnyConnection,
    id: &str,
    made: &ProviderMeeting,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE meetings SET status = 'scheduled', lease_until = 0, zoom_meeting_id = $2, zoom_uuid = $3, join_url = $4, \
         updated_at = $5 WHERE id = $1 AND status = 'creating'",
    )
    .bind(id)
    .bind(made.id)
    .bind(&made.uuid)
    .bind(&made.join_url)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    for (position, o) in made.occurrences.iter().enumerate() {
        sqlx::query(
            "INSERT INTO occurrences (meeting_id, occurrence_id, position, start_at, duration_minutes, status) \
             VALUES ($1, $2, $3, $4, $5, 'available') ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&o.occurrence_id)
        .bind(position as i64)
        .bind(o.start_ms)
        .bind(i64::from(o.duration_minutes))
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Moves `id` from one of `from` to `to`; `false` when it was in none of them.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    from: &[MeetingStatus],
    to: MeetingStatus,
    now: i64,
) -> anyhow::Result<bool> {
    let list = from.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ");
    let sql = format!("UPDATE meetings SET status = $2, updated_at = $3 WHERE id = $1 AND status IN ({list})");
    let done = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(to.as_str()).bind(now).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

pub async fn cancel(conn: &mut AnyConnection, id: &str, reason: &str, now: i64) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE meetings SET status = 'cancelled', cancel_reason = $2, updated_at = $3 WHERE id = $1 AND status IN ('scheduled', 'started')",
    )
    .bind(id)
    .bind(reason)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn reschedule(
    conn: &mut AnyConnection,
    id: &str,
    start_at: i64,
    duration: u32,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE meetings SET start_at = $2, duration_minutes = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(start_at)
        .bind(i64::from(duration))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// An invitee as stored; `removed` ones stay for attendance and history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteeRow {
    pub invitee: Invitee,
    pub removed: bool,
}

pub async fn invitees(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Vec<InviteeRow>> {
    let rows = sqlx::query(
        "SELECT email, name, time_zone, role, assignment_id, stage_instance_id, removed FROM invitees WHERE meeting_id = $1 ORDER BY position, email",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InviteeRow {
                invitee: Invitee {
                    person: Person { email: r.try_get(0)?, name: r.try_get(1)?, time_zone: r.try_get(2)? },
                    role: r.try_get(3)?,
                    assignment_id: r.try_get(4)?,
                    stage_instance_id: r.try_get(5)?,
                },
                removed: r.try_get::<i64, _>(6)? != 0,
            })
        })
        .collect()
}

/// The stage instances of a meeting, with the occurrence each is tied to (a series).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub instance: PlannedInstance,
    pub occurrence_id: Option<String>,
}

pub async fn instances(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Vec<InstanceRow>> {
    let rows = sqlx::query(
        "SELECT mi.stage_instance_id, mi.assignment_id, mi.occurrence_index, o.occurrence_id FROM meeting_instances mi \
         LEFT JOIN occurrences o ON o.meeting_id = mi.meeting_id AND o.position = mi.occurrence_index \
         WHERE mi.meeting_id = $1 ORDER BY mi.occurrence_index, mi.stage_instance_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InstanceRow {
                instance: PlannedInstance {
                    stage_instance_id: r.try_get(0)?,
                    assignment_id: r.try_get(1)?,
                    occurrence_index: r.try_get::<Option<i64>, _>(2)?.and_then(|n| u32::try_from(n).ok()),
                },
                occurrence_id: r.try_get(3)?,
            })
        })
        .collect()
}

/// An occurrence of a series as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceRow {
    pub occurrence_id: String,
    pub position: u32,
    pub start_at: i64,
    pub duration_minutes: u32,
    pub status: String,
}

pub async fn occurrences(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Vec<OccurrenceRow>> {
    let rows = sqlx::query(
        "SELECT occurrence_id, position, start_at, duration_minutes, status FROM occurrences WHERE meeting_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OccurrenceRow {
                occurrence_id: r.try_get(0)?,
                position: u32::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
                start_at: r.try_get(2)?,
                duration_minutes: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
                status: r.try_get(4)?,
            })
        })
        .collect()
}

pub async fn update_occurrence(
    conn: &mut AnyConnection,
    id: &str,
    occurrence_id: &str,
    start_at: Option<i64>,
    duration: Option<u32>,
    status: Option<&str>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE occurrences SET start_at = COALESCE($3, start_at), duration_minutes = COALESCE($4, duration_minutes), \
         status = COALESCE($5, status) WHERE meeting_id = $1 AND occurrence_id = $2",
    )
    .bind(id)
    .bind(occurrence_id)
    .bind(start_at)
    .bind(duration.map(i64::from))
    .bind(status.map(str::to_string))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A live meeting (not cancelled, not still being created by someone) already for this stage
/// instance, if any; being created counts too, so automatic scheduling never doubles a request.
pub async fn covering(conn: &mut AnyConnection, stage_instance_id: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT m.id FROM meeting_instances mi JOIN meetings m ON m.id = mi.meeting_id \
         WHERE mi.stage_instance_id = $1 AND m.status <> 'cancelled' ORDER BY m.created_at LIMIT 1",
    )
    .bind(stage_instance_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// A meeting with everything attached to it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: MeetingRow,
    pub invitees: Vec<InviteeRow>,
    pub instances: Vec<InstanceRow>,
    pub occurrences: Vec<OccurrenceRow>,
}

impl Loaded {
    /// The people invited now (removed ones left out).
    pub fn current_invitees(&self) -> impl Iterator<Item = &Invitee> {
        self.invitees.iter().filter(|i| !i.removed).map(|i| &i.invitee)
    }

    /// The e-mails of everyone ever invited (for access: a removed invitee still sees what they
    /// took part in).
    pub fn invitee_emails(&self) -> Vec<String> {
        self.invitees.iter().map(|i| i.invitee.person.email.clone()).collect()
    }
}

/// The meeting `id` with its invitees, instances and occurrences.
pub async fn load_full(conn: &mut AnyConnection, id: &str) -> anyhow::Result<Option<Loaded>> {
    let Some(row) = load(conn, id).await? else {
        return Ok(None);
    };
    Ok(Some(Loaded {
        invitees: invitees(conn, id).await?,
        instances: instances(conn, id).await?,
        occurrences: occurrences(conn, id).await?,
        row,
    }))
}

/// Gives an occurrence the id and time Zoom laid it out with after its series moved.
pub async fn replace_occurrence(
    conn: &mut AnyConnection,
    id: &str,
    old_id: &str,
    new_id: &str,
    start_at: i64,
    duration: u32,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE occurrences SET occurrence_id = $3, start_at = $4, duration_minutes = $5 WHERE meeting_id = $1 AND occurrence_id = $2")
        .bind(id)
        .bind(old_id)
        .bind(new_id)
        .bind(start_at)
        .bind(i64::from(duration))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl MeetingRow {
    /// The row [`insert_intent`] writes for `plan`.
    pub fn intent(plan: &MeetingPlan, key: Option<&str>, created_by: &str, lease_until: i64, now: i64) -> Self {
        Self {
            id: plan.meeting_id.clone(),
            idempotency_key: key.map(str::to_string),
            status: MeetingStatus::Creating,
            lease_until,
            plan: plan.clone(),
            created_by: created_by.to_string(),
            host_email: plan.host.person.email.clone(),
            scenario_id: plan.stage.scenario_id.clone(),
            stage_id: plan.stage.stage_id.clone(),
            start_at: plan.start_ms,
            duration_minutes: plan.duration_minutes,
            time_zone: plan.time_zone.clone(),
            topic: plan.topic.clone(),
            zoom_meeting_id: None,
            zoom_uuid: None,
            join_url: None,
            cancel_reason: None,
            created_at: now,
        }
    }
}

impl Loaded {
    /// What [`load_full`] reads right after [`mark_created`] completed `row` with `made`, without
    /// reading it: a fresh meeting has its plan's invitees and instances, and Zoom's occurrences.
    pub fn created(row: &MeetingRow, made: &ProviderMeeting) -> Self {
        let plan = &row.plan;
        let occurrences: Vec<OccurrenceRow> = made
            .occurrences
            .iter()
            .enumerate()
            .map(|(position, o)| OccurrenceRow {
                occurrence_id: o.occurrence_id.clone(),
                position: position as u32,
                start_at: o.start_ms,
                duration_minutes: o.duration_minutes,
                status: "available".into(),
            })
            .collect();
        let mut instances: Vec<InstanceRow> = plan
            .instances
            .iter()
            .map(|i| InstanceRow {
                instance: i.clone(),
                occurrence_id: i
                    .occurrence_index
                    .and_then(|n| occurrences.iter().find(|o| o.position == n))
                    .map(|o| o.occurrence_id.clone()),
            })
            .collect();
        instances.sort_by(|a, b| {
            (a.instance.occurrence_index, &a.instance.stage_instance_id)
                .cmp(&(b.instance.occurrence_index, &b.instance.stage_instance_id))
        });
        Self {
            row: MeetingRow {
                status: MeetingStatus::Scheduled,
                lease_until: 0,
                zoom_meeting_id: Some(made.id),
                zoom_uuid: Some(made.uuid.clone()),
                join_url: Some(made.join_url.clone()),
                ..row.clone()
            },
            invitees: plan.invitees.iter().map(|i| InviteeRow { invitee: i.clone(), removed: false }).collect(),
            instances,
            occurrences,
        }
    }
}

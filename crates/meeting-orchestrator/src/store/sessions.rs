//! Zoom sessions of our meetings, their participant events (a set) and chat messages.
//!
//! A session row appears with the first event that names its uuid, whatever that event is, so
//! events arriving out of order all land. `started_published` and `ended_published` flip once,
//! in the transaction that writes the event to the outbox.

use sqlx::{AnyConnection, Row};

use crate::domain::attendance::{Kind, ParticipantEvent};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub uuid: String,
    pub meeting_id: String,
    pub occurrence_id: Option<String>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// When Zoom's `meeting.ended` (or the reconciliation) was seen; the settle window runs from it.
    pub end_seen_at: Option<i64>,
    pub started_published: bool,
    pub ended_published: bool,
    pub reconciled: bool,
    pub first_seen_at: i64,
}

const COLUMNS: &str = "uuid, meeting_id, occurrence_id, started_at, ended_at, end_seen_at, started_published, \
                       ended_published, reconciled, first_seen_at";

fn row(r: &sqlx::any::AnyRow) -> anyhow::Result<SessionRow> {
    Ok(SessionRow {
        uuid: r.try_get(0)?,
        meeting_id: r.try_get(1)?,
        occurrence_id: r.try_get(2)?,
        started_at: r.try_get(3)?,
        ended_at: r.try_get(4)?,
        end_seen_at: r.try_get(5)?,
        started_published: r.try_get::<i64, _>(6)? != 0,
        ended_published: r.try_get::<i64, _>(7)? != 0,
        reconciled: r.try_get::<i64, _>(8)? != 0,
        first_seen_at: r.try_get(9)?,
    })
}

pub async fn load(conn: &mut AnyConnection, uuid: &str) -> anyhow::Result<Option<SessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE uuid = $1");
    let found = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(uuid).fetch_optional(&mut *conn).await?;
    found.map(|r| row(&r)).transpose()
}

/// The session `uuid` of `meeting_id`, created if this is its first event.
pub async fn ensure(
    conn: &mut AnyConnection,
    uuid: &str,
    meeting_id: &str,
    occurrence_id: Option<&str>,
    now: i64,
) -> anyhow::Result<SessionRow> {
    sqlx::query(
        "INSERT INTO sessions (uuid, meeting_id, occurrence_id, first_seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT (uuid) DO NOTHING",
    )
    .bind(uuid)
    .bind(meeting_id)
    .bind(occurrence_id.map(str::to_string))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    load(conn, uuid).await?.ok_or_else(|| anyhow::anyhow!("session {uuid} vanished"))
}

pub async fn of_meeting(conn: &mut AnyConnection, meeting_id: &str) -> anyhow::Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE meeting_id = $1 ORDER BY COALESCE(started_at, first_seen_at), uuid"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(meeting_id).fetch_all(&mut *conn).await?;
    rows.iter().map(row).collect()
}

/// The earliest start Zoom reported wins (a repeated or later event does not move it).
pub async fn set_started(conn: &mut AnyConnection, uuid: &str, at: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET started_at = $2 WHERE uuid = $1 AND (started_at IS NULL OR started_at > $2)")
        .bind(uuid)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records the end; the settle window starts the first time it is seen.
pub async fn set_ended(
    conn: &mut AnyConnection,
    uuid: &str,
    at: i64,
    now: i64,
    reconciled: bool,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $2, end_seen_at = COALESCE(end_seen_at, $3), reconciled = $4 \
         WHERE uuid = $1 AND ended_published = 0",
    )
    .bind(uuid)
    .bind(at)
    .bind(now)
    .bind(i64::from(reconciled))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn mark_started_published(conn: &mut AnyConnection, uuid: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE sessions SET started_published = 1 WHERE uuid = $1 AND started_published = 0")
        .bind(uuid)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_ended_published(conn: &mut AnyConnection, uuid: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("UPDATE sessions SET ended_published = 1 WHERE uuid = $1 AND ended_published = 0")
        .bind(uuid)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sessions whose end was seen at or before `seen_before` and not yet published.
pub async fn to_settle(conn: &mut AnyConnection, seen_before: i64, limit: i64) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT uuid FROM sessions WHERE ended_published = 0 AND end_seen_at IS NOT NULL AND end_seen_at <= $1 \
         ORDER BY end_seen_at LIMIT $2",
    )
    .bind(seen_before)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// Notes that Zoom had no end for the session yet, so it is asked again only a window later.
pub async fn checked(conn: &mut AnyConnection, uuid: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET checked_at = $2 WHERE uuid = $1").bind(uuid).bind(now).execute(&mut *conn).await?;
    Ok(())
}

/// Sessions first seen (or last checked) at or before `seen_before` whose end never came.
pub async fn unfinished(conn: &mut AnyConnection, seen_before: i64, limit: i64) -> anyhow::Result<Vec<SessionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE end_seen_at IS NULL AND COALESCE(checked_at, first_seen_at) <= $1 \
         ORDER BY first_seen_at LIMIT $2"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(seen_before).bind(limit).fetch_all(&mut *conn).await?;
    rows.iter().map(row).collect()
}

/// Adds a join or leave; `false` when the same one is there already.
pub async fn add_event(conn: &mut AnyConnection, uuid: &str, e: &ParticipantEvent) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO participant_events (session_uuid, kind, join_key, email, name, at_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT DO NOTHING",
    )
    .bind(uuid)
    .bind(e.kind.as_str())
    .bind(&e.join_key)
    .bind(&e.email)
    .bind(&e.name)
    .bind(e.at_ms)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn events(conn: &mut AnyConnection, uuid: &str) -> anyhow::Result<Vec<ParticipantEvent>> {
    let rows = sqlx::query(
        "SELECT kind, join_key, email, name, at_ms FROM participant_events WHERE session_uuid = $1 ORDER BY at_ms, join_key, kind",
    )
    .bind(uuid)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get(0)?;
            Ok(ParticipantEvent {
                kind: Kind::parse(&kind).ok_or_else(|| super::corrupt("participant event kind", &kind))?,
                join_key: r.try_get(1)?,
                email: r.try_get(2)?,
                name: r.try_get(3)?,
                at_ms: r.try_get(4)?,
            })
        })
        .collect()
}

/// A chat message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    pub session_uuid: String,
    pub message_id: String,
    pub sender_name: String,
    pub sender_email: String,
    pub text: String,
    pub sent_at: i64,
}

pub async fn add_chat(conn: &mut AnyConnection, meeting_id: &str, m: &ChatRow) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO chat_messages (session_uuid, message_id, meeting_id, sender_name, sender_email, text, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(&m.session_uuid)
    .bind(&m.message_id)
    .bind(meeting_id)
    .bind(&m.sender_name)
    .bind(&m.sender_email)
    .bind(&m.text)
    .bind(m.sent_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn chat(conn: &mut AnyConnection, meeting_id: &str) -> anyhow::Result<Vec<ChatRow>> {
    let rows = sqlx::query(
        "SELECT session_uuid, message_id, sender_name, sender_email, text, sent_at FROM chat_messages \
         WHERE meeting_id = $1 ORDER BY sent_at, message_id",
    )
    .bind(meeting_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ChatRow {
                session_uuid: r.try_get(0)?,
                message_id: r.try_get(1)?,
                sender_name: r.try_get(2)?,
                sender_email: r.try_get(3)?,
                text: r.try_get(4)?,
                sent_at: r.try_get(5)?,
            })
        })
        .collect()
}

//! The latest archived recording of each stage.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

/// Where the latest recording of a stage is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingLink {
    pub scenario_id: String,
    pub stage_id: String,
    pub meeting_id: String,
    pub folder_link: String,
    /// The archived files as JSON (type, name, link), for display.
    pub files: String,
    pub archived_at: i64,
}

/// Keeps `link` if it is at least as recent as the stored one; `false` when an older archive
/// arrived late and was ignored.
pub async fn upsert_latest(conn: &mut AnyConnection, link: &RecordingLink) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO recording_links (scenario_id, stage_id, meeting_id, folder_link, files, archived_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (scenario_id, stage_id) DO UPDATE SET meeting_id = excluded.meeting_id, \
         folder_link = excluded.folder_link, files = excluded.files, archived_at = excluded.archived_at \
         WHERE recording_links.archived_at <= excluded.archived_at",
    )
    .bind(&link.scenario_id)
    .bind(&link.stage_id)
    .bind(&link.meeting_id)
    .bind(&link.folder_link)
    .bind(&link.files)
    .bind(link.archived_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The latest recording of every stage of a scenario that has one, by stage id.
pub async fn latest(conn: &mut AnyConnection, scenario_id: &str) -> anyhow::Result<HashMap<String, RecordingLink>> {
    let rows = sqlx::query(
        "SELECT scenario_id, stage_id, meeting_id, folder_link, files, archived_at FROM recording_links WHERE scenario_id = $1",
    )
    .bind(scenario_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let link = RecordingLink {
            scenario_id: row.try_get(0)?,
            stage_id: row.try_get(1)?,
            meeting_id: row.try_get(2)?,
            folder_link: row.try_get(3)?,
            files: row.try_get(4)?,
            archived_at: row.try_get(5)?,
        };
        out.insert(link.stage_id.clone(), link);
    }
    Ok(out)
}

//! Managers' notes for their new employees.

use sqlx::{AnyConnection, Row};

use super::small;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub id: String,
    pub assignment_id: String,
    pub stage_instance_id: Option<String>,
    pub stage_id: Option<String>,
    pub manager_email: String,
    pub rating: u32,
    pub comment: String,
    pub created_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, note: &NoteRecord) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO manager_notes (id, assignment_id, stage_instance_id, stage_id, manager_email, rating, comment, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&note.id)
    .bind(&note.assignment_id)
    .bind(note.stage_instance_id.clone())
    .bind(note.stage_id.clone())
    .bind(&note.manager_email)
    .bind(i64::from(note.rating))
    .bind(&note.comment)
    .bind(note.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The notes of an assignment, newest first.
pub async fn of_assignment(conn: &mut AnyConnection, assignment_id: &str) -> anyhow::Result<Vec<NoteRecord>> {
    let rows = sqlx::query(
        "SELECT id, assignment_id, stage_instance_id, stage_id, manager_email, rating, comment, created_at \
         FROM manager_notes WHERE assignment_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(assignment_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(NoteRecord {
                id: row.try_get(0)?,
                assignment_id: row.try_get(1)?,
                stage_instance_id: row.try_get(2)?,
                stage_id: row.try_get(3)?,
                manager_email: row.try_get(4)?,
                rating: small("rating", row.try_get(5)?)?,
                comment: row.try_get(6)?,
                created_at: row.try_get(7)?,
            })
        })
        .collect()
}

//! Answers: the rating, the comment and the answers to the template, stored once per request.
//! Free text lives only here and leaves only through the API.

use sqlx::{AnyConnection, Row};

use super::{corrupt, small};
use crate::domain::request::AttendanceClass;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub request_id: String,
    pub rating: u32,
    pub comment: String,
    pub answers: Vec<String>,
    pub submitted_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, response: &Response) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO feedback_responses (request_id, rating, comment, answers, submitted_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&response.request_id)
    .bind(i64::from(response.rating))
    .bind(&response.comment)
    .bind(serde_json::to_string(&response.answers)?)
    .bind(response.submitted_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn response(row: &sqlx::any::AnyRow) -> anyhow::Result<Response> {
    let answers: String = row.try_get(3)?;
    Ok(Response {
        request_id: row.try_get(0)?,
        rating: small("rating", row.try_get(1)?)?,
        comment: row.try_get(2)?,
        answers: serde_json::from_str(&answers).map_err(|e| corrupt("answers", e))?,
        submitted_at: row.try_get(4)?,
    })
}

pub async fn load(conn: &mut AnyConnection, request_id: &str) -> anyhow::Result<Option<Response>> {
    let row = sqlx::query(
        "SELECT request_id, rating, comment, answers, submitted_at FROM feedback_responses WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| response(&r)).transpose()
}

/// An answer with what a stage's comment list shows beside it (not who wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageComment {
    pub scenario_version: u32,
    pub cohort: String,
    pub attendance: AttendanceClass,
    pub questions: Vec<String>,
    pub response: Response,
}

/// The answers of one stage with a comment or template answers, newest first.
pub async fn of_stage(
    conn: &mut AnyConnection,
    scenario_id: &str,
    stage_id: &str,
    version: Option<u32>,
) -> anyhow::Result<Vec<StageComment>> {
    let rows = sqlx::query(
        "SELECT r.request_id, r.rating, r.comment, r.answers, r.submitted_at, q.scenario_version, q.cohort, \
         q.attendance, q.questions FROM feedback_responses r JOIN feedback_requests q ON q.id = r.request_id \
         WHERE q.scenario_id = $1 AND q.stage_id = $2 AND ($3 = 0 OR q.scenario_version = $3) \
         AND (r.comment <> '' OR r.answers <> '[]') ORDER BY r.submitted_at DESC, r.request_id DESC LIMIT 1000",
    )
    .bind(scenario_id)
    .bind(stage_id)
    .bind(i64::from(version.unwrap_or(0)))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let attendance: String = row.try_get(7)?;
            let questions: String = row.try_get(8)?;
            Ok(StageComment {
                response: response(row)?,
                scenario_version: small("scenario version", row.try_get(5)?)?,
                cohort: row.try_get(6)?,
                attendance: AttendanceClass::parse(&attendance).ok_or_else(|| corrupt("attendance", &attendance))?,
                questions: serde_json::from_str(&questions).map_err(|e| corrupt("questions", e))?,
            })
        })
        .collect()
}

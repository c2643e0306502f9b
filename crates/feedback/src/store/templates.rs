//! The question template of each stage of each scenario version, read from scenario once and kept:
//! a version that has assignments is never rewritten, so what was read stays right.

use sqlx::AnyConnection;

use super::corrupt;

pub async fn get(
    conn: &mut AnyConnection,
    scenario_id: &str,
    version: u32,
    stage_id: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT questions FROM stage_templates WHERE scenario_id = $1 AND scenario_version = $2 AND stage_id = $3",
    )
    .bind(scenario_id)
    .bind(i64::from(version))
    .bind(stage_id)
    .fetch_optional(&mut *conn)
    .await?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("questions", e))).transpose()
}

/// Keeps the templates of a version's stages (the first one stored for a stage stays).
pub async fn put(
    conn: &mut AnyConnection,
    scenario_id: &str,
    version: u32,
    templates: &[(String, Vec<String>)],
) -> anyhow::Result<()> {
    for (stage_id, questions) in templates {
        sqlx::query(
            "INSERT INTO stage_templates (scenario_id, scenario_version, stage_id, questions) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scenario_id, scenario_version, stage_id) DO NOTHING",
        )
        .bind(scenario_id)
        .bind(i64::from(version))
        .bind(stage_id)
        .bind(serde_json::to_string(questions)?)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

//! Scenario calls: create, read, list, update (in place or as a new version), archive, validate,
//! import and export as YAML.

use butterboard_runtime::auth::{Caller, Role};
use uuid::Uuid;

use super::access::{SCENARIO_READERS, require};
use super::errors::{ServiceError, ServiceResult};
use super::{ScenarioApp, fill_recordings, page_size};
use crate::domain::draft::{ScenarioDraft, Violation, Warning};
use crate::domain::people::Email;
use crate::domain::validation::{Validated, validate};
use crate::store::{recordings, scenarios, scenarios::ScenarioRecord};
use crate::yaml;

/// A saved (or, for a dry run, validated) scenario and what to tell the caller about it.
#[derive(Debug, Clone)]
pub struct SavedScenario {
    pub scenario: ScenarioRecord,
    pub warnings: Vec<Warning>,
    pub new_version_created: bool,
}

#[derive(Debug, Clone)]
pub struct ScenarioPage {
    pub scenarios: Vec<ScenarioRecord>,
    pub next_page_token: String,
}

/// The caller as the default owner, when their subject is an e-mail.
fn caller_email(caller: &Caller) -> Option<Email> {
    Email::parse(&caller.subject).ok()
}

fn required_id(id: &str) -> ServiceResult<&str> {
    let id = id.trim();
    if id.is_empty() { Err(ServiceError::invalid("id", "is required")) } else { Ok(id) }
}

impl ScenarioApp {
    pub async fn create_scenario(&self, caller: &Caller, draft: &ScenarioDraft) -> ServiceResult<SavedScenario> {
        require(caller, &[Role::Hr])?;
        let Validated { definition, warnings } =
            validate(draft, caller_email(caller).as_ref()).map_err(ServiceError::Invalid)?;
        let id = Uuid::now_v7().to_string();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        scenarios::insert(&mut tx, &id, &definition, &caller.subject, now).await?;
        tx.commit().await?;
        tracing::info!(scenario_id = %id, stages = definition.stages.len(), "scenario created");
        let scenario = ScenarioRecord {
            id,
            version: 1,
            current_version: 1,
            archived: false,
            created_at: now,
            updated_at: now,
            definition,
        };
        Ok(SavedScenario { scenario, warnings, new_version_created: false })
    }

    pub async fn get_scenario(&self, caller: &Caller, id: &str, version: Option<u32>) -> ServiceResult<ScenarioRecord> {
        require(caller, SCENARIO_READERS)?;
        let id = required_id(id)?;
        let mut conn = self.store.pool().acquire().await?;
        let mut record = scenarios::load(&mut conn, id, version).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("scenario {id} (version {}) not found", version.unwrap_or(0)))
        })?;
        fill_recordings(&mut record.definition, &recordings::latest(&mut conn, id).await?, caller);
        Ok(record)
    }

    pub async fn list_scenarios(
        &self,
        caller: &Caller,
        include_archived: bool,
        size: u32,
        token: &str,
    ) -> ServiceResult<ScenarioPage> {
        require(caller, SCENARIO_READERS)?;
        let size = page_size(size)?;
        let mut conn = self.store.pool().acquire().await?;
        let mut scenarios = scenarios::list(&mut conn, include_archived, token, size + 1).await?;
        let next_page_token = if scenarios.len() > size as usize {
            scenarios.truncate(size as usize);
            scenarios.last().map(|s| s.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(ScenarioPage { scenarios, next_page_token })
    }

    /// Replaces the content of scenario `id`. While no assignment follows its current version the
    /// version is rewritten; otherwise the content becomes a new version and running assignments
    /// keep theirs. The scenario row is locked first, so an assignment racing this update either
    /// commits before (and the update makes a new version) or waits and follows the new content.
    pub async fn update_scenario(
        &self,
        caller: &Caller,
        id: &str,
        draft: &ScenarioDraft,
        expected_version: Option<u32>,
    ) -> ServiceResult<SavedScenario> {
        require(caller, &[Role::Hr])?;
        let id = required_id(id)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let current = scenarios::load_current_locked(&mut tx, self.store.backend(), id, true)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("scenario {id} not found")))?;
        if current.archived {
            return Err(ServiceError::FailedPrecondition(format!("scenario {id} is archived")));
        }
        if let Some(expected) = expected_version.filter(|v| *v != current.current_version) {
            return Err(ServiceError::FailedPrecondition(format!(
                "expected version {expected}, but the current version is {}",
                current.current_version
            )));
        }
        // Without an owner in the new content the scenario keeps its owner.
        let Validated { definition, warnings } =
            validate(draft, Some(&current.definition.owner)).map_err(ServiceError::Invalid)?;
        let in_use = scenarios::version_in_use(&mut tx, id, current.current_version).await?;
        let version = if in_use { current.current_version + 1 } else { current.current_version };
        if in_use {
            scenarios::insert_version(&mut tx, id, version, &definition, &caller.subject, now).await?;
        } else {
            scenarios::replace_version(&mut tx, id, version, &definition, &caller.subject, now).await?;
        }
        scenarios::set_current(&mut tx, id, version, &definition, now).await?;
        tx.commit().await?;
        tracing::info!(scenario_id = %id, version, new_version = in_use, "scenario updated");
        let scenario = ScenarioRecord { version, current_version: version, updated_at: now, definition, ..current };
        Ok(SavedScenario { scenario, warnings, new_version_created: in_use })
    }

    pub async fn archive_scenario(&self, caller: &Caller, id: &str) -> ServiceResult<ScenarioRecord> {
        require(caller, &[Role::Hr])?;
        let id = required_id(id)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let current = scenarios::load_current_locked(&mut tx, self.store.backend(), id, true)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("scenario {id} not found")))?;
        scenarios::archive(&mut tx, id, now).await?;
        tx.commit().await?;
        tracing::info!(scenario_id = %id, "scenario archived");
        Ok(ScenarioRecord { archived: true, updated_at: now, ..current })
    }

    /// Checks a scenario without saving it: `Err` holds its violations.
    pub fn validate_scenario(
        &self,
        caller: &Caller,
        draft: &ScenarioDraft,
    ) -> ServiceResult<Result<Validated, Vec<Violation>>> {
        require(caller, SCENARIO_READERS)?;
        Ok(validate(draft, caller_email(caller).as_ref()))
    }

    /// Creates a scenario from YAML, or replaces the content of `scenario_id`; with
    /// `validate_only` nothing is saved. Violations are relative to the document.
    pub async fn import_scenario(
        &self,
        caller: &Caller,
        text: &str,
        scenario_id: &str,
        validate_only: bool,
    ) -> ServiceResult<SavedScenario> {
        require(caller, &[Role::Hr])?;
        let draft = yaml::parse(text).map_err(|v| ServiceError::Invalid(vec![v]))?;
        if validate_only {
            let Validated { definition, warnings } =
                validate(&draft, caller_email(caller).as_ref()).map_err(ServiceError::Invalid)?;
            let scenario = ScenarioRecord {
                id: scenario_id.trim().to_string(),
                version: 0,
                current_version: 0,
                archived: false,
                created_at: 0,
                updated_at: 0,
                definition,
            };
            return Ok(SavedScenario { scenario, warnings, new_version_created: false });
        }
        if scenario_id.trim().is_empty() {
            self.create_scenario(caller, &draft).await
        } else {
            self.update_scenario(caller, scenario_id, &draft, None).await
        }
    }

    pub async fn export_scenario(&self, caller: &Caller, id: &str, version: Option<u32>) -> ServiceResult<String> {
        require(caller, SCENARIO_READERS)?;
        let id = required_id(id)?;
        let mut conn = self.store.pool().acquire().await?;
        let record = scenarios::load(&mut conn, id, version)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("scenario {id} not found")))?;
        yaml::render(&record.definition).map_err(|e| ServiceError::Internal(e.into()))
    }
}

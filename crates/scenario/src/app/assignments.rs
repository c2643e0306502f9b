//! Assignment calls: assign a new employee, read one, list them.

use butterboard_runtime::auth::{Caller, Role};
use butterboard_runtime::store::is_unique_violation;
use uuid::Uuid;

use super::access::{may_read_assignment, require, visibility};
use super::errors::{ServiceError, ServiceResult};
use super::{ScenarioApp, fill_recordings, page_size};
use crate::domain::assignment::{AssignmentDraft, plan, validate_assignment};
use crate::domain::instance::StageStatus;
use crate::domain::people::Email;
use crate::domain::scenario::Stage;
use crate::events;
use crate::store::assignments::{self, AssignmentQuery, AssignmentRecord, NewInstance};
use crate::store::instances::InstanceRecord;
use crate::store::{recordings, scenarios};

/// An assignment with its stage instances (by due time) and, for a single read, the stages of
/// its scenario version.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    pub assignment: AssignmentRecord,
    pub instances: Vec<InstanceRecord>,
    pub stages: Vec<Stage>,
}

/// The filters of ListAssignments as the client sent them.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub scenario_id: String,
    pub employee_email: String,
    pub manager_email: String,
    pub status: Option<StageStatus>,
    pub due_after: Option<i64>,
    pub due_before: Option<i64>,
    pub page_size: u32,
    pub page_token: String,
}

impl ScenarioApp {
    /// Assigns a new employee to the current version of a scenario. The scenario row is read with
    /// a shared lock so an edit cannot rewrite the version between this read and the commit.
    pub async fn assign(
        &self,
        caller: &Caller,
        scenario_id: &str,
        draft: &AssignmentDraft,
    ) -> ServiceResult<AssignmentView> {
        require(caller, &[Role::Hr])?;
        let scenario_id = scenario_id.trim();
        if scenario_id.is_empty() {
            return Err(ServiceError::invalid("scenario_id", "is required"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let scenario = scenarios::load_current_locked(&mut tx, self.store.backend(), scenario_id, false)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("scenario {scenario_id} not found")))?;
        if scenario.archived {
            return Err(ServiceError::FailedPrecondition(format!("scenario {scenario_id} is archived")));
        }
        let new = validate_assignment(draft, &scenario.definition).map_err(ServiceError::Invalid)?;
        let planned =
            plan(&scenario.definition, &new).map_err(|e| ServiceError::invalid("start_date", e.to_string()))?;
        let assignment = AssignmentRecord {
            id: Uuid::now_v7().to_string(),
            scenario_id: scenario_id.to_string(),
            scenario_version: scenario.current_version,
            scenario_name: scenario.definition.name.clone(),
            start_date: new.start_date.to_string(),
            people: new.people,
            created_at: now,
        };
        let instances: Vec<NewInstance> = planned
            .into_iter()
            .map(|planned| {
                let schedule_meeting =
                    scenario.definition.stage(&planned.stage_id).is_some_and(Stage::schedules_meeting);
                NewInstance { id: Uuid::now_v7().to_string(), planned, schedule_meeting }
            })
            .collect();
        if let Err(error) = assignments::insert(&mut tx, &assignment, &caller.subject).await {
            return Err(if is_unique_violation(&error) {
                ServiceError::AlreadyExists(format!(
                    "{} is already assigned to scenario {scenario_id}",
                    assignment.people.employee.email
                ))
            } else {
                error.into()
            });
        }
        assignments::insert_instances(&mut tx, &assignment, &instances, now).await?;
        events::enqueue(&mut tx, events::assigned(&assignment, &instances), &assignment.id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(assignment_id = %assignment.id, scenario_id, instances = instances.len(), "employee assigned");
        let mut view_instances: Vec<InstanceRecord> =
            instances.iter().map(|i| pending_instance(&assignment, i)).collect();
        view_instances.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.stage_id.cmp(&b.stage_id)));
        Ok(AssignmentView { assignment, instances: view_instances, stages: Vec::new() })
    }

    pub async fn get_assignment(&self, caller: &Caller, id: &str) -> ServiceResult<AssignmentView> {
        let id = id.trim();
        if id.is_empty() {
            return Err(ServiceError::invalid("id", "is required"));
        }
        let mut conn = self.store.pool().acquire().await?;
        let assignment = assignments::load(&mut conn, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("assignment {id} not found")))?;
        if !may_read_assignment(caller, &assignment.people) {
            return Err(ServiceError::PermissionDenied(
                "only HR, its manager and its employee may read this assignment".into(),
            ));
        }
        let instances = assignments::instances_of(&mut conn, std::slice::from_ref(&assignment.id)).await?;
        let mut scenario =
            scenarios::load(&mut conn, &assignment.scenario_id, Some(assignment.scenario_version)).await?.ok_or_else(
                || ServiceError::Internal(anyhow::anyhow!("assignment {id} follows a missing scenario version")),
            )?;
        let links = recordings::latest(&mut conn, &assignment.scenario_id).await?;
        fill_recordings(&mut scenario.definition, &links, caller);
        Ok(AssignmentView { assignment, instances, stages: scenario.definition.stages })
    }

    /// Assignments matching `filter` that the caller may see, with their instances.
    pub async fn list_assignments(
        &self,
        caller: &Caller,
        filter: &AssignmentFilter,
    ) -> ServiceResult<(Vec<AssignmentView>, String)> {
        let visible = visibility(caller)?;
        let query = query(filter)?;
        let mut conn = self.store.pool().acquire().await?;
        let mut found = assignments::list(&mut conn, &query, &visible).await?;
        let next = if found.len() > query.limit as usize - 1 {
            found.truncate(query.limit as usize - 1);
            found.last().map(|a| a.id.clone()).unwrap_or_default()
        } else {
            String::new()
        };
        let ids: Vec<String> = found.iter().map(|a| a.id.clone()).collect();
        let mut by_assignment: std::collections::HashMap<String, Vec<InstanceRecord>> =
            std::collections::HashMap::new();
        for instance in assignments::instances_of(&mut conn, &ids).await? {
            by_assignment.entry(instance.assignment_id.clone()).or_default().push(instance);
        }
        let views = found
            .into_iter()
            .map(|assignment| {
                let instances = by_assignment.remove(&assignment.id).unwrap_or_default();
                AssignmentView { assignment, instances, stages: Vec::new() }
            })
            .collect();
        Ok((views, next))
    }
}

/// Checks the filters; the limit is one more than the page so a next page can be detected.
fn query(filter: &AssignmentFilter) -> ServiceResult<AssignmentQuery> {
    let mut violations = Vec::new();
    let mut email = |field: &str, value: &str| -> String {
        if value.trim().is_empty() {
            return String::new();
        }
        Email::parse(value).map(String::from).unwrap_or_else(|e| {
            violations.push(crate::domain::draft::Violation::new(field, e));
            String::new()
        })
    };
    let employee_email = email("employee_email", &filter.employee_email);
    let manager_email = email("manager_email", &filter.manager_email);
    if let (Some(from), Some(to)) = (filter.due_after, filter.due_before)
        && from >= to
    {
        violations.push(crate::domain::draft::Violation::new("due_before", "must be after due_after"));
    }
    let size = match page_size(filter.page_size) {
        Ok(size) => size,
        Err(ServiceError::Invalid(mut v)) => {
            violations.append(&mut v);
            0
        }
        Err(other) => return Err(other),
    };
    if !violations.is_empty() {
        return Err(ServiceError::Invalid(violations));
    }
    // Anything after the last id of the previous page; ids are UUIDv7, in creation order.
    Ok(AssignmentQuery {
        scenario_id: filter.scenario_id.trim().to_string(),
        employee_email,
        manager_email,
        status: filter.status,
        due_after: filter.due_after,
        due_before: filter.due_before,
        after_id: filter.page_token.trim().to_string(),
        limit: size + 1,
    })
}

fn pending_instance(a: &AssignmentRecord, i: &NewInstance) -> InstanceRecord {
    InstanceRecord {
        id: i.id.clone(),
        assignment_id: a.id.clone(),
        scenario_id: a.scenario_id.clone(),
        stage_id: i.planned.stage_id.clone(),
        occurrence: i.planned.due.occurrence,
        title: i.planned.title.clone(),
        kind: i.planned.kind,
        due_at: i.planned.due.at_ms,
        due_date: i.planned.due.date.to_string(),
        status: StageStatus::Pending,
        missed: false,
        meeting_id: None,
        completed_at: None,
        feedback: None,
    }
}

//! `onboarding.meeting.ended` and `onboarding.stage.completed` → feedback requests.
//!
//! Each event's sightings ([`super::sightings`]) are completed from what this service knows — the
//! assignment (employee, manager, cohort, version), the stage instance (title, occurrence), the
//! question template — asking scenario over gRPC for what it does not know yet, then written in
//! one statement that skips the requests that exist. Existing ones are enriched instead
//! (`Sighting::merge`), and `onboarding.feedback.requested` is written for the new ones only, in
//! the same transaction. A cancelled assignment gets no request.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use butterboard_runtime::clock::Clock;
use butterboard_runtime::consumer::{EventHandler, HandlerError};
use butterboard_runtime::envelope::CloudEvent;
use butterboard_runtime::events::OnboardingEvent;
use sqlx::{Any, Transaction};
use uuid::Uuid;

use super::{decode, sightings, unexpected};
use crate::domain::calendar::zone;
use crate::domain::request::{RequestStatus, Sighting};
use crate::events;
use crate::scenario_client::ScenarioDirectory;
use crate::settings::FeedbackSettings;
use crate::store::assignments::{self, AssignmentFacts, StageFacts};
use crate::store::requests::{self, RequestRecord};
use crate::store::templates;

/// The handler; cheap to clone (one per worker).
#[derive(Clone)]
pub struct Requests {
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<FeedbackSettings>,
    pub scenario: Arc<dyn ScenarioDirectory>,
}

type Tx = Transaction<'static, Any>;

fn retry(error: impl Into<anyhow::Error>) -> HandlerError {
    HandlerError::Retry(error.into())
}

#[async_trait]
impl EventHandler for Requests {
    async fn handle(&self, tx: &mut Tx, _subject: &str, event: &CloudEvent) -> Result<(), HandlerError> {
        let sightings = match decode(event)? {
            OnboardingEvent::MeetingEnded(ended) => sightings::of_meeting(&ended),
            OnboardingEvent::StageCompleted(completed) => sightings::of_completion(&completed).into_iter().collect(),
            _ => return Err(unexpected(event)),
        };
        if sightings.is_empty() {
            return Ok(());
        }
        let created = self.apply(tx, sightings).await?;
        if !created.is_empty() {
            tracing::debug!(event_id = %event.id, created = created.len(), "feedback requested");
        }
        Ok(())
    }
}

impl Requests {
    /// Creates or enriches the requests of `sightings`; returns the requests created.
    pub async fn apply(&self, tx: &mut Tx, mut sightings: Vec<Sighting>) -> Result<Vec<RequestRecord>, HandlerError> {
        let now = self.clock.now_ms();
        let known = self.stage_facts(tx, &mut sightings).await?;
        let facts = self.assignments(tx, &sightings).await?;
        let mut drafts = Vec::with_capacity(sightings.len());
        let mut templates_seen: HashMap<(String, u32, String), Vec<String>> = HashMap::new();
        for mut sighting in sightings {
            let Some(assignment) = facts.get(&sighting.assignment_id) else { continue };
            if assignment.cancelled_at.is_some() {
                tracing::debug!(assignment_id = %assignment.id, "cancelled assignment, no feedback request");
                continue;
            }
            if sighting.stage_instance_id.is_empty() && !self.pick_instance(tx, &mut sighting).await? {
                continue;
            }
            let stage = known.get(&sighting.stage_instance_id);
            let questions = match sighting.questions.clone() {
                Some(questions) => questions,
                None => self.template(tx, assignment, &sighting.stage_id, &mut templates_seen).await?,
            };
            drafts.push((self.draft(&sighting, assignment, stage, questions, now)?, sighting));
        }
        let records: Vec<RequestRecord> = drafts.iter().map(|(r, _)| r.clone()).collect();
        let created = requests::insert_new(tx, &records).await.map_err(retry)?;
        let mut new = Vec::new();
        for (record, sighting) in drafts {
            if created.contains(&record.id) {
                new.push(record);
                continue;
            }
            requests::enrich(
                tx,
                &record.assignment_id,
                &record.stage_instance_id,
                sighting.meeting_id.as_deref(),
                sighting.presence,
                sighting.questions.as_deref(),
            )
            .await
            .map_err(retry)?;
        }
        events::enqueue(tx, new.iter().map(events::requested).collect()).await.map_err(retry)?;
        Ok(new)
    }

    /// The stored stage instances the sightings name; fills in the assignment of a sighting that
    /// names only its instance.
    async fn stage_facts(
        &self,
        tx: &mut Tx,
        sightings: &mut [Sighting],
    ) -> Result<HashMap<String, StageFacts>, HandlerError> {
        let ids: Vec<String> =
            sightings.iter().filter(|s| !s.stage_instance_id.is_empty()).map(|s| s.stage_instance_id.clone()).collect();
        let found = assignments::stage_instances_by_ids(tx, &ids).await.map_err(retry)?;
        let mut by_id = HashMap::with_capacity(found.len());
        let mut owner = HashMap::with_capacity(found.len());
        for (assignment_id, stage) in found {
            owner.insert(stage.stage_instance_id.clone(), assignment_id);
            by_id.insert(stage.stage_instance_id.clone(), stage);
        }
        for sighting in sightings.iter_mut().filter(|s| s.assignment_id.is_empty()) {
            if let Some(assignment_id) = owner.get(&sighting.stage_instance_id) {
                sighting.assignment_id = assignment_id.clone();
            }
        }
        Ok(by_id)
    }

    /// The assignments of the sightings: stored ones, and the others asked of scenario (and kept).
    async fn assignments(
        &self,
        tx: &mut Tx,
        sightings: &[Sighting],
    ) -> Result<HashMap<String, AssignmentFacts>, HandlerError> {
        let mut ids: Vec<String> =
            sightings.iter().filter(|s| !s.assignment_id.is_empty()).map(|s| s.assignment_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let mut facts: HashMap<String, AssignmentFacts> =
            assignments::load_many(tx, &ids).await.map_err(retry)?.into_iter().map(|a| (a.id.clone(), a)).collect();
        for id in ids {
            if facts.get(&id).is_some_and(|a| a.known) {
                continue;
            }
            let cancelled_at = facts.get(&id).and_then(|a| a.cancelled_at);
            match self.scenario.assignment(&id).await.map_err(HandlerError::Retry)? {
                Some(fetched) => {
                    let now = self.clock.now_ms();
                    assignments::upsert(tx, &fetched.facts, &fetched.stages, now).await.map_err(retry)?;
                    let (scenario_id, version) = (&fetched.facts.scenario_id, fetched.facts.scenario_version);
                    templates::put(tx, scenario_id, version, &fetched.templates).await.map_err(retry)?;
                    let mut known = fetched.facts;
                    known.cancelled_at = known.cancelled_at.or(cancelled_at);
                    facts.insert(id, known);
                }
                None => {
                    tracing::warn!(assignment_id = %id, "stage event for an assignment scenario does not know, no request");
                    facts.remove(&id);
                }
            }
        }
        Ok(facts)
    }

    /// A meeting that named no instance for an employee: their earliest instance of the stage
    /// without a request (as scenario completes the earliest open one). `false` when none.
    async fn pick_instance(&self, tx: &mut Tx, sighting: &mut Sighting) -> Result<bool, HandlerError> {
        let instances =
            assignments::stage_instances(tx, &sighting.assignment_id, &sighting.stage_id).await.map_err(retry)?;
        let requested =
            requests::requested_instances(tx, &sighting.assignment_id, &sighting.stage_id).await.map_err(retry)?;
        match instances.into_iter().find(|i| !requested.contains(&i.stage_instance_id)) {
            Some(instance) => {
                sighting.stage_instance_id = instance.stage_instance_id;
                if sighting.occurrence == 0 {
                    sighting.occurrence = instance.occurrence;
                }
                Ok(true)
            }
            None => {
                tracing::debug!(assignment_id = %sighting.assignment_id, stage_id = %sighting.stage_id, "no stage instance left to ask about");
                Ok(false)
            }
        }
    }

    /// The stage's template for the assignment's version: stored, or read from scenario.
    async fn template(
        &self,
        tx: &mut Tx,
        assignment: &AssignmentFacts,
        stage_id: &str,
        seen: &mut HashMap<(String, u32, String), Vec<String>>,
    ) -> Result<Vec<String>, HandlerError> {
        let key = (assignment.scenario_id.clone(), assignment.scenario_version, stage_id.to_string());
        if let Some(questions) = seen.get(&key) {
            return Ok(questions.clone());
        }
        let stored = templates::get(tx, &key.0, key.1, stage_id).await.map_err(retry)?;
        let questions = match stored {
            Some(questions) => questions,
            None => match self.scenario.assignment(&assignment.id).await.map_err(HandlerError::Retry)? {
                Some(fetched) => {
                    templates::put(tx, &key.0, key.1, &fetched.templates).await.map_err(retry)?;
                    fetched.templates.into_iter().find(|(id, _)| id == stage_id).map(|(_, q)| q).unwrap_or_default()
                }
                None => Vec::new(),
            },
        };
        seen.insert(key, questions.clone());
        Ok(questions)
    }

    fn draft(
        &self,
        sighting: &Sighting,
        assignment: &AssignmentFacts,
        stage: Option<&StageFacts>,
        questions: Vec<String>,
        now: i64,
    ) -> Result<RequestRecord, HandlerError> {
        let zone_name = Some(assignment.employee_time_zone.as_str()).filter(|z| zone(z).is_some());
        let employee_zone = zone_name.and_then(zone).unwrap_or_else(|| self.settings.default_zone.clone());
        let plan = self.settings.policy.plan(now, &employee_zone).map_err(|e| HandlerError::Reject(e.into()))?;
        let id = Uuid::now_v7().to_string();
        let title =
            stage.map(|s| s.title.clone()).filter(|t| !t.is_empty()).unwrap_or_else(|| sighting.stage_title.clone());
        let occurrence = match sighting.occurrence {
            0 => stage.map_or(1, |s| s.occurrence),
            n => n,
        };
        Ok(RequestRecord {
            link: self.settings.link(&id, &assignment.id, &sighting.stage_instance_id),
            id,
            assignment_id: assignment.id.clone(),
            stage_instance_id: sighting.stage_instance_id.clone(),
            occurrence,
            scenario_id: assignment.scenario_id.clone(),
            scenario_version: assignment.scenario_version,
            stage_id: stage.map_or_else(|| sighting.stage_id.clone(), |s| s.stage_id.clone()),
            stage_title: title,
            meeting_id: sighting.meeting_id.clone(),
            employee_email: assignment.employee_email.clone(),
            employee_name: assignment.employee_name.clone(),
            employee_time_zone: zone_name
                .map(str::to_string)
                .unwrap_or_else(|| employee_zone.iana_name().unwrap_or("UTC").to_string()),
            manager_email: assignment.manager_email.clone(),
            cohort: assignment.cohort(),
            questions,
            attendance: sighting.attendance(),
            presence: sighting.presence.unwrap_or_default(),
            status: RequestStatus::Open,
            asked_at: now,
            due_at: plan.due_at,
            reminders_sent: 0,
            next_reminder_at: plan.first_reminder_at,
            rating: None,
            answered_at: None,
            closed_at: None,
        })
    }
}

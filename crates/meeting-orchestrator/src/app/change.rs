//! RescheduleMeeting, UpdateInvitees and CancelMeeting: Zoom first (nothing is recorded that
//! Zoom refused), then the store with the event in one transaction.

use butterboard_runtime::auth::Caller;

use super::MeetingApp;
use super::errors::{ServiceError, ServiceResult, Violation};
use super::read::MeetingView;
use crate::conferencing::MeetingChange;
use crate::domain::access::{self, MeetingPeople};
use crate::domain::meeting::{Invitee, MeetingStatus, roles};
use crate::domain::plan::{DURATION_LIMITS, START_SKEW_MS};
use crate::domain::stage::{Person, normalize_email};
use crate::events;
use crate::store::meetings::{self, Loaded};

/// A RescheduleMeeting request.
#[derive(Debug, Clone, Default)]
pub struct Reschedule {
    pub occurrence_id: Option<String>,
    pub start_ms: Option<i64>,
    pub duration_minutes: Option<u32>,
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !text.contains(char::is_whitespace)
}

impl MeetingApp {
    /// The meeting `id` as `caller` may change it (`invitees`: adding and removing people).
    async fn changeable(&self, caller: &Caller, id: &str, invitees: bool) -> ServiceResult<(Loaded, i64)> {
        if id.trim().is_empty() {
            return Err(ServiceError::invalid("id", "is required"));
        }
        let loaded = meetings::load_full(&mut *self.store.pool().acquire().await?, id.trim())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("meeting {id} not found")))?;
        let emails = loaded.invitee_emails();
        let people =
            MeetingPeople { host: &loaded.row.host_email, created_by: &loaded.row.created_by, invitees: &emails };
        if !access::may_read(caller, people) {
            return Err(ServiceError::NotFound(format!("meeting {id} not found")));
        }
        let allowed = if invitees { access::may_change_invitees(caller) } else { access::may_change(caller, people) };
        if !allowed {
            return Err(ServiceError::PermissionDenied(
                if invitees { "only HR changes invitees" } else { "only HR and the host change a meeting" }.into(),
            ));
        }
        let zoom_id = match (loaded.row.status, loaded.row.zoom_meeting_id) {
            (MeetingStatus::Scheduled | MeetingStatus::Started, Some(zoom_id)) => zoom_id,
            (status, _) => {
                return Err(ServiceError::FailedPrecondition(format!("the meeting is {}", status.as_str())));
            }
        };
        Ok((loaded, zoom_id))
    }

    fn occurrence<'a>(
        loaded: &'a Loaded,
        occurrence_id: Option<&str>,
    ) -> ServiceResult<Option<&'a crate::store::meetings::OccurrenceRow>> {
        let Some(occurrence_id) = occurrence_id else { return Ok(None) };
        loaded.occurrences.iter().find(|o| o.occurrence_id == occurrence_id).map(Some).ok_or_else(|| {
            ServiceError::invalid("occurrence_id", format!("{occurrence_id} is not an occurrence of this meeting"))
        })
    }

    pub async fn reschedule(&self, caller: &Caller, id: &str, change: Reschedule) -> ServiceResult<MeetingView> {
        let now = self.now();
        let mut violations = Vec::new();
        match change.start_ms {
            None => violations.push(Violation::new("start_time", "is required")),
            Some(start) if start < now - START_SKEW_MS => {
                violations.push(Violation::new("start_time", "is in the past"))
            }
            Some(_) => {}
        }
        if let Some(d) = change.duration_minutes.filter(|d| !DURATION_LIMITS.contains(d)) {
            violations.push(Violation::new("duration_minutes", format!("{d} is outside 1 to 480 minutes")));
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        let start = change.start_ms.unwrap_or(now);
        let (loaded, zoom_id) = self.changeable(caller, id, false).await?;
        let occurrence = Self::occurrence(&loaded, change.occurrence_id.as_deref())?.cloned();
        let duration = change
            .duration_minutes
            .unwrap_or(occurrence.as_ref().map_or(loaded.row.duration_minutes, |o| o.duration_minutes));
        let zoom_change =
            MeetingChange { start_ms: Some(start), duration_minutes: Some(duration), ..MeetingChange::default() };
        let occurrence_id = occurrence.as_ref().map(|o| o.occurrence_id.clone());
        self.zoom
            .update(zoom_id, occurrence_id.as_deref(), &zoom_change)
            .await
            .map_err(|e| super::errors::provider(e, now))?;
        // A moved series has its occurrences laid out anew by Zoom; ties stay by position.
        let relaid = match occurrence_id {
            None if !loaded.occurrences.is_empty() => {
                self.zoom.get(zoom_id).await.ok().flatten().map(|m| m.occurrences)
            }
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        match &occurrence_id {
            Some(o) => {
                meetings::update_occurrence(&mut tx, &loaded.row.id, o, Some(start), Some(duration), None).await?;
            }
            None => {
                meetings::reschedule(&mut tx, &loaded.row.id, start, duration, now).await?;
                for (position, o) in relaid.unwrap_or_default().iter().enumerate() {
                    if let Some(old) = loaded.occurrences.iter().find(|x| x.position as usize == position) {
                        meetings::replace_occurrence(
                            &mut tx,
                            &loaded.row.id,
                            &old.occurrence_id,
                            &o.occurrence_id,
                            o.start_ms,
                            o.duration_minutes,
                        )
                        .await?;
                    }
                }
            }
        }
        let after = meetings::load_full(&mut tx, &loaded.row.id).await?.unwrap_or(loaded);
        events::enqueue(&mut tx, events::rescheduled(&after, occurrence_id.as_deref(), start, duration), &after.row.id)
            .await?;
        tx.commit().await?;
        self.store.outbox_written();
        self.view(caller, &after.row.id, None).await
    }

    pub async fn update_invitees(
        &self,
        caller: &Caller,
        id: &str,
        add: Vec<Person>,
        remove: Vec<String>,
    ) -> ServiceResult<MeetingView> {
        let mut violations = Vec::new();
        for (i, p) in add.iter().enumerate() {
            if !is_email(&p.email) {
                violations.push(Violation::new(format!("add[{i}].email"), "is not an e-mail address"));
            }
        }
        if add.is_empty() && remove.is_empty() {
            violations.push(Violation::new("add", "add or remove someone"));
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        let (loaded, zoom_id) = self.changeable(caller, id, true).await?;
        let remove: Vec<String> = remove.iter().map(|e| normalize_email(e)).collect();
        for (i, email) in remove.iter().enumerate() {
            let current = loaded.current_invitees().find(|inv| &inv.person.email == email);
            match current {
                None => violations.push(Violation::new(format!("remove[{i}]"), format!("{email} is not invited"))),
                Some(inv) if inv.role == roles::HOST => {
                    violations.push(Violation::new(format!("remove[{i}]"), "the host cannot be removed"))
                }
                Some(_) => {}
            }
        }
        if !violations.is_empty() {
            return Err(ServiceError::Invalid(violations));
        }
        let added: Vec<Invitee> = add
            .into_iter()
            .filter(|p| !loaded.current_invitees().any(|inv| inv.person.email == p.email))
            .map(|person| Invitee {
                person,
                role: roles::ADDED.into(),
                assignment_id: String::new(),
                stage_instance_id: String::new(),
            })
            .collect();
        let removed: Vec<Invitee> =
            loaded.current_invitees().filter(|i| remove.contains(&i.person.email)).cloned().collect();
        let emails: Vec<String> = loaded
            .current_invitees()
            .filter(|i| i.person.email != loaded.row.host_email && !remove.contains(&i.person.email))
            .map(|i| i.person.email.clone())
            .chain(added.iter().map(|i| i.person.email.clone()))
            .collect();
        let change = MeetingChange { invitees: Some(emails), ..MeetingChange::default() };
        self.zoom.update(zoom_id, None, &change).await.map_err(|e| super::errors::provider(e, self.now()))?;
        let mut tx = self.store.begin().await?;
        let base = loaded.invitees.len() as i64;
        for (i, invitee) in added.iter().enumerate() {
            meetings::insert_invitee(&mut tx, &loaded.row.id, invitee, base + i as i64).await?;
        }
        for invitee in &removed {
            meetings::remove_invitee(&mut tx, &loaded.row.id, &invitee.person.email).await?;
        }
        let after = meetings::load_full(&mut tx, &loaded.row.id).await?.unwrap_or(loaded);
        events::enqueue(&mut tx, events::invitees_changed(&after, &added, &removed), &after.row.id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        self.view(caller, &after.row.id, None).await
    }

    pub async fn cancel(
        &self,
        caller: &Caller,
        id: &str,
        occurrence_id: Option<String>,
        reason: &str,
    ) -> ServiceResult<MeetingView> {
        let (loaded, zoom_id) = self.changeable(caller, id, false).await?;
        let occurrence = Self::occurrence(&loaded, occurrence_id.as_deref())?.cloned();
        let now = self.now();
        let occurrence_id = occurrence.map(|o| o.occurrence_id);
        self.zoom.cancel(zoom_id, occurrence_id.as_deref()).await.map_err(|e| super::errors::provider(e, now))?;
        let mut tx = self.store.begin().await?;
        match &occurrence_id {
            Some(o) => {
                meetings::update_occurrence(&mut tx, &loaded.row.id, o, None, None, Some("cancelled")).await?;
            }
            None => {
                meetings::cancel(&mut tx, &loaded.row.id, reason, now).await?;
            }
        }
        events::enqueue(&mut tx, events::cancelled(&loaded, occurrence_id.as_deref(), reason), &loaded.row.id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        self.view(caller, &loaded.row.id, None).await
    }
}

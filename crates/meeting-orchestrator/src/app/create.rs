//! Exactly one Zoom meeting per request. The intent (status `creating`, the plan with its
//! marker) is committed before Zoom is called, and only the holder of its lease calls Zoom:
//!
//! 1. unless this is the intent's first attempt, look for the host's meeting carrying the marker
//!    (Zoom may have made it for an attempt whose answer was lost, or before a crash);
//! 2. create it; a 5xx, timeout or broken connection on the create may still have made it, so
//!    the next attempt looks first again; per-second limits and outages are retried with backoff
//!    until the deadline;
//! 3. commit the Zoom ids with `onboarding.meeting.scheduled` in one transaction.
//!
//! A refusal Zoom is certain about (a bad field, the daily limit) forgets the intent: nothing
//! exists, and the key may be used again. An intent whose request died (or gave up while Zoom's
//! answers were in doubt) keeps its lease until it runs out; then a retry of the same key
//! finishes it the same way, and the periodic recovery commits the meeting Zoom made — but never
//! creates one for a request nobody waits for any more: finding none, it forgets the intent.

use std::time::Duration;

use super::MeetingApp;
use super::errors::{ServiceError, ServiceResult};
use crate::conferencing::{ProviderError, ProviderMeeting};
use crate::domain::meeting::MeetingStatus;
use crate::events;
use crate::store::meetings::{self, Loaded, MeetingRow};

/// Intents recovered per round.
const RECOVERY_BATCH: i64 = 20;

impl MeetingApp {
    /// Calls Zoom for intent `id`, whose lease the caller holds, and commits the result.
    /// `search_first`: an earlier attempt may have made the meeting already.
    pub(crate) async fn create_owned(
        &self,
        id: &str,
        search_first: bool,
        how: &'static str,
    ) -> ServiceResult<ProviderMeeting> {
        let row = self.intent_row(id).await?;
        self.finish_owned(row, search_first, true, how).await.map(|(made, _)| made)
    }

    async fn intent_row(&self, id: &str) -> ServiceResult<MeetingRow> {
        meetings::load(&mut *self.store.pool().acquire().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("meeting {id} not found")))
    }

    /// [`create_owned`](Self::create_owned) for the intent `row`; without `may_create` only a
    /// meeting Zoom already made is committed. The meeting as committed comes back too, unless
    /// someone else committed it.
    pub(crate) async fn finish_owned(
        &self,
        row: MeetingRow,
        search_first: bool,
        may_create: bool,
        how: &'static str,
    ) -> ServiceResult<(ProviderMeeting, Option<Loaded>)> {
        let id = row.id.as_str();
        let made = match self.create_in_zoom(&row, search_first, may_create).await {
            Ok(made) => made,
            Err((error, maybe_made)) => {
                let mut conn = self.store.pool().acquire().await?;
                if maybe_made {
                    meetings::release(&mut conn, id).await?;
                } else {
                    meetings::forget_intent(&mut conn, id).await?;
                }
                return Err(super::errors::provider(error, self.now()));
            }
        };
        // Tests crash here: Zoom has the meeting, the store does not know yet.
        fail::fail_point!("meeting-created-before-commit", |_| {
            Err(ServiceError::Internal(anyhow::anyhow!("failpoint: crashed after zoom created the meeting")))
        });
        let loaded = self.commit_created(&row, &made).await?;
        self.metrics.meeting_created(how);
        tracing::info!(meeting_id = %id, zoom_meeting_id = made.id, how, "meeting created");
        Ok((made, loaded))
    }

    /// The Zoom side: the meeting, or the last error and whether a meeting may exist anyway.
    async fn create_in_zoom(
        &self,
        row: &MeetingRow,
        search_first: bool,
        may_create: bool,
    ) -> Result<ProviderMeeting, (ProviderError, bool)> {
        let plan = &row.plan;
        let deadline = tokio::time::Instant::now() + self.settings.zoom_deadline;
        let mut maybe_made = search_first;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let result = match maybe_made {
                true => match self.zoom.find_by_marker(&plan.host.person.email, &plan.marker).await {
                    Ok(Some(found)) => return Ok(found),
                    Ok(None) if !may_create => return Err((ProviderError::NotFound, false)),
                    Ok(None) => {
                        maybe_made = false;
                        self.zoom.create(plan).await
                    }
                    Err(error) => Err(error),
                },
                false => self.zoom.create(plan).await,
            };
            let error = match result {
                Ok(made) => return Ok(made),
                Err(error) => error,
            };
            if matches!(error, ProviderError::Uncertain(_)) {
                maybe_made = true;
            }
            let wait = match &error {
                ProviderError::RateLimited { retry_after } => *retry_after,
                e if e.is_transient() => backoff(attempt),
                _ => return Err((error, maybe_made)),
            };
            if tokio::time::Instant::now() + wait >= deadline {
                tracing::warn!(meeting_id = %row.id, %error, attempt, "zoom did not create the meeting before the deadline");
                return Err((error, maybe_made));
            }
            tracing::debug!(meeting_id = %row.id, %error, attempt, "retrying zoom");
            tokio::time::sleep(wait).await;
        }
    }

    /// The commit: the intent becomes the meeting, with its invitation, in one transaction.
    async fn commit_created(&self, row: &MeetingRow, made: &ProviderMeeting) -> ServiceResult<Option<Loaded>> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !meetings::mark_created(&mut tx, &row.id, made, now).await? {
            // Someone else finished it (a replica's recovery that found it by marker).
            return Ok(None);
        }
        // The row was read (or written) as the intent, and only the intent's lease holder
        // completes it: what it is now follows from the plan and Zoom's answer.
        let loaded = Loaded::created(row, made);
        events::enqueue(&mut tx, events::scheduled(&loaded), &row.id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        Ok(Some(loaded))
    }

    /// Finishes intent `id` for a retry of its key: takes its lease when it ran out, else waits
    /// for its holder for up to the Zoom deadline.
    pub(crate) async fn finish_intent(&self, id: &str) -> ServiceResult<ProviderMeeting> {
        let deadline = tokio::time::Instant::now() + self.settings.zoom_deadline + Duration::from_secs(1);
        loop {
            let now = self.now();
            let until = now + Self::ms(self.settings.create_lease);
            let mut conn = self.store.pool().acquire().await?;
            if meetings::take_lease(&mut conn, id, now, until).await? {
                drop(conn);
                return self.create_owned(id, true, "retry").await;
            }
            let row = meetings::load(&mut conn, id).await?;
            drop(conn);
            match row {
                Some(row) if row.status != MeetingStatus::Creating => {
                    // Done by its holder: the host's start URL comes fresh from Zoom.
                    let id = row.zoom_meeting_id.unwrap_or_default();
                    let fresh = self.zoom.get(id).await.ok().flatten();
                    return Ok(fresh.unwrap_or(ProviderMeeting {
                        id,
                        uuid: row.zoom_uuid.unwrap_or_default(),
                        join_url: row.join_url.unwrap_or_default(),
                        start_url: None,
                        occurrences: Vec::new(),
                    }));
                }
                Some(_) => {}
                None => return Err(ServiceError::NotFound(format!("meeting {id} not found"))),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ServiceError::unavailable("zoom", anyhow::anyhow!("meeting {id} is still being created")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// One round of recovery: intents whose request died (their lease ran out) are finished when
    /// Zoom made their meeting, forgotten when it did not.
    pub async fn recover(&self) -> anyhow::Result<usize> {
        let now = self.now();
        let ids = meetings::abandoned(&mut *self.store.pool().acquire().await?, now, RECOVERY_BATCH).await?;
        let mut finished = 0;
        for id in ids {
            let until = now + Self::ms(self.settings.create_lease);
            if !meetings::take_lease(&mut *self.store.pool().acquire().await?, &id, now, until).await? {
                continue;
            }
            let row = match self.intent_row(&id).await {
                Ok(row) => row,
                Err(error) => {
                    tracing::warn!(meeting_id = %id, error = %error, "cannot read a meeting being created");
                    continue;
                }
            };
            match self.finish_owned(row, true, false, "recovery").await {
                Ok(_) => finished += 1,
                Err(ServiceError::FailedPrecondition(_)) => {
                    tracing::info!(meeting_id = %id, "a meeting whose request died was never made in zoom; forgotten");
                }
                Err(error) => {
                    tracing::warn!(meeting_id = %id, error = %error, "recovering a meeting being created failed")
                }
            }
        }
        Ok(finished)
    }
}

/// 200 ms doubling to 3.2 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.saturating_sub(1).min(4))
}

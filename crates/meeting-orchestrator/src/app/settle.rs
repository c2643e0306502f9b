//! The end of a session, published once: `onboarding.meeting.ended` goes out a settle window
//! after Zoom's `meeting.ended` was seen, so leaves that arrive after the end (Zoom does not
//! order its webhooks, and retries them much later) are in the attendance. A session whose end
//! never came is read from Zoom's past-meeting report after a longer window and settles the same
//! way, marked reconciled.

use butterboard_proto::events::v1 as pb;
use butterboard_runtime::periodic::Pace;

use super::MeetingApp;
use super::errors::ServiceResult;
use super::read::AttendanceView;
use crate::domain::attendance::{Kind, ParticipantEvent, PersonAttendance};
use crate::domain::meeting::{MeetingStatus, roles};
use crate::events::{self, person, timestamp};
use crate::store::meetings::{self, Loaded};
use crate::store::sessions::{self, SessionRow};

const BATCH: i64 = 50;

fn attendance(
    a: Option<&PersonAttendance>,
) -> (u32, bool, Option<prost_types::Timestamp>, Option<prost_types::Timestamp>, bool, bool, u32) {
    match a {
        Some(a) => (
            a.seconds_present,
            a.seconds_present > 0,
            Some(timestamp(a.first_joined_ms)),
            Some(timestamp(a.last_left_ms)),
            a.joined_late,
            a.left_early,
            a.intervals,
        ),
        None => (0, false, None, None, false, false, 0),
    }
}

/// The attendance list of an ended session: every current invitee (and a removed one who came),
/// then the guests.
pub fn attendance_list(views: &[AttendanceView], guests: &[PersonAttendance]) -> Vec<pb::Attendance> {
    let mut out = Vec::new();
    for v in views.iter().filter(|v| !v.removed || v.attendance.is_some()) {
        let (seconds, attended, first, last, late, early, sessions) = attendance(v.attendance.as_ref());
        out.push(pb::Attendance {
            person: Some(person(&v.invitee.person)),
            seconds_present: seconds,
            attended,
            role: v.invitee.role.clone(),
            assignment_id: v.invitee.assignment_id.clone(),
            stage_instance_id: v.invitee.stage_instance_id.clone(),
            first_joined_at: first,
            last_left_at: last,
            joined_late: late,
            left_early: early,
            sessions,
        });
    }
    for g in guests {
        let (seconds, attended, first, last, late, early, sessions) = attendance(Some(g));
        out.push(pb::Attendance {
            person: Some(pb::Person { email: g.email.clone(), display_name: g.name.clone(), time_zone: String::new() }),
            seconds_present: seconds,
            attended,
            role: roles::GUEST.into(),
            first_joined_at: first,
            last_left_at: last,
            joined_late: late,
            left_early: early,
            sessions,
            ..Default::default()
        });
    }
    out
}

/// Where a meeting stands once a session ended: a series goes on until its last occurrence.
fn after_session(loaded: &Loaded, session: &SessionRow) -> MeetingStatus {
    match (loaded.occurrences.last(), &session.occurrence_id) {
        (Some(last), Some(occurrence)) if &last.occurrence_id != occurrence => MeetingStatus::Scheduled,
        _ => MeetingStatus::Ended,
    }
}

impl MeetingApp {
    /// One round: publishes the end of every session whose settle window passed.
    pub async fn settle(&self) -> anyhow::Result<Pace> {
        let before = self.now() - Self::ms(self.settings.ended_settle);
        let uuids = sessions::to_settle(&mut *self.store.pool().acquire().await?, before, BATCH).await?;
        for uuid in &uuids {
            self.publish_end(uuid).await.map_err(|e| anyhow::anyhow!("settling session {uuid}: {e}"))?;
        }
        Ok(if uuids.len() as i64 == BATCH { Pace::More } else { Pace::Idle })
    }

    async fn publish_end(&self, uuid: &str) -> ServiceResult<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let Some(session) = sessions::load(&mut tx, uuid).await? else { return Ok(()) };
        let Some(loaded) = meetings::load_full(&mut tx, &session.meeting_id).await? else { return Ok(()) };
        if !sessions::mark_ended_published(&mut tx, uuid).await? {
            return Ok(());
        }
        if sessions::mark_started_published(&mut tx, uuid).await? {
            // The start never came from Zoom: consumers still see a start before the end.
            events::enqueue(&mut tx, events::started(&loaded, &session), &loaded.row.id).await?;
        }
        let (views, guests) = self.session_attendance(&mut tx, &loaded, &session).await?;
        let list = attendance_list(&views, &guests);
        let to = after_session(&loaded, &session);
        meetings::set_status(&mut tx, &loaded.row.id, &[MeetingStatus::Scheduled, MeetingStatus::Started], to, now)
            .await?;
        events::enqueue(&mut tx, events::ended(&loaded, &session, list), &loaded.row.id).await?;
        tx.commit().await?;
        self.store.outbox_written();
        tracing::info!(meeting_id = %loaded.row.id, session = %uuid, reconciled = session.reconciled, "meeting ended");
        Ok(())
    }

    /// One round: sessions whose end never came, read from Zoom's past meetings.
    pub async fn reconcile(&self) -> anyhow::Result<()> {
        let now = self.now();
        let before = now - Self::ms(self.settings.reconcile_after);
        let open = sessions::unfinished(&mut *self.store.pool().acquire().await?, before, BATCH).await?;
        for session in open {
            let past = match self.zoom.past_session(&session.uuid).await {
                Ok(past) => past,
                Err(error) => {
                    tracing::warn!(session = %session.uuid, %error, "cannot read the past meeting from zoom");
                    continue;
                }
            };
            let mut tx = self.store.begin().await?;
            let Some(past) = past else {
                sessions::checked(&mut tx, &session.uuid, now).await?;
                tx.commit().await?;
                continue;
            };
            for join in &past.joins {
                for (kind, at) in [(Kind::Join, join.join_ms), (Kind::Leave, join.leave_ms)] {
                    let Some(at) = at else { continue };
                    let event = ParticipantEvent {
                        kind,
                        join_key: join.join_key.clone(),
                        email: join.email.clone(),
                        name: join.name.clone(),
                        at_ms: at,
                    };
                    sessions::add_event(&mut tx, &session.uuid, &event).await?;
                }
            }
            if let Some(start) = past.start_ms {
                sessions::set_started(&mut tx, &session.uuid, start).await?;
            }
            // Seen a settle window ago: the report is final, it settles in this process's next round.
            let seen = now - Self::ms(self.settings.ended_settle);
            sessions::set_ended(&mut tx, &session.uuid, past.end_ms.unwrap_or(now), seen, true).await?;
            tx.commit().await?;
            tracing::info!(session = %session.uuid, "meeting end reconciled from zoom's past meetings");
        }
        Ok(())
    }
}

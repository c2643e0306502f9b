//! GetMeeting and ListMeetings: a meeting with its invitees' attendance in the latest session,
//! the guests, the sessions and the chat; lists scoped to what the caller may see.

use butterboard_runtime::auth::Caller;

use super::MeetingApp;
use super::errors::{ServiceError, ServiceResult};
use crate::domain::access::{self, MeetingPeople};
use crate::domain::attendance::{self, PersonAttendance, Window};
use crate::domain::meeting::{Invitee, MeetingStatus};
use crate::domain::stage::normalize_email;
use crate::store::meetings::{self, Loaded};
use crate::store::sessions::{self, ChatRow, SessionRow};
use crate::store::{Arg, Sql};

/// One invitee and how they took part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceView {
    pub invitee: Invitee,
    pub removed: bool,
    /// `None`: never joined (or no session yet).
    pub attendance: Option<PersonAttendance>,
}

/// A meeting as GetMeeting shows it. `Debug` leaves the start URL out.
#[derive(Clone)]
pub struct MeetingView {
    pub loaded: Loaded,
    pub sessions: Vec<SessionRow>,
    /// In the latest session.
    pub invitees: Vec<AttendanceView>,
    /// Uninvited people of every session, with the session's uuid.
    pub guests: Vec<(PersonAttendance, String)>,
    pub chat: Vec<ChatRow>,
    /// Only for the host.
    pub start_url: Option<String>,
}

impl std::fmt::Debug for MeetingView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeetingView")
            .field("meeting_id", &self.loaded.row.id)
            .field("status", &self.loaded.row.status)
            .field("invitees", &self.invitees.len())
            .field("sessions", &self.sessions.len())
            .field("start_url", &self.start_url.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl MeetingView {
    /// A meeting just made: its invitees, no session, no chat.
    pub fn fresh(loaded: Loaded, start_url: Option<String>) -> Self {
        let invitees = loaded
            .invitees
            .iter()
            .map(|row| AttendanceView { invitee: row.invitee.clone(), removed: row.removed, attendance: None })
            .collect();
        Self { loaded, sessions: Vec::new(), invitees, guests: Vec::new(), chat: Vec::new(), start_url }
    }

    /// Whether the latest session ended (an invitee without attendance is then absent).
    pub fn latest_ended(&self) -> bool {
        self.sessions.last().is_some_and(|s| s.ended_at.is_some())
    }
}

/// What ListMeetings filters on.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub scenario_id: String,
    pub stage_id: String,
    pub assignment_id: String,
    pub employee_email: String,
    pub status: Option<MeetingStatus>,
    pub start_after: Option<i64>,
    pub start_before: Option<i64>,
    pub page_size: u32,
    pub page_token: String,
}

impl MeetingApp {
    /// How `session` went for `loaded`'s invitees, and who came uninvited.
    pub(crate) async fn session_attendance(
        &self,
        conn: &mut sqlx::AnyConnection,
        loaded: &Loaded,
        session: &SessionRow,
    ) -> ServiceResult<(Vec<AttendanceView>, Vec<PersonAttendance>)> {
        let events = sessions::events(conn, &session.uuid).await?;
        let window = Window { start_ms: session.started_at, end_ms: session.ended_at };
        let people = attendance::summarize(&events, window, self.now(), Self::ms(self.settings.late_tolerance));
        let (matched, guests) = attendance::match_invitees(&loaded.invitees, |i| &i.invitee.person.email, people);
        let views = matched
            .into_iter()
            .map(|(row, attendance)| AttendanceView {
                invitee: tied_instance(loaded, &row.invitee, session.occurrence_id.as_deref()),
                removed: row.removed,
                attendance,
            })
            .collect();
        Ok((views, guests))
    }

    pub(crate) async fn view(
        &self,
        caller: &Caller,
        id: &str,
        start_url: Option<String>,
    ) -> ServiceResult<MeetingView> {
        let mut conn = self.store.pool().acquire().await?;
        let loaded = meetings::load_full(&mut conn, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("meeting {id} not found")))?;
        let emails = loaded.invitee_emails();
        let people =
            MeetingPeople { host: &loaded.row.host_email, created_by: &loaded.row.created_by, invitees: &emails };
        if !access::may_read(caller, people) {
            // Not found rather than denied: whether a meeting exists is not the caller's business.
            return Err(ServiceError::NotFound(format!("meeting {id} not found")));
        }
        let sessions = sessions::of_meeting(&mut conn, id).await?;
        let mut guests = Vec::new();
        let mut invitees: Vec<AttendanceView> = loaded
            .invitees
            .iter()
            .map(|row| AttendanceView { invitee: row.invitee.clone(), removed: row.removed, attendance: None })
            .collect();
        for (i, session) in sessions.iter().enumerate() {
            let (views, uninvited) = self.session_attendance(&mut conn, &loaded, session).await?;
            guests.extend(uninvited.into_iter().map(|g| (g, session.uuid.clone())));
            if i + 1 == sessions.len() {
                invitees = views;
            }
        }
        let chat = sessions::chat(&mut conn, id).await?;
        drop(conn);
        let start_url = match access::sees_start_url(caller, &loaded.row.host_email) {
            false => None,
            true => match (start_url, loaded.row.zoom_meeting_id) {
                (Some(url), _) => Some(url),
                (None, Some(zoom_id)) => self.zoom.get(zoom_id).await.ok().flatten().and_then(|m| m.start_url),
                (None, None) => None,
            },
        };
        Ok(MeetingView { loaded, sessions, invitees, guests, chat, start_url })
    }

    pub async fn get_meeting(&self, caller: &Caller, id: &str) -> ServiceResult<MeetingView> {
        if id.trim().is_empty() {
            return Err(ServiceError::invalid("id", "is required"));
        }
        self.view(caller, id.trim(), None).await
    }

    /// Meetings soonest first, and the token of the next page.
    pub async fn list_meetings(&self, caller: &Caller, filter: &ListFilter) -> ServiceResult<(Vec<Loaded>, String)> {
        let scope = access::list_scope(caller).ok_or_else(|| {
            ServiceError::PermissionDenied("requires one of the roles: hr, manager, employee, service".into())
        })?;
        let page_size = match filter.page_size {
            0 => 50,
            n @ 1..=200 => n,
            _ => return Err(ServiceError::invalid("page_size", "must be at most 200")),
        };
        let after = parse_token(&filter.page_token)?;
        let mut sql = Sql::new(&format!("SELECT {} FROM meetings m WHERE status <> 'creating'", meetings::COLUMNS));
        for (column, value) in [("scenario_id", &filter.scenario_id), ("stage_id", &filter.stage_id)] {
            if !value.is_empty() {
                let p = sql.text(value);
                sql.push(&format!(" AND {column} = {p}"));
            }
        }
        if let Some(status) = filter.status {
            let p = sql.text(status.as_str());
            sql.push(&format!(" AND status = {p}"));
        }
        if let Some(at) = filter.start_after {
            let p = sql.int(at);
            sql.push(&format!(" AND start_at >= {p}"));
        }
        if let Some(at) = filter.start_before {
            let p = sql.int(at);
            sql.push(&format!(" AND start_at < {p}"));
        }
        if !filter.assignment_id.is_empty() {
            let p = sql.text(&filter.assignment_id);
            sql.push(&format!(
                " AND EXISTS (SELECT 1 FROM meeting_instances mi WHERE mi.meeting_id = m.id AND mi.assignment_id = {p})"
            ));
        }
        if !filter.employee_email.is_empty() {
            let p = sql.text(&normalize_email(&filter.employee_email));
            sql.push(&format!(" AND EXISTS (SELECT 1 FROM invitees i WHERE i.meeting_id = m.id AND i.email = {p})"));
        }
        match &scope {
            access::ListScope::All => {}
            access::ListScope::Managed(me) => {
                let p = sql.text(me);
                sql.push(&format!(
                    " AND (host_email = {p} OR created_by = {p} OR EXISTS (SELECT 1 FROM invitees i WHERE i.meeting_id = m.id AND i.email = {p}))"
                ));
            }
            access::ListScope::Invited(me) => {
                let p = sql.text(me);
                sql.push(&format!(
                    " AND EXISTS (SELECT 1 FROM invitees i WHERE i.meeting_id = m.id AND i.email = {p})"
                ));
            }
        }
        if let Some((at, id)) = after {
            let (a, b) = (sql.arg(Arg::Int(at)), sql.text(&id));
            sql.push(&format!(" AND (start_at > {a} OR (start_at = {a} AND id > {b}))"));
        }
        let limit = sql.int(i64::from(page_size) + 1);
        sql.push(&format!(" ORDER BY start_at, id LIMIT {limit}"));
        let mut conn = self.store.pool().acquire().await?;
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows.iter().take(page_size as usize) {
            let row = meetings::row(row)?;
            let id = row.id.clone();
            out.push(Loaded {
                invitees: meetings::invitees(&mut conn, &id).await?,
                instances: meetings::instances(&mut conn, &id).await?,
                occurrences: meetings::occurrences(&mut conn, &id).await?,
                row,
            });
        }
        let next = match (rows.len() > page_size as usize, out.last()) {
            (true, Some(last)) => format!("{}:{}", last.row.start_at, last.row.id),
            _ => String::new(),
        };
        Ok((out, next))
    }
}

fn parse_token(token: &str) -> ServiceResult<Option<(i64, String)>> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || ServiceError::invalid("page_token", "is not a token this service gave out");
    let (at, id) = token.split_once(':').ok_or_else(bad)?;
    Ok(Some((at.parse().map_err(|_| bad())?, id.to_string())))
}

/// An employee invitee of a series names the instance tied to the session's occurrence.
pub(crate) fn tied_instance(loaded: &Loaded, invitee: &Invitee, occurrence_id: Option<&str>) -> Invitee {
    let mut invitee = invitee.clone();
    if invitee.is_employee() && occurrence_id.is_some() {
        let tied = loaded
            .instances
            .iter()
            .find(|i| i.instance.assignment_id == invitee.assignment_id && i.occurrence_id.as_deref() == occurrence_id);
        if let Some(tied) = tied {
            invitee.stage_instance_id = tied.instance.stage_instance_id.clone();
        }
    }
    invitee
}

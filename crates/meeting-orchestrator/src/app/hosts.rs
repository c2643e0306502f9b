//! Who hosts a meeting and what the host's settings warn about. The caller hosts when they are
//! a user of the Zoom account, otherwise the configured default host; a manager of the meeting
//! who is a Zoom user becomes an alternative host. Users are looked up once in a while and a
//! host's recording settings once per process (they change rarely; a warning is advice).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::MeetingApp;
use super::errors::{ServiceError, ServiceResult};
use crate::conferencing::{HostAccount, HostCapabilities};
use crate::domain::plan::Warning;
use crate::domain::stage::{Person, normalize_email};

/// How long a user lookup is kept.
const USER_TTL: Duration = Duration::from_secs(600);

/// Users by e-mail with when they were looked up (`None`: not a user of the account).
type Users = Arc<Mutex<HashMap<String, (Instant, Option<HostAccount>)>>>;

#[derive(Clone, Default)]
pub struct HostCache {
    users: Users,
    capabilities: Arc<Mutex<HashMap<String, HostCapabilities>>>,
}

/// The warnings of a host's capabilities: what the stage expects and the host's settings will not do.
pub fn warnings(caps: HostCapabilities) -> Vec<Warning> {
    let mut out = Vec::new();
    let mut warn = |off: bool, what: &str| {
        if off {
            out.push(Warning {
                field: "host".into(),
                message: format!("the host's Zoom settings turn {what} off; the meeting is created without it"),
            });
        }
    };
    warn(!caps.cloud_recording, "cloud recording");
    warn(!caps.save_chat_text, "saving the chat");
    warn(!caps.audio_transcript, "audio transcripts");
    out
}

impl MeetingApp {
    /// The Zoom user with this e-mail, if any (looked up at most every ten minutes).
    pub(crate) async fn zoom_user(&self, email: &str) -> ServiceResult<Option<HostAccount>> {
        let email = normalize_email(email);
        if let Some((at, user)) = self.hosts.users.lock().unwrap_or_else(|p| p.into_inner()).get(&email)
            && at.elapsed() < USER_TTL
        {
            return Ok(user.clone());
        }
        let user = self.zoom.host(&email).await.map_err(|e| super::errors::provider(e, self.now()))?;
        self.hosts.users.lock().unwrap_or_else(|p| p.into_inner()).insert(email, (Instant::now(), user.clone()));
        Ok(user)
    }

    /// The host: `caller` when a Zoom user (and `caller_may_host`), else the default host.
    pub(crate) async fn choose_host(&self, caller: &str, caller_may_host: bool) -> ServiceResult<Person> {
        if caller_may_host && let Some(user) = self.zoom_user(caller).await? {
            return Ok(person(user));
        }
        let Some(default) = self.settings.default_host.as_deref() else {
            return Err(ServiceError::FailedPrecondition(
                "host: the caller is not a user of the Zoom account and ZOOM_DEFAULT_HOST is not set".into(),
            ));
        };
        match self.zoom_user(default).await? {
            Some(user) => Ok(person(user)),
            None => Err(ServiceError::FailedPrecondition(
                "host: ZOOM_DEFAULT_HOST is not a user of the Zoom account".into(),
            )),
        }
    }

    /// The managers who are Zoom users, the host left out.
    pub(crate) async fn alternative_hosts(&self, managers: &[String], host: &str) -> ServiceResult<Vec<String>> {
        let mut out = Vec::new();
        for manager in managers.iter().filter(|m| m.as_str() != host) {
            if self.zoom_user(manager).await?.is_some() && !out.contains(manager) {
                out.push(manager.clone());
            }
        }
        Ok(out)
    }

    /// The host's settings checked once and kept; a failure to read them warns nothing (and is
    /// tried again next time).
    pub(crate) async fn host_warnings(&self, host: &str) -> Vec<Warning> {
        let kept = self.hosts.capabilities.lock().unwrap_or_else(|p| p.into_inner()).get(host).copied();
        let caps = match kept {
            Some(caps) => caps,
            None => match self.zoom.host_capabilities(host).await {
                Ok(caps) => {
                    self.hosts.capabilities.lock().unwrap_or_else(|p| p.into_inner()).insert(host.to_string(), caps);
                    caps
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot read the host's zoom settings");
                    return Vec::new();
                }
            },
        };
        warnings(caps)
    }
}

fn person(user: HostAccount) -> Person {
    let zone = if user.time_zone.is_empty() { "UTC".to_string() } else { user.time_zone };
    Person::new(&user.email, &user.name, &zone)
}

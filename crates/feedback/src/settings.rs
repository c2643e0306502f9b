//! How the service behaves: the reminder and expiry rules, the link in each request, the
//! anonymity threshold of managers' reports, where `scenario` answers, and how the sweeper and
//! the request consumer pace themselves. Each has a default; [`SETTINGS`] are the variables that
//! override them through the configuration layers (file or environment).

use std::time::Duration;

use butterboard_runtime::config::{Config, ConfigError, Setting};
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Backend;
use jiff::civil::Time;
use jiff::tz::TimeZone;

use crate::domain::calendar::Calendar;
use crate::domain::schedule::Policy;

/// The variables of [`SETTINGS`].
pub mod vars {
    pub const LINK_TEMPLATE: &str = "FEEDBACK_LINK_TEMPLATE";
    pub const REMINDER_BUSINESS_DAYS: &str = "FEEDBACK_REMINDER_BUSINESS_DAYS";
    pub const MAX_REMINDERS: &str = "FEEDBACK_MAX_REMINDERS";
    pub const REMINDER_LOCAL_TIME: &str = "FEEDBACK_REMINDER_LOCAL_TIME";
    pub const EXPIRY_BUSINESS_DAYS: &str = "FEEDBACK_EXPIRY_BUSINESS_DAYS";
    pub const HOLIDAYS: &str = "FEEDBACK_HOLIDAYS";
    pub const DEFAULT_TIME_ZONE: &str = "FEEDBACK_DEFAULT_TIME_ZONE";
    pub const ANONYMITY_THRESHOLD: &str = "FEEDBACK_ANONYMITY_THRESHOLD";
    pub const SWEEP_INTERVAL_MS: &str = "FEEDBACK_SWEEP_INTERVAL_MS";
    pub const CONSUMER_WORKERS: &str = "FEEDBACK_CONSUMER_WORKERS";
}

/// The variables this service reads besides the shared ones.
pub const SETTINGS: &[Setting] = &[
    Setting::new(
        vars::LINK_TEMPLATE,
        "where an employee answers a request; {request_id}, {assignment_id} and {stage_instance_id} are filled in \
         (default https://butterboard.example.com/onboarding/feedback/{request_id})",
    ),
    Setting::new(
        vars::REMINDER_BUSINESS_DAYS,
        "business days before the first reminder and between reminders (default 2)",
    ),
    Setting::new(vars::MAX_REMINDERS, "reminders per request at most, 0 for none (default 2)"),
    Setting::new(
        vars::REMINDER_LOCAL_TIME,
        "local time of day reminders go out at, HH:MM in the employee's zone (default 10:00)",
    ),
    Setting::new(
        vars::EXPIRY_BUSINESS_DAYS,
        "business days a request stays open; it expires at the end of the last (default 10)",
    ),
    Setting::new(
        vars::HOLIDAYS,
        "days without reminders besides weekends, YYYY-MM-DD separated by commas (default none)",
    ),
    Setting::new(vars::DEFAULT_TIME_ZONE, "IANA zone for employees whose zone is unknown (default UTC)"),
    Setting::new(vars::ANONYMITY_THRESHOLD, "answers a figure needs before a manager sees it (default 3)"),
    Setting::new(vars::SWEEP_INTERVAL_MS, "how often reminders and expiries are looked for, in ms (default 30000)"),
    Setting::new(vars::CONSUMER_WORKERS, "stage events handled at once (default 4 on PostgreSQL; SQLite always 1)"),
];

/// The service's behaviour.
#[derive(Debug, Clone)]
pub struct FeedbackSettings {
    pub policy: Policy,
    pub link_template: String,
    pub default_zone: TimeZone,
    pub anonymity_threshold: u32,
    pub scenario_url: String,
    pub sweep_interval: Duration,
    /// `None`: by backend.
    pub consumer_workers: Option<usize>,
}

pub const DEFAULT_LINK_TEMPLATE: &str = "https://butterboard.example.com/onboarding/feedback/{request_id}";
const PLACEHOLDERS: [&str; 3] = ["{request_id}", "{assignment_id}", "{stage_instance_id}"];

impl FeedbackSettings {
    /// The defaults with the overrides of [`SETTINGS`] from `config`; a bad value is an error
    /// naming its variable.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let values = &config.settings;
        let mut policy = Policy::default();
        if let Some(days) = values.positive(vars::REMINDER_BUSINESS_DAYS)? {
            policy.reminder_interval_business_days = small(vars::REMINDER_BUSINESS_DAYS, days, 60)?;
        }
        if let Some(max) = values.parse::<u32>(vars::MAX_REMINDERS)? {
            policy.max_reminders = small(vars::MAX_REMINDERS, u64::from(max), 20)?;
        }
        if let Some(days) = values.positive(vars::EXPIRY_BUSINESS_DAYS)? {
            policy.expiry_business_days = small(vars::EXPIRY_BUSINESS_DAYS, days, 260)?;
        }
        if let Some(text) = values.get(vars::REMINDER_LOCAL_TIME) {
            policy.reminder_time = local_time(text)
                .ok_or_else(|| invalid(vars::REMINDER_LOCAL_TIME, format!("{text:?} is not a time of day HH:MM")))?;
        }
        if let Some(text) = values.get(vars::HOLIDAYS) {
            policy.calendar = Calendar::parse(text).map_err(|e| invalid(vars::HOLIDAYS, e))?;
        }
        let default_zone = match values.get(vars::DEFAULT_TIME_ZONE) {
            Some(name) => crate::domain::calendar::zone(name)
                .ok_or_else(|| invalid(vars::DEFAULT_TIME_ZONE, format!("{name:?} is not an IANA time zone")))?,
            None => TimeZone::UTC,
        };
        let link_template = values.get(vars::LINK_TEMPLATE).unwrap_or(DEFAULT_LINK_TEMPLATE).trim().to_string();
        check_link_template(&link_template).map_err(|e| invalid(vars::LINK_TEMPLATE, e))?;
        let anonymity_threshold = match values.positive(vars::ANONYMITY_THRESHOLD)? {
            Some(n) => small(vars::ANONYMITY_THRESHOLD, n, 1000)?,
            None => 3,
        };
        let scenario_url = config.grpc_url(ServiceName::Scenario);
        let sweep_interval = values.millis(vars::SWEEP_INTERVAL_MS)?.unwrap_or(Duration::from_secs(30));
        let consumer_workers = values
            .positive(vars::CONSUMER_WORKERS)?
            .map(|n| small(vars::CONSUMER_WORKERS, n, 64).map(|n| n as usize))
            .transpose()?;
        Ok(Self {
            policy,
            link_template,
            default_zone,
            anonymity_threshold,
            scenario_url,
            sweep_interval,
            consumer_workers,
        })
    }

    /// The link of a request.
    pub fn link(&self, request_id: &str, assignment_id: &str, stage_instance_id: &str) -> String {
        self.link_template
            .replace("{request_id}", request_id)
            .replace("{assignment_id}", assignment_id)
            .replace("{stage_instance_id}", stage_instance_id)
    }

    /// Stage-event handlers run at once: one on SQLite (a single writer), else the setting or 4.
    pub fn workers(&self, backend: Backend) -> usize {
        match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => self.consumer_workers.unwrap_or(4),
        }
    }
}

/// `http://{listen.grpc}` with an unspecified address replaced by loopback: in a one-process
/// install scenario answers on the same server.
fn check_link_template(template: &str) -> Result<(), String> {
    if !template.contains("{request_id}") {
        return Err("must contain {request_id}".into());
    }
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e + 1).ok_or("has an unclosed {")?;
        if !PLACEHOLDERS.contains(&&rest[start..end]) {
            return Err(format!("{} is not one of {}", &rest[start..end], PLACEHOLDERS.join(", ")));
        }
        rest = &rest[end..];
    }
    if !(template.starts_with("https://") || template.starts_with("http://")) {
        return Err("must be an http(s) URL".into());
    }
    Ok(())
}

fn local_time(text: &str) -> Option<Time> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes) = (hours.parse::<i8>().ok()?, minutes.parse::<i8>().ok()?);
    Time::new(hours, minutes, 0, 0).ok()
}

fn small(name: &str, value: u64, max: u64) -> Result<u32, ConfigError> {
    if value > max {
        return Err(invalid(name, format!("{value} is more than {max}")));
    }
    Ok(value as u32)
}

fn invalid(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { variable: name.to_string(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<FeedbackSettings, ConfigError> {
        let env = env.iter().map(|(name, value)| (name.to_string(), value.to_string()));
        FeedbackSettings::from_config(&Config::load_from(None, env, SETTINGS)?)
    }

    #[test]
    fn defaults_and_overrides_are_read_and_bad_values_name_their_variable() {
        let defaults = load(&[]).expect("defaults");
        assert_eq!(defaults.scenario_url, "http://127.0.0.1:50051");
        assert_eq!((defaults.anonymity_threshold, defaults.policy.max_reminders), (3, 2));
        let set = load(&[
            (vars::HOLIDAYS, "2026-12-25,2027-01-01"),
            (vars::REMINDER_LOCAL_TIME, "09:30"),
            (vars::MAX_REMINDERS, "0"),
            (vars::DEFAULT_TIME_ZONE, "Asia/Tokyo"),
        ])
        .expect("valid");
        assert_eq!(set.policy.reminder_time, Time::constant(9, 30, 0, 0));
        assert_eq!(set.policy.max_reminders, 0);
        assert!(!set.policy.calendar.is_business_day(jiff::civil::date(2026, 12, 25)));
        for (name, value) in [
            (vars::HOLIDAYS, "Christmas"),
            (vars::REMINDER_LOCAL_TIME, "25:00"),
            (vars::DEFAULT_TIME_ZONE, "Mars/Olympus"),
            (vars::LINK_TEMPLATE, "https://x.example.com/{employee_email}/{request_id}"),
            (vars::LINK_TEMPLATE, "https://x.example.com/feedback"),
            (vars::ANONYMITY_THRESHOLD, "0"),
        ] {
            let error = load(&[(name, value)]).map(|_| ()).expect_err(value).to_string();
            assert!(error.starts_with(name), "{error}");
        }
    }

    #[test]
    fn the_link_fills_in_the_request() {
        let settings =
            load(&[(vars::LINK_TEMPLATE, "https://hr.example.com/f/{request_id}?a={assignment_id}")]).expect("valid");
        assert_eq!(settings.link("r1", "a1", "i1"), "https://hr.example.com/f/r1?a=a1");
    }
}

//! People as the service keeps them: a parsed [`Email`], an IANA [`TimeZoneName`], a [`Person`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// An e-mail address, trimmed and lower-cased, so comparisons with a token's subject are exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses `text`; the error says what is wrong, for a field violation.
    pub fn parse(text: &str) -> Result<Email, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is required".into());
        }
        if text.len() > 254 {
            return Err("is longer than 254 characters".into());
        }
        let Some((local, domain)) = text.split_once('@') else {
            return Err(format!("{text:?} is not an e-mail address"));
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty() && !local.chars().any(|c| c.is_whitespace() || c == '@');
        if !local_ok || !domain_ok {
            return Err(format!("{text:?} is not an e-mail address"));
        }
        Ok(Email(text.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
}

/// An IANA time zone that exists in the bundled database, with its name as given.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZoneName {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<TimeZoneName, String> {
        let name = text.trim();
        if name.is_empty() {
            return Err("is required".into());
        }
        let zone = jiff::tz::TimeZone::get(name)
            .map_err(|_| format!("{name:?} is not an IANA time zone (e.g. Europe/Berlin)"))?;
        Ok(TimeZoneName { name: name.to_string(), zone })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }
}

impl PartialEq for TimeZoneName {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZoneName {}

impl TryFrom<String> for TimeZoneName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        TimeZoneName::parse(&value)
    }
}

impl From<TimeZoneName> for String {
    fn from(zone: TimeZoneName) -> String {
        zone.name
    }
}

/// Someone taking part in onboarding. The time zone is optional except for new employees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub email: Email,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneName>,
}

/// A person as a client sent it: nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonDraft {
    pub email: String,
    pub name: String,
    pub time_zone: String,
}

impl PersonDraft {
    pub fn is_empty(&self) -> bool {
        self.email.trim().is_empty() && self.name.trim().is_empty() && self.time_zone.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Anna.K@Example.COM ").map(String::from), Ok("anna.k@example.com".to_string()));
    }

    #[test]
    fn malformed_emails_are_refused_with_a_reason() {
        for bad in ["", "anna", "anna@", "@example.com", "anna@example", "an na@example.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn only_iana_time_zones_are_accepted() {
        assert!(TimeZoneName::parse("Europe/Berlin").is_ok());
        assert!(TimeZoneName::parse("America/New_York").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus_Mons").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }
}

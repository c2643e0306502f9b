//! Prefixes that let several systems share one NATS server without seeing each other.

use crate::bus::BusError;

/// `None` means the plain names of ARCHITECTURE §4 (`ZOOM`, `zoom.>`); `Some("t1")` gives
/// `t1_ZOOM` and `t1.zoom.>`.
#[derive(Debug, Clone, Default)]
pub struct Namespace(Option<String>);

impl Namespace {
    pub fn new(prefix: Option<&str>) -> Result<Self, BusError> {
        match prefix.filter(|p| !p.is_empty()) {
            None => Ok(Self(None)),
            Some(p) if p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
                Ok(Self(Some(p.to_string())))
            }
            Some(p) => Err(BusError::Other(format!("bus namespace {p:?} may hold only letters, digits, '_' and '-'"))),
        }
    }

    pub fn stream(&self, name: &str) -> String {
        match &self.0 {
            None => name.to_string(),
            Some(p) => format!("{p}_{name}"),
        }
    }

    pub fn subject(&self, subject: &str) -> String {
        match &self.0 {
            None => subject.to_string(),
            Some(p) => format!("{p}.{subject}"),
        }
    }

    /// The unprefixed subject, or the subject unchanged if it lacks the prefix.
    pub fn strip<'a>(&self, subject: &'a str) -> &'a str {
        match &self.0 {
            None => subject,
            Some(p) => subject.strip_prefix(p.as_str()).and_then(|s| s.strip_prefix('.')).unwrap_or(subject),
        }
    }

    /// A durable consumer name unique to the namespace.
    pub fn durable(&self, name: &str) -> String {
        self.stream(name)
    }
}

impl Namespace {
    /// The durable name as the service knows it (without the namespace prefix).
    pub fn strip_durable<'a>(&self, durable: &'a str) -> &'a str {
        match &self.0 {
            None => durable,
            Some(p) => durable.strip_prefix(p.as_str()).and_then(|s| s.strip_prefix('_')).unwrap_or(durable),
        }
    }
}

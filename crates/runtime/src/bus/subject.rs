//! NATS subject rules, shared by both buses so that a subject valid on one is valid on the other.

/// Why a subject or a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubjectError {
    #[error("subject is empty")]
    Empty,
    #[error("subject {0:?} has an empty token")]
    EmptyToken(String),
    #[error("subject {0:?} contains whitespace or a control character")]
    BadCharacter(String),
    #[error("subject {0:?} has a wildcard where only a literal subject is allowed")]
    Wildcard(String),
    #[error("filter {0:?} has '>' before its last token")]
    MisplacedTail(String),
}

fn check_tokens(subject: &str) -> Result<(), SubjectError> {
    if subject.is_empty() {
        return Err(SubjectError::Empty);
    }
    if subject.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SubjectError::BadCharacter(subject.to_string()));
    }
    if subject.split('.').any(str::is_empty) {
        return Err(SubjectError::EmptyToken(subject.to_string()));
    }
    Ok(())
}

/// A subject to publish on: tokens separated by dots, no wildcards, no whitespace.
pub fn validate_subject(subject: &str) -> Result<(), SubjectError> {
    check_tokens(subject)?;
    if subject.split('.').any(|t| t == "*" || t == ">") {
        return Err(SubjectError::Wildcard(subject.to_string()));
    }
    Ok(())
}

/// A filter: like a subject, where a token may be `*` (one token) and the last may be `>` (one or
/// more tokens).
pub fn validate_filter(filter: &str) -> Result<(), SubjectError> {
    check_tokens(filter)?;
    let tokens: Vec<&str> = filter.split('.').collect();
    if tokens[..tokens.len() - 1].contains(&">") {
        return Err(SubjectError::MisplacedTail(filter.to_string()));
    }
    Ok(())
}

/// Whether `subject` matches `filter` under NATS rules.
pub fn subject_matches(filter: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for f in filter.split('.') {
        match (f, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (f, Some(s)) if f == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_nats_does() {
        assert!(subject_matches("zoom.>", "zoom.meeting.started"));
        assert!(subject_matches("zoom.*", "zoom.recording"));
        assert!(!subject_matches("zoom.*", "zoom.meeting.started"));
        assert!(!subject_matches("zoom.>", "zoom"));
        assert!(subject_matches("onboarding.*.ended", "onboarding.meeting.ended"));
        assert!(!subject_matches("onboarding.meeting", "onboarding.meeting.ended"));
        assert!(subject_matches("a.b", "a.b"));
    }

    #[test]
    fn bad_subjects_and_filters_are_refused_with_a_reason() {
        assert_eq!(validate_subject(""), Err(SubjectError::Empty));
        assert!(matches!(validate_subject("a..b"), Err(SubjectError::EmptyToken(_))));
        assert!(matches!(validate_subject("a b"), Err(SubjectError::BadCharacter(_))));
        assert!(matches!(validate_subject("a.*"), Err(SubjectError::Wildcard(_))));
        assert!(matches!(validate_filter("a.>.b"), Err(SubjectError::MisplacedTail(_))));
        assert!(validate_filter("a.*.>").is_ok());
    }
}

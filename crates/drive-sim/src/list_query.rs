//! The `q` search language of `files.list`, the subset clients of this project use:
//!
//! ```text
//! name = 'Meet the team' and 'FOLDER_ID' in parents and mimeType = 'application/vnd.google-apps.folder'
//! and trashed = false   |   name contains 'Meet'   |   not (…) or (…)   |   'a@b.c' in owners
//! ```
//!
//! Strings are single-quoted with `\'` and `\\` escapes. Anything else is refused with Drive's
//! 400 "Invalid Value" on `q`, naming what was not understood, rather than silently matching all.

use crate::error::{ApiError, ApiResult};
use crate::model::FileRecord;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Op(&'static str),
    Open,
    Close,
}

/// A parsed `q`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Query {
    All,
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    Name(&'static str, String),
    MimeType(&'static str, String),
    Trashed(bool),
    Starred(bool),
    InParents(String),
    InOwners(String),
}

/// What a query is evaluated against.
pub(crate) struct Candidate<'a> {
    pub record: &'a FileRecord,
    /// Trashed itself or under a trashed folder.
    pub trashed: bool,
}

fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_parameter("q", format!("Invalid Value: {detail}"))
}

fn tokenize(text: &str) -> ApiResult<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' => {
                chars.next();
                tokens.push(if c == '(' { Token::Open } else { Token::Close });
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => value.push(chars.next().ok_or_else(|| invalid("a dangling escape"))?),
                        Some('\'') => break,
                        Some(other) => value.push(other),
                        None => return Err(invalid("an unterminated string")),
                    }
                }
                tokens.push(Token::Str(value));
            }
            '=' => {
                chars.next();
                tokens.push(Token::Op("="));
            }
            '!' | '<' | '>' => {
                chars.next();
                let with_eq = chars.peek() == Some(&'=');
                if with_eq {
                    chars.next();
                }
                tokens.push(Token::Op(match (c, with_eq) {
                    ('!', true) => "!=",
                    ('<', false) => "<",
                    ('<', true) => "<=",
                    ('>', false) => ">",
                    ('>', true) => ">=",
                    _ => return Err(invalid("a lone '!'")),
                }));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = String::new();
                while let Some(&c) = chars.peek().filter(|c| c.is_alphanumeric() || **c == '_' || **c == '.') {
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
            other => return Err(invalid(format!("unexpected character '{other}'"))),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn or(&mut self) -> ApiResult<Query> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            left = Query::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> ApiResult<Query> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.pos += 1;
            left = Query::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> ApiResult<Query> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(invalid("the query nests too deeply"));
        }
        let result = if self.peek_word("not") {
            self.pos += 1;
            Ok(Query::Not(Box::new(self.unary()?)))
        } else if self.tokens.get(self.pos) == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or()?;
            match self.next() {
                Some(Token::Close) => Ok(inner),
                _ => Err(invalid("a missing ')'")),
            }
        } else {
            self.term()
        };
        self.depth -= 1;
        result
    }

    fn term(&mut self) -> ApiResult<Query> {
        match self.next() {
            Some(Token::Str(value)) => {
                if !self.peek_word("in") {
                    return Err(invalid(format!("expected 'in' after '{value}'")));
                }
                self.pos += 1;
                match self.next() {
                    Some(Token::Word(w)) if w == "parents" => Ok(Query::InParents(value)),
                    Some(Token::Word(w)) if w == "owners" => Ok(Query::InOwners(value)),
                    other => {
                        Err(invalid(format!("the simulator supports 'in parents' and 'in owners', not {other:?}")))
                    }
                }
            }
            Some(Token::Word(field)) => {
                let op = match self.next() {
                    Some(Token::Op(op)) => op,
                    Some(Token::Word(w)) if w == "contains" => "contains",
                    other => return Err(invalid(format!("expected an operator after {field}, found {other:?}"))),
                };
                let value = self.next();
                comparison(&field, op, value)
            }
            other => Err(invalid(format!("expected a search term, found {other:?}"))),
        }
    }
}

fn comparison(field: &str, op: &'static str, value: Option<Token>) -> ApiResult<Query> {
    let boolean = |value: Option<Token>| match value {
        Some(Token::Word(w)) if w == "true" => Ok(true),
        Some(Token::Word(w)) if w == "false" => Ok(false),
        other => Err(invalid(format!("{field} compares with true or false, not {other:?}"))),
    };
    let string = |value: Option<Token>| match value {
        Some(Token::Str(s)) => Ok(s),
        other => Err(invalid(format!("{field} compares with a quoted string, not {other:?}"))),
    };
    match (field, op) {
        ("name", "=" | "!=" | "contains") => Ok(Query::Name(op, string(value)?)),
        ("mimeType", "=" | "!=" | "contains") => Ok(Query::MimeType(op, string(value)?)),
        ("trashed", "=") => Ok(Query::Trashed(boolean(value)?)),
        ("trashed", "!=") => Ok(Query::Trashed(!boolean(value)?)),
        ("starred", "=") => Ok(Query::Starred(boolean(value)?)),
        _ => Err(invalid(format!("the simulator does not support `{field} {op}` in q"))),
    }
}

impl Query {
    pub fn parse(text: Option<&str>) -> ApiResult<Query> {
        let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
            return Ok(Query::All);
        };
        let tokens = tokenize(text)?;
        // Evaluation recurses once per term: bound the terms so a huge q cannot blow the stack.
        if tokens.len() > 1000 {
            return Err(invalid("the query has more than 1000 tokens"));
        }
        let mut parser = Parser { tokens, pos: 0, depth: 0 };
        let query = parser.or()?;
        if parser.pos < parser.tokens.len() {
            return Err(invalid(format!("unexpected {:?}", parser.tokens[parser.pos])));
        }
        Ok(query)
    }

    pub fn matches(&self, c: &Candidate<'_>) -> bool {
        match self {
            Query::All => true,
            Query::And(a, b) => a.matches(c) && b.matches(c),
            Query::Or(a, b) => a.matches(c) || b.matches(c),
            Query::Not(q) => !q.matches(c),
            Query::Name(op, value) => compare(op, &c.record.name, value),
            Query::MimeType(op, value) => compare(op, &c.record.mime_type, value),
            Query::Trashed(want) => c.trashed == *want,
            Query::Starred(want) => !*want,
            Query::InParents(id) => c.record.parent.as_deref() == Some(id.as_str()),
            Query::InOwners(email) => c.record.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(email)),
        }
    }
}

/// `contains` on names is prefix matching on the name or one of its words (Drive: "HelloWorld"
/// matches `contains 'Hello'` but not `contains 'World'`).
fn compare(op: &str, actual: &str, value: &str) -> bool {
    match op {
        "=" => actual == value,
        "!=" => actual != value,
        _ => {
            let value = value.to_lowercase();
            let actual = actual.to_lowercase();
            actual.starts_with(&value) || actual.split_whitespace().any(|word| word.starts_with(&value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_folder_lookup_parses() {
        let q = Query::parse(Some(
            "name = 'Meet the team' and 'abc' in parents and mimeType = 'application/vnd.google-apps.folder' and trashed = false",
        ))
        .expect("parses");
        assert!(matches!(q, Query::And(..)));
    }

    #[test]
    fn escaped_quotes_stay_in_the_name() {
        let q = Query::parse(Some(r"name = 'Anna\'s notes'")).expect("parses");
        assert_eq!(q, Query::Name("=", "Anna's notes".to_owned()));
    }

    #[test]
    fn unsupported_terms_are_refused_not_ignored() {
        assert!(Query::parse(Some("modifiedTime > '2024-01-01'")).is_err());
        assert!(Query::parse(Some("name = 'a' and")).is_err());
        assert!(Query::parse(Some("name = 'unterminated")).is_err());
    }
}

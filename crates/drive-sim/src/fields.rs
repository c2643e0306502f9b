//! The `fields` parameter: partial responses.
//!
//! Drive answers with a small default set (`kind,id,name,mimeType` for a file) and returns other
//! fields — `size`, `md5Checksum`, `parents`, even `nextPageToken` when `fields` is given for a
//! list — only when asked. Clients that forget this get `None` where they expected a checksum, so
//! the simulator is strict in the same way. Syntax: `a,b(c,d),e/f,*`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// A parsed selection: each key maps to its sub-selection (`None` = the whole value).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Selection(BTreeMap<String, Option<Selection>>);

/// The shape of a resource, to refuse selections of fields that do not exist (Drive: 400
/// "Invalid field selection").
pub(crate) enum Schema {
    Leaf,
    Object(&'static [(&'static str, Schema)]),
}

const USER: Schema = Schema::Object(&[
    ("kind", Schema::Leaf),
    ("displayName", Schema::Leaf),
    ("emailAddress", Schema::Leaf),
    ("permissionId", Schema::Leaf),
    ("me", Schema::Leaf),
    ("photoLink", Schema::Leaf),
]);

pub(crate) const PERMISSION: Schema = Schema::Object(&[
    ("kind", Schema::Leaf),
    ("id", Schema::Leaf),
    ("type", Schema::Leaf),
    ("role", Schema::Leaf),
    ("emailAddress", Schema::Leaf),
    ("domain", Schema::Leaf),
    ("displayName", Schema::Leaf),
    ("allowFileDiscovery", Schema::Leaf),
    ("deleted", Schema::Leaf),
    ("permissionDetails", Schema::Leaf),
]);

pub(crate) const FILE: Schema = Schema::Object(&[
    ("kind", Schema::Leaf),
    ("id", Schema::Leaf),
    ("name", Schema::Leaf),
    ("mimeType", Schema::Leaf),
    ("description", Schema::Leaf),
    ("parents", Schema::Leaf),
    ("driveId", Schema::Leaf),
    ("teamDriveId", Schema::Leaf),
    ("trashed", Schema::Leaf),
    ("explicitlyTrashed", Schema::Leaf),
    ("createdTime", Schema::Leaf),
    ("modifiedTime", Schema::Leaf),
    ("size", Schema::Leaf),
    ("quotaBytesUsed", Schema::Leaf),
    ("md5Checksum", Schema::Leaf),
    ("sha1Checksum", Schema::Leaf),
    ("sha256Checksum", Schema::Leaf),
    ("fileExtension", Schema::Leaf),
    ("fullFileExtension", Schema::Leaf),
    ("originalFilename", Schema::Leaf),
    ("appProperties", Schema::Leaf),
    ("properties", Schema::Leaf),
    ("owners", USER),
    ("ownedByMe", Schema::Leaf),
    ("shared", Schema::Leaf),
    ("starred", Schema::Leaf),
    ("spaces", Schema::Leaf),
    ("version", Schema::Leaf),
    ("webViewLink", Schema::Leaf),
    ("webContentLink", Schema::Leaf),
    ("iconLink", Schema::Leaf),
    ("permissions", PERMISSION),
    ("permissionIds", Schema::Leaf),
    ("capabilities", Schema::Leaf),
    ("headRevisionId", Schema::Leaf),
]);

pub(crate) const FILE_LIST: Schema = Schema::Object(&[
    ("kind", Schema::Leaf),
    ("nextPageToken", Schema::Leaf),
    ("incompleteSearch", Schema::Leaf),
    ("files", FILE),
]);

pub(crate) const PERMISSION_LIST: Schema =
    Schema::Object(&[("kind", Schema::Leaf), ("nextPageToken", Schema::Leaf), ("permissions", PERMISSION)]);

pub(crate) const ABOUT: Schema = Schema::Object(&[
    ("kind", Schema::Leaf),
    ("user", USER),
    ("storageQuota", Schema::Leaf),
    ("maxUploadSize", Schema::Leaf),
    ("canCreateDrives", Schema::Leaf),
    ("appInstalled", Schema::Leaf),
]);

impl Selection {
    /// Parses `fields`, checking every name against `schema`.
    pub fn parse(text: &str, schema: &Schema) -> ApiResult<Selection> {
        let invalid = || ApiError::invalid_parameter("fields", format!("Invalid field selection {text}"));
        let mut chars = text.chars().filter(|c| !c.is_whitespace()).peekable();
        let selection = parse_list(&mut chars, 0).ok_or_else(invalid)?;
        if chars.next().is_some() {
            return Err(invalid());
        }
        selection.check(schema)?;
        Ok(selection)
    }

    /// `fields` if given, else the method's default selection.
    pub fn from_param(param: Option<&str>, default: &str, schema: &Schema) -> ApiResult<Selection> {
        Selection::parse(param.unwrap_or(default), schema)
    }

    fn check(&self, schema: &Schema) -> ApiResult<()> {
        let Schema::Object(fields) = schema else {
            return Ok(());
        };
        for (name, sub) in &self.0 {
            if name == "*" {
                continue;
            }
            let Some((_, child)) = fields.iter().find(|(known, _)| known == name) else {
                return Err(ApiError::invalid_parameter("fields", format!("Invalid field selection {name}")));
            };
            if let Some(sub) = sub {
                sub.check(child)?;
            }
        }
        Ok(())
    }

    /// Keeps only the selected parts of `value`.
    pub fn project(&self, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.project(v)).collect()),
            Value::Object(map) => {
                let mut out = Map::new();
                for (key, field) in map {
                    let selected = self.0.get(key).or_else(|| self.0.get("*"));
                    match selected {
                        Some(Some(sub)) => {
                            out.insert(key.clone(), sub.project(field));
                        }
                        Some(None) => {
                            out.insert(key.clone(), field.clone());
                        }
                        None => {}
                    }
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

fn parse_list<I: Iterator<Item = char>>(chars: &mut std::iter::Peekable<I>, depth: usize) -> Option<Selection> {
    if depth > 8 {
        return None;
    }
    let mut selection = Selection::default();
    loop {
        let mut path = vec![parse_name(chars)?];
        while chars.peek() == Some(&'/') {
            chars.next();
            path.push(parse_name(chars)?);
        }
        let mut sub = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            sub = Some(parse_list(chars, depth + 1)?);
            if chars.next() != Some(')') {
                return None;
            }
        }
        // `a/b(c)` means `a(b(c))`.
        let mut leaf = sub;
        for name in path.iter().skip(1).rev() {
            let mut inner = Selection::default();
            inner.0.insert(name.clone(), leaf);
            leaf = Some(inner);
        }
        merge(&mut selection, path[0].clone(), leaf);
        match chars.peek() {
            Some(',') => {
                chars.next();
            }
            _ => return Some(selection),
        }
    }
}

fn merge(selection: &mut Selection, name: String, sub: Option<Selection>) {
    match (selection.0.get_mut(&name), sub) {
        (Some(Some(existing)), Some(new)) => {
            for (k, v) in new.0 {
                merge(existing, k, v);
            }
        }
        (Some(slot), None) => *slot = None,
        (Some(None), Some(_)) => {}
        (None, sub) => {
            selection.0.insert(name, sub);
        }
    }
}

fn parse_name<I: Iterator<Item = char>>(chars: &mut std::iter::Peekable<I>) -> Option<String> {
    let mut name = String::new();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '*' {
            name.push(c);
            chars.next();
        } else {
            break;
        }
    }
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_selections_keep_only_what_was_asked() {
        let selection = Selection::parse("files(id,md5Checksum),nextPageToken", &FILE_LIST).expect("valid");
        let value = serde_json::json!({"kind": "drive#fileList", "nextPageToken": "t",
            "files": [{"id": "a", "name": "n", "md5Checksum": "m"}]});
        let projected = selection.project(&value);
        assert_eq!(projected, serde_json::json!({"nextPageToken": "t", "files": [{"id": "a", "md5Checksum": "m"}]}));
    }

    #[test]
    fn an_unknown_field_is_refused() {
        assert!(Selection::parse("id,colour", &FILE).is_err());
        assert!(Selection::parse("files(id", &FILE_LIST).is_err());
    }

    #[test]
    fn slash_paths_mean_nested_selections() {
        let a = Selection::parse("files/id,files/name", &FILE_LIST).expect("valid");
        let b = Selection::parse("files(id,name)", &FILE_LIST).expect("valid");
        assert_eq!(a, b);
    }
}

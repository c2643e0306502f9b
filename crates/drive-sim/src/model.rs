//! The records the simulator keeps (files, folders, drive roots, permissions) and the ids, roles
//! and mime types Drive uses for them.

use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const FOLDER_MIME: &str = "application/vnd.google-apps.folder";
pub const DOC_MIME: &str = "application/vnd.google-apps.document";
const GOOGLE_APPS_PREFIX: &str = "application/vnd.google-apps.";
/// MD5 of zero bytes: what Drive reports for an empty binary file.
pub const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// Permission roles, weakest first, so `>=` answers "may this role do that".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Reader,
    Commenter,
    Writer,
    /// A Shared Drive's "content manager".
    FileOrganizer,
    /// A Shared Drive's "manager".
    Organizer,
    Owner,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "reader" => Role::Reader,
            "commenter" => Role::Commenter,
            "writer" => Role::Writer,
            "fileOrganizer" => Role::FileOrganizer,
            "organizer" => Role::Organizer,
            "owner" => Role::Owner,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Commenter => "commenter",
            Role::Writer => "writer",
            Role::FileOrganizer => "fileOrganizer",
            Role::Organizer => "organizer",
            Role::Owner => "owner",
        }
    }
}

/// Who a permission is granted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Grantee {
    User,
    Group,
    Domain,
    Anyone,
}

impl Grantee {
    pub fn parse(text: &str) -> Option<Grantee> {
        Some(match text {
            "user" => Grantee::User,
            "group" => Grantee::Group,
            "domain" => Grantee::Domain,
            "anyone" => Grantee::Anyone,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grantee::User => "user",
            Grantee::Group => "group",
            Grantee::Domain => "domain",
            Grantee::Anyone => "anyone",
        }
    }
}

/// A permission stored on a file, a folder or a drive root (drive members are permissions on the
/// drive's root, which is how inheritance down a Shared Drive works).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PermissionRecord {
    pub id: String,
    pub grantee: Grantee,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default)]
    pub allow_file_discovery: bool,
}

impl PermissionRecord {
    /// Whether this permission applies to `email`.
    pub fn matches(&self, email: &str) -> bool {
        match self.grantee {
            Grantee::User | Grantee::Group => self.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)),
            Grantee::Domain => {
                let caller_domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
                self.domain.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(caller_domain))
            }
            Grantee::Anyone => true,
        }
    }
}

/// Everything Drive knows about one item. Drive roots (a Shared Drive's root, a person's
/// My Drive) are records too, flagged `root`, and never appear in `files.list`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub id: String,
    pub name: String,
    pub mime_type: String,
    /// Drive's single-parent model (since 2020): exactly one parent, none for roots.
    pub parent: Option<String>,
    /// The Shared Drive holding the item (its root included), `None` in My Drive.
    pub drive_id: Option<String>,
    /// My-Drive items have an owner; Shared-Drive items belong to the drive.
    pub owner: Option<String>,
    #[serde(default)]
    pub root: bool,
    #[serde(default)]
    pub trashed: bool,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// Only for binary content (FACTS: never for folders and Google Docs).
    pub size: Option<u64>,
    pub md5: Option<String>,
    /// The item's name in its parent directory on disk: twins get a suffix here, never in `name`.
    pub disk_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub app_properties: BTreeMap<String, String>,
    #[serde(default)]
    pub permissions: Vec<PermissionRecord>,
    /// Creation order, for stable listings.
    pub seq: u64,
}

impl FileRecord {
    pub fn is_folder(&self) -> bool {
        self.mime_type == FOLDER_MIME
    }

    /// Binary files have bytes, a size and an md5; Google-native types do not.
    pub fn is_binary(&self) -> bool {
        is_binary_mime(&self.mime_type)
    }
}

pub fn is_binary_mime(mime: &str) -> bool {
    !mime.starts_with(GOOGLE_APPS_PREFIX)
}

pub fn is_google_native(mime: &str) -> bool {
    mime.starts_with(GOOGLE_APPS_PREFIX)
}

/// A fresh file id shaped like Drive's: 33 characters of `[A-Za-z0-9_-]` starting with `1`.
pub fn new_file_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::rng();
    let mut id = String::with_capacity(33);
    id.push('1');
    for _ in 0..32 {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

/// A random opaque token of `bytes` random bytes, hex encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    hex::encode(buf)
}

/// Drive's numeric permission id for an account, stable for a given e-mail address, as Drive's is.
pub fn permission_id_for(email: &str) -> String {
    let digest = Sha256::digest(email.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    format!("{:020}", u64::from_be_bytes(first))
}

/// Google's RFC 3339 rendering with milliseconds: `2024-05-01T12:00:00.000Z`.
pub fn rfc3339_ms(epoch_ms: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

/// Makes a Drive name safe as one path component on disk (Drive allows `/` in names, disks don't).
pub fn sanitize_disk_name(name: &str) -> String {
    let cleaned: String =
        name.chars().map(|c| if c == '/' || c == '\\' || c == '\0' || c.is_control() { '_' } else { c }).collect();
    let trimmed = cleaned.trim();
    match trimmed {
        "" | "." | ".." => "_".to_owned(),
        // The index lives in `.drive-sim`: a Drive item of that name must not collide with it.
        ".drive-sim" => "_drive-sim".to_owned(),
        // Most filesystems allow 255 bytes per name; leave room for a twin suffix.
        other => {
            let mut out = String::new();
            for c in other.chars() {
                if out.len() + c.len_utf8() > 200 {
                    break;
                }
                out.push(c);
            }
            out
        }
    }
}

/// `name (n).ext` for the n-th twin on disk, keeping the extension so the file still opens.
pub fn twin_disk_name(name: &str, n: u32) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.contains(' ') && ext.len() <= 8 => {
            format!("{stem} ({n}).{ext}")
        }
        _ => format!("{name} ({n})"),
    }
}

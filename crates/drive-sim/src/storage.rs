//! The simulator's disk: files in a tree a person can browse, metadata in one JSON index beside it.
//!
//! ```text
//! <data>/drive/Butterboard Recordings/Engineering/2024-05-01 Meet the team/recording.mp4
//! <data>/drive/My Drive (hr@butterboard.example)/Onboarding/…
//! <data>/drive/.drive-sim/index.json          files, permissions, keys, generated ids
//! <data>/drive/.drive-sim/uploads/<id>.json   resumable sessions (+ <id>.part, the bytes so far)
//! ```
//!
//! Drive names are not unique (concurrent creators make twins), so each record remembers its own
//! `disk_name` and twins get a ` (2)` suffix on disk only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::config::DriveSimConfig;
use crate::model::{
    FOLDER_MIME, FileRecord, Grantee, PermissionRecord, Role, permission_id_for, random_hex, sanitize_disk_name,
    twin_disk_name,
};

const INDEX_VERSION: u32 = 1;

/// A public key the simulator issued, so assertions signed with its private half verify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub private_key_id: String,
    pub client_email: String,
    pub public_key_pem: String,
    /// The `token_uri` written into the key file (accepted as `aud` even after a port change).
    pub token_uri: String,
    pub created_ms: i64,
}

/// An e-mail Drive would have sent for `sendNotificationEmail=true`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub file_id: String,
    pub email: String,
    pub role: String,
    pub at_ms: i64,
}

/// Everything persisted in `index.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Index {
    pub version: u32,
    /// Signs access tokens, so tokens survive a restart like Google's do.
    pub token_secret: String,
    pub next_seq: u64,
    pub files: BTreeMap<String, FileRecord>,
    /// Ids handed out by `files.generateIds` and not used yet.
    pub generated_ids: BTreeSet<String>,
    pub keys: Vec<KeyRecord>,
    /// Each person's (or service account's) My-Drive root id.
    pub my_drive_roots: BTreeMap<String, String>,
    pub notifications: Vec<Notification>,
}

/// The index in memory plus where things live on disk. Guarded by one async mutex in the state.
pub(crate) struct Store {
    pub drive_dir: PathBuf,
    pub index: Index,
}

impl Store {
    /// Opens (or creates) the store and makes sure every configured drive and folder exists.
    pub async fn open(config: &DriveSimConfig, now_ms: i64) -> anyhow::Result<Store> {
        let drive_dir = config.data_dir.join("drive");
        let meta_dir = drive_dir.join(".drive-sim");
        tokio::fs::create_dir_all(meta_dir.join("uploads"))
            .await
            .with_context(|| format!("cannot create {}", meta_dir.display()))?;
        let index_path = meta_dir.join("index.json");
        let index = match tokio::fs::read(&index_path).await {
            Ok(bytes) => serde_json::from_slice::<Index>(&bytes)
                .with_context(|| format!("cannot parse {}", index_path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Index { version: INDEX_VERSION, token_secret: random_hex(32), ..Index::default() }
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", index_path.display())),
        };
        let mut store = Store { drive_dir, index };
        store.seed(config, now_ms).await?;
        store.persist().await?;
        Ok(store)
    }

    /// Creates configured Shared Drives and My-Drive folders that are missing. Existing ones keep
    /// whatever happened to them since (new members, renames).
    async fn seed(&mut self, config: &DriveSimConfig, now_ms: i64) -> anyhow::Result<()> {
        for drive in &config.shared_drives {
            if self.index.files.contains_key(&drive.id) {
                continue;
            }
            let members = drive.members.iter().map(|m| user_permission(&m.email, m.role)).collect();
            let mut root = self.new_record(&drive.id, &drive.name, FOLDER_MIME, None, now_ms);
            root.root = true;
            root.drive_id = Some(drive.id.clone());
            root.permissions = members;
            root.disk_name = self.unique_disk_name(None, &drive.name, None);
            self.insert_and_mkdir(root).await?;
        }
        for folder in &config.my_drive_folders {
            if self.index.files.contains_key(&folder.id) {
                continue;
            }
            let root_id = self.my_drive_root(&folder.owner, now_ms).await?;
            let mut record = self.new_record(&folder.id, &folder.name, FOLDER_MIME, Some(root_id.clone()), now_ms);
            record.owner = Some(folder.owner.clone());
            record.permissions = folder.shared_with.iter().map(|m| user_permission(&m.email, m.role)).collect();
            record.disk_name = self.unique_disk_name(Some(&root_id), &folder.name, None);
            self.insert_and_mkdir(record).await?;
        }
        Ok(())
    }

    /// The id of `email`'s My-Drive root, created on first use (`'root'` in the API).
    pub async fn my_drive_root(&mut self, email: &str, now_ms: i64) -> anyhow::Result<String> {
        let key = email.to_ascii_lowercase();
        if let Some(id) = self.index.my_drive_roots.get(&key) {
            return Ok(id.clone());
        }
        let id = format!("0AMyDrive{}", &random_hex(8));
        let mut root = self.new_record(&id, "My Drive", FOLDER_MIME, None, now_ms);
        root.root = true;
        root.owner = Some(email.to_owned());
        root.disk_name = self.unique_disk_name(None, &format!("My Drive ({email})"), None);
        self.insert_and_mkdir(root).await?;
        self.index.my_drive_roots.insert(key, id.clone());
        Ok(id)
    }

    async fn insert_and_mkdir(&mut self, record: FileRecord) -> anyhow::Result<()> {
        let id = record.id.clone();
        self.index.files.insert(id.clone(), record);
        let path = self.disk_path(&id).context("a new record has no disk path")?;
        tokio::fs::create_dir_all(&path).await.with_context(|| format!("cannot create {}", path.display()))
    }

    /// A record with the bookkeeping filled in; the caller sets owner, drive and disk name.
    pub fn new_record(&mut self, id: &str, name: &str, mime: &str, parent: Option<String>, now_ms: i64) -> FileRecord {
        self.index.next_seq += 1;
        FileRecord {
            id: id.to_owned(),
            name: name.to_owned(),
            mime_type: mime.to_owned(),
            parent,
            drive_id: None,
            owner: None,
            root: false,
            trashed: false,
            created_ms: now_ms,
            modified_ms: now_ms,
            size: None,
            md5: None,
            disk_name: String::new(),
            description: None,
            app_properties: BTreeMap::new(),
            permissions: Vec::new(),
            seq: self.index.next_seq,
        }
    }

    pub fn get(&self, id: &str) -> Option<&FileRecord> {
        self.index.files.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut FileRecord> {
        self.index.files.get_mut(id)
    }

    /// The item and its ancestors, nearest first, ending at a root.
    pub fn chain(&self, id: &str) -> Vec<&FileRecord> {
        let mut chain = Vec::new();
        let mut next = self.get(id);
        while let Some(record) = next {
            // A corrupt index with a parent cycle must not hang a request.
            if chain.len() > 256 {
                break;
            }
            chain.push(record);
            next = record.parent.as_deref().and_then(|p| self.get(p));
        }
        chain
    }

    /// Trashing a folder trashes everything under it, without marking each child.
    pub fn effectively_trashed(&self, id: &str) -> bool {
        self.chain(id).iter().any(|r| r.trashed)
    }

    /// Where the item's bytes (or directory) are on disk.
    pub fn disk_path(&self, id: &str) -> Option<PathBuf> {
        let chain = self.chain(id);
        let root = chain.last()?;
        if !root.root {
            return None;
        }
        let mut path = self.drive_dir.clone();
        for record in chain.iter().rev() {
            path.push(&record.disk_name);
        }
        Some(path)
    }

    /// A disk name for `name` under `parent` that no sibling (other than `exclude`) uses.
    pub fn unique_disk_name(&self, parent: Option<&str>, name: &str, exclude: Option<&str>) -> String {
        let base = sanitize_disk_name(name);
        let taken: BTreeSet<String> = self
            .index
            .files
            .values()
            .filter(|r| r.parent.as_deref() == parent && Some(r.id.as_str()) != exclude)
            .map(|r| r.disk_name.to_lowercase())
            .collect();
        if !taken.contains(&base.to_lowercase()) {
            return base;
        }
        (2u32..)
            .map(|n| twin_disk_name(&base, n))
            .find(|candidate| !taken.contains(&candidate.to_lowercase()))
            .unwrap_or(base)
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.drive_dir.join(".drive-sim").join("uploads")
    }

    /// Writes the index atomically (temp file + rename), so a crash leaves the old or the new one.
    pub async fn persist(&self) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.index).context("cannot serialise the index")?;
        let meta_dir = self.drive_dir.join(".drive-sim");
        write_atomically(&meta_dir.join("index.json"), &bytes).await
    }
}

/// Temp file + rename in the same directory.
pub(crate) async fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", random_hex(4)));
    tokio::fs::write(&tmp, bytes).await.with_context(|| format!("cannot write {}", tmp.display()))?;
    tokio::fs::rename(&tmp, path).await.with_context(|| format!("cannot rename {} into place", tmp.display()))
}

/// A user permission as Drive would store it (id derived from the account).
pub(crate) fn user_permission(email: &str, role: Role) -> PermissionRecord {
    PermissionRecord {
        id: permission_id_for(email),
        grantee: Grantee::User,
        role,
        email: Some(email.to_owned()),
        domain: None,
        allow_file_discovery: false,
    }
}

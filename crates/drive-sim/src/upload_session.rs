//! Resumable upload sessions: what each one will create, how many bytes it holds, when it expires.
//!
//! A session is `<id>.json` (its plan, written once) plus `<id>.part` (the bytes so far) under
//! `.drive-sim/uploads/`. The stored offset *is* the length of the part file — handlers truncate
//! it to what they acknowledge before answering — so a restarted simulator resumes every session
//! exactly where its last `308` said it was.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::create::PlannedFile;
use crate::model::rfc3339_ms;
use crate::storage::write_atomically;

/// Every chunk but the last must be a multiple of this (FACTS: 256 KiB).
pub(crate) const GRANULE: u64 = 256 * 1024;

/// What a session was opened for; persisted as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SessionMeta {
    pub upload_id: String,
    pub planned: PlannedFile,
    /// Who opened the session (chunks need no token: the session URI is the credential).
    #[serde(default)]
    pub initiator: String,
    /// Declared with `X-Upload-Content-Length`, or learned from the first `Content-Range` total.
    pub total: Option<u64>,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// The file id once the upload finished: later status queries answer 200 with it.
    pub completed: Option<String>,
}

/// A live session. Its mutex serialises requests on one session, as Google does.
pub(crate) struct Session {
    pub meta: SessionMeta,
    pub offset: u64,
    /// MD5 of bytes `0..offset`, kept while bytes arrive in order; `None` after a restart or a
    /// truncation, in which case completion re-reads the part file.
    pub md5: Option<Md5>,
}

/// A session as the inspection API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UploadSessionInfo {
    pub upload_id: String,
    pub name: String,
    pub parent: String,
    /// Bytes stored so far.
    pub offset: u64,
    pub total: Option<u64>,
    pub created_at: String,
    pub expires_at: String,
    pub completed_file_id: Option<String>,
}

/// All sessions of one simulator.
pub(crate) struct Sessions {
    dir: PathBuf,
    map: std::sync::Mutex<HashMap<String, Arc<Mutex<Session>>>>,
}

impl Sessions {
    /// Loads the sessions a previous run left behind, deleting expired ones and the leftovers
    /// of simple uploads that were cut off by a crash.
    pub async fn load(dir: PathBuf, now_ms: i64) -> anyhow::Result<Sessions> {
        let mut map = HashMap::new();
        let mut expired = Vec::new();
        let mut entries = tokio::fs::read_dir(&dir).await.with_context(|| format!("cannot list {}", dir.display()))?;
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with("simple-") {
                let _ = tokio::fs::remove_file(&path).await;
                continue;
            }
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = tokio::fs::read(&path).await?;
            let Ok(meta) = serde_json::from_slice::<SessionMeta>(&bytes) else {
                tracing::warn!(path = %path.display(), "unreadable upload session skipped");
                continue;
            };
            if meta.expires_ms <= now_ms {
                expired.push(meta.upload_id);
                continue;
            }
            let offset = match tokio::fs::metadata(dir.join(format!("{}.part", meta.upload_id))).await {
                Ok(m) => m.len(),
                Err(_) => 0,
            };
            let md5 = (offset == 0).then(Md5::new);
            map.insert(meta.upload_id.clone(), Arc::new(Mutex::new(Session { meta, offset, md5 })));
        }
        let sessions = Sessions { dir, map: std::sync::Mutex::new(map) };
        for upload_id in expired {
            sessions.remove(&upload_id).await;
        }
        Ok(sessions)
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Mutex<Session>>>> {
        // A poisoned map only means another request panicked mid-insert; the map itself is fine.
        self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn part_path(&self, upload_id: &str) -> PathBuf {
        self.dir.join(format!("{upload_id}.part"))
    }

    fn meta_path(&self, upload_id: &str) -> PathBuf {
        self.dir.join(format!("{upload_id}.json"))
    }

    /// Opens a session: an empty part file and its plan on disk, then the map.
    pub async fn create(&self, meta: SessionMeta) -> anyhow::Result<()> {
        tokio::fs::write(self.part_path(&meta.upload_id), b"").await?;
        self.save(&meta).await?;
        let session = Session { meta: meta.clone(), offset: 0, md5: Some(Md5::new()) };
        self.map().insert(meta.upload_id, Arc::new(Mutex::new(session)));
        Ok(())
    }

    pub async fn save(&self, meta: &SessionMeta) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec_pretty(meta)?;
        write_atomically(&self.meta_path(&meta.upload_id), &bytes).await
    }

    pub fn get(&self, upload_id: &str) -> Option<Arc<Mutex<Session>>> {
        self.map().get(upload_id).cloned()
    }

    /// Forgets a session and deletes its files (an expired session is gone for good: 404).
    pub async fn remove(&self, upload_id: &str) {
        self.map().remove(upload_id);
        for path in [self.part_path(upload_id), self.meta_path(upload_id)] {
            if let Err(e) = tokio::fs::remove_file(&path).await
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot delete upload session file");
            }
        }
    }

    /// Snapshot for inspection. Sessions busy with a chunk report their last settled offset.
    pub async fn infos(&self) -> Vec<UploadSessionInfo> {
        let sessions: Vec<_> = self.map().values().cloned().collect();
        let mut out = Vec::with_capacity(sessions.len());
        for session in sessions {
            let s = session.lock().await;
            out.push(UploadSessionInfo {
                upload_id: s.meta.upload_id.clone(),
                name: s.meta.planned.name.clone(),
                parent: s.meta.planned.parent.clone(),
                offset: s.offset,
                total: s.meta.total,
                created_at: rfc3339_ms(s.meta.created_ms),
                expires_at: rfc3339_ms(s.meta.expires_ms),
                completed_file_id: s.meta.completed.clone(),
            });
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.upload_id.cmp(&b.upload_id)));
        out
    }
}

/// MD5 of a whole file, read in 1 MiB blocks off the async workers.
pub(crate) async fn md5_of_file(path: PathBuf) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        use std::io::Read;
        let mut file = std::fs::File::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut hasher = Md5::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex::encode(hasher.finalize()))
    })
    .await?
}

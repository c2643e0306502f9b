//! The simulator's own secrets, kept per data directory: the OAuth client secret and the webhook
//! secret token.
//!
//! A simulator that anyone can reach must not sign with a published constant, or anyone could
//! forge its webhooks and get its tokens. [`SimSecrets::load_or_create`] generates both once
//! (32 random bytes each, hex) into `secrets.json` in the simulator's data directory, readable by
//! its owner only, and hands back the same ones on every later start, so a restarted process keeps
//! accepting the deliveries its simulator signed before. The [`config`](crate::config) constants
//! stay the library's defaults for tests, which run the simulator in memory.
//!
//! The file is created the way the runtime creates its JWT key (a private temporary file
//! hard-linked into place), written here because the simulator depends on nothing of the runtime.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::config::ZoomSimConfig;

/// The file name inside the simulator's data directory.
pub const SECRETS_FILE: &str = "secrets.json";

/// Shorter secrets mean a damaged file: it is refused rather than replaced, since replacing would
/// silently invalidate what was configured from it.
const MIN_SECRET_CHARS: usize = 32;

/// The OAuth client secret and the webhook secret token of one simulator. `Debug` redacts both.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimSecrets {
    pub client_secret: String,
    pub webhook_secret_token: String,
}

impl std::fmt::Debug for SimSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSecrets").finish_non_exhaustive()
    }
}

impl SimSecrets {
    /// Fresh random secrets.
    pub fn generate() -> Self {
        Self {
            client_secret: hex::encode(rand::random::<[u8; 32]>()),
            webhook_secret_token: hex::encode(rand::random::<[u8; 32]>()),
        }
    }

    /// Reads `<dir>/secrets.json`, creating it (mode 0600) with fresh secrets on first use.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(SECRETS_FILE);
        if let Some(secrets) = read(&path)? {
            return Ok(secrets);
        }
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let secrets = Self::generate();
        let content = serde_json::to_vec_pretty(&secrets)?;
        // A private temporary file hard-linked into place: the link fails if the file exists, so
        // two processes starting together agree on one set, and nobody reads a half-written file.
        let temporary = dir.join(format!(".{SECRETS_FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let linked = write_private(&temporary, &content)
            .and_then(|()| fs::hard_link(&temporary, &path).map_err(anyhow::Error::from));
        if let Err(error) = fs::remove_file(&temporary)
            && error.kind() != ErrorKind::NotFound
        {
            tracing::warn!(path = %temporary.display(), %error, "cannot remove a temporary secrets file");
        }
        match linked {
            Ok(()) => {
                tracing::info!(path = %path.display(), "generated the zoom simulator's secrets");
                Ok(secrets)
            }
            Err(error)
                if error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == ErrorKind::AlreadyExists) =>
            {
                read(&path)?.with_context(|| format!("{} disappeared while it was being created", path.display()))
            }
            Err(error) => Err(error.context(format!("cannot create {}", path.display()))),
        }
    }

    /// Where [`load_or_create`](Self::load_or_create) keeps the secrets of `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(SECRETS_FILE)
    }
}

impl ZoomSimConfig {
    /// The same configuration accepting and signing with `secrets`.
    pub fn with_secrets(mut self, secrets: SimSecrets) -> Self {
        self.client_secret = secrets.client_secret;
        self.webhook_secret_token = secrets.webhook_secret_token;
        self
    }
}

fn read(path: &Path) -> anyhow::Result<Option<SimSecrets>> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", path.display())),
    };
    let damaged = || format!("{} holds no usable secrets; delete it to generate new ones", path.display());
    let secrets: SimSecrets = serde_json::from_slice(&text).with_context(damaged)?;
    anyhow::ensure!(
        secrets.client_secret.len() >= MIN_SECRET_CHARS && secrets.webhook_secret_token.len() >= MIN_SECRET_CHARS,
        damaged()
    );
    Ok(Some(secrets))
}

fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content).with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all().with_context(|| format!("cannot sync {}", path.display()))?;
    Ok(())
}

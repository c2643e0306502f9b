//! The HS256 key of embedded mode, generated once into the data directory.
//!
//! The file holds 64 hex characters (32 random bytes) and those characters themselves are the HMAC
//! key, exactly as if they had been given in `AUTH_JWT_HS256_SECRET`: an operator who outgrows
//! embedded mode can copy the file's content into the variable and keep every issued token valid.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::Path;

use anyhow::Context as _;

/// The key's file name inside the data directory.
pub const KEY_FILE_NAME: &str = "jwt-hs256.key";

/// Shorter content means a damaged file; we refuse it rather than replace it, since replacing
/// would silently invalidate every token already handed out.
const MIN_KEY_BYTES: usize = 32;

/// Reads `<data_dir>/jwt-hs256.key`, creating it (mode 0600) on first use.
pub(super) fn load_or_create(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(KEY_FILE_NAME);
    if let Some(key) = read(&path)? {
        return Ok(key);
    }
    fs::create_dir_all(data_dir).with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let key = hex::encode(rand::random::<[u8; 32]>());
    // Write a private temporary file, then hard-link it into place: the link fails if the key
    // already exists, so two processes starting together (the server and `butterboard token`)
    // agree on one key, and nobody ever reads a half-written file.
    let temporary = data_dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = write_private(&temporary, key.as_bytes());
    let linked = written.and_then(|()| fs::hard_link(&temporary, &path).map_err(anyhow::Error::from));
    if let Err(error) = fs::remove_file(&temporary)
        && error.kind() != ErrorKind::NotFound
    {
        tracing::warn!(path = %temporary.display(), %error, "cannot remove a temporary key file");
    }
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated the jwt signing key of embedded mode");
            Ok(key.into_bytes())
        }
        Err(error) if error.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == ErrorKind::AlreadyExists) => {
            read(&path)?.with_context(|| format!("{} disappeared while it was being created", path.display()))
        }
        Err(error) => Err(error.context(format!("cannot create the jwt signing key {}", path.display()))),
    }
}

fn read(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read the jwt signing key {}", path.display())),
    };
    let key = text.trim();
    anyhow::ensure!(
        key.len() >= MIN_KEY_BYTES,
        "{} holds no usable key; delete it to generate a new one (tokens issued with it stop working)",
        path.display()
    );
    warn_if_readable_by_others(path);
    Ok(Some(key.as_bytes().to_vec()))
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

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(metadata) = fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the jwt signing key is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

//! What a simulator instance looks like: where it keeps files, which drives and accounts exist,
//! the organisation's sharing policy, session lifetimes and the faults to inject from the start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::faults::FaultRule;
use crate::model::Role;

/// Configuration of one simulator. Every field has a sensible default except the data directory;
/// the struct deserialises from TOML/JSON so `butterboard sim` can layer it like any other config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DriveSimConfig {
    /// Files live in `<data_dir>/drive/…`, the index in `<data_dir>/drive/.drive-sim/`.
    pub data_dir: PathBuf,
    /// Google Cloud project of the service accounts (goes into the key files).
    pub project_id: String,
    /// The Workspace domain: `domain` permissions match callers whose e-mail ends in `@<domain>`.
    pub domain: String,
    /// Service accounts that may exchange key-file assertions for tokens.
    pub service_accounts: Vec<ServiceAccountConfig>,
    /// People of the domain (owners of My-Drive folders, targets of domain-wide delegation).
    pub users: Vec<String>,
    /// Shared Drives to create when missing.
    pub shared_drives: Vec<SharedDriveConfig>,
    /// Folders in somebody's My Drive to create when missing.
    pub my_drive_folders: Vec<MyDriveFolderConfig>,
    /// The organisation's policy: refuse `type: anyone` permissions with 403.
    pub refuse_anyone_permissions: bool,
    /// Resumable sessions live this long (Google: one week).
    pub session_ttl_secs: u64,
    /// Access tokens live this long (Google: one hour).
    pub access_token_ttl_secs: u64,
    /// Faults active from the start (more can be added at run time).
    pub faults: Vec<FaultRule>,
    /// How many requests the inspection log keeps.
    pub request_log_capacity: usize,
}

/// A service account known to the simulator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceAccountConfig {
    /// `client_email` of its key files, e.g. `archiver@project.iam.gserviceaccount.com`.
    pub email: String,
    /// Whether the Workspace admin granted domain-wide delegation (JWT `sub` accepted).
    #[serde(default)]
    pub domain_wide_delegation: bool,
}

/// A Shared Drive: its id doubles as the id of its root folder, as in Drive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedDriveConfig {
    pub id: String,
    pub name: String,
    /// Members and their roles (`organizer`, `fileOrganizer` = content manager, `writer`, …).
    #[serde(default)]
    pub members: Vec<MemberConfig>,
}

/// A folder in a person's My Drive, optionally shared with others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MyDriveFolderConfig {
    pub id: String,
    pub name: String,
    /// The person whose My Drive holds the folder.
    pub owner: String,
    /// Direct permissions on the folder (e.g. the service account as writer, which is how people
    /// end up pointing a service account at a My-Drive folder and hitting `storageQuotaExceeded`).
    #[serde(default)]
    pub shared_with: Vec<MemberConfig>,
}

/// One e-mail address and its role.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberConfig {
    pub email: String,
    pub role: Role,
}

/// The default service account of a fresh simulator.
pub const DEFAULT_SERVICE_ACCOUNT: &str = "archiver@butterboard-sim.iam.gserviceaccount.com";
/// The default Shared Drive (id and name).
pub const DEFAULT_SHARED_DRIVE_ID: &str = "0ASimRecordingsUk9PVA";
pub const DEFAULT_SHARED_DRIVE_NAME: &str = "Butterboard Recordings";
/// The default My-Drive folder (id, name, owner).
pub const DEFAULT_MY_DRIVE_FOLDER_ID: &str = "1SimMyDriveOnboardingFolder000000";
pub const DEFAULT_MY_DRIVE_FOLDER_NAME: &str = "Onboarding";
pub const DEFAULT_USER: &str = "hr@butterboard.example";

impl Default for DriveSimConfig {
    fn default() -> Self {
        DriveSimConfig::new("./data")
    }
}

impl DriveSimConfig {
    /// Defaults: one service account that is a content manager of one Shared Drive, one person
    /// (`hr@butterboard.example`) whose My-Drive folder is shared with the service account, and
    /// `anyone` permissions refused (ARCHITECTURE §7: never "anyone with the link").
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        let service_account = MemberConfig { email: DEFAULT_SERVICE_ACCOUNT.to_owned(), role: Role::FileOrganizer };
        DriveSimConfig {
            data_dir: data_dir.into(),
            project_id: "butterboard-sim".to_owned(),
            domain: "butterboard.example".to_owned(),
            service_accounts: vec![ServiceAccountConfig {
                email: DEFAULT_SERVICE_ACCOUNT.to_owned(),
                domain_wide_delegation: false,
            }],
            users: vec![DEFAULT_USER.to_owned()],
            shared_drives: vec![SharedDriveConfig {
                id: DEFAULT_SHARED_DRIVE_ID.to_owned(),
                name: DEFAULT_SHARED_DRIVE_NAME.to_owned(),
                members: vec![
                    MemberConfig { email: DEFAULT_USER.to_owned(), role: Role::Organizer },
                    service_account.clone(),
                ],
            }],
            my_drive_folders: vec![MyDriveFolderConfig {
                id: DEFAULT_MY_DRIVE_FOLDER_ID.to_owned(),
                name: DEFAULT_MY_DRIVE_FOLDER_NAME.to_owned(),
                owner: DEFAULT_USER.to_owned(),
                shared_with: vec![MemberConfig { role: Role::Writer, ..service_account }],
            }],
            refuse_anyone_permissions: true,
            session_ttl_secs: 7 * 24 * 3600,
            access_token_ttl_secs: 3600,
            faults: Vec::new(),
            request_log_capacity: 10_000,
        }
    }

    /// Checks what would otherwise fail confusingly later: ids must be unique and non-empty, the
    /// owners of My-Drive folders must be known people.
    pub fn validate(&self) -> anyhow::Result<()> {
        let mut ids = std::collections::HashSet::new();
        let drive_ids = self.shared_drives.iter().map(|d| &d.id);
        let folder_ids = self.my_drive_folders.iter().map(|f| &f.id);
        for id in drive_ids.chain(folder_ids) {
            anyhow::ensure!(!id.is_empty(), "drive-sim config: an id is empty");
            anyhow::ensure!(ids.insert(id.clone()), "drive-sim config: id {id} is used twice");
        }
        for folder in &self.my_drive_folders {
            anyhow::ensure!(
                self.users.iter().any(|u| u.eq_ignore_ascii_case(&folder.owner)),
                "drive-sim config: owner {} of folder {} is not in `users`",
                folder.owner,
                folder.name
            );
        }
        anyhow::ensure!(self.session_ttl_secs > 0, "drive-sim config: session_ttl_secs must be positive");
        anyhow::ensure!(self.access_token_ttl_secs > 0, "drive-sim config: access_token_ttl_secs must be positive");
        Ok(())
    }

    /// Whether `email` is a configured service account.
    pub(crate) fn service_account(&self, email: &str) -> Option<&ServiceAccountConfig> {
        self.service_accounts.iter().find(|sa| sa.email.eq_ignore_ascii_case(email))
    }

    pub(crate) fn is_user(&self, email: &str) -> bool {
        self.users.iter().any(|u| u.eq_ignore_ascii_case(email))
    }
}

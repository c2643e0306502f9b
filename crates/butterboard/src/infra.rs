//! The bus and the stores a process uses, chosen by the run mode.

use std::sync::Arc;

use anyhow::Context as _;
use butterboard_runtime::bus::EventBus;
use butterboard_runtime::bus::embedded::{EmbeddedBus, EmbeddedOptions};
use butterboard_runtime::bus::jetstream::JetStreamBus;
use butterboard_runtime::config::{Config, Mode};
use butterboard_runtime::service::ServiceName;
use butterboard_runtime::store::Store;

/// The embedded bus's file inside the data directory.
pub const BUS_FILE: &str = "bus.sqlite";

/// The bus of a process; `jetstream` is set in distributed mode, for what only JetStream needs.
pub struct OpenedBus {
    pub bus: Arc<dyn EventBus>,
    pub jetstream: Option<JetStreamBus>,
}

/// Connects to NATS JetStream (distributed) or opens the embedded bus (embedded).
pub async fn open_bus(config: &Config) -> anyhow::Result<OpenedBus> {
    match (config.mode(), &config.nats_url) {
        (Mode::Distributed, Some(url)) => {
            let bus = JetStreamBus::connect(url, config.bus_namespace.as_deref())
                .await
                .context("NATS_URL: cannot reach NATS JetStream")?;
            Ok(OpenedBus { bus: Arc::new(bus.clone()), jetstream: Some(bus) })
        }
        (Mode::Distributed, None) => anyhow::bail!("NATS_URL is required in distributed mode (database URLs are set)"),
        (Mode::Embedded, _) => {
            let path = config.data_dir.join(BUS_FILE);
            let options = EmbeddedOptions { synchronous: config.sqlite_synchronous, ..EmbeddedOptions::default() };
            let bus = EmbeddedBus::open_with(&path, options)
                .await
                .with_context(|| format!("cannot open the embedded bus at {}", path.display()))?;
            Ok(OpenedBus { bus: Arc::new(bus), jetstream: None })
        }
    }
}

/// Connects to a service's database (distributed) or opens its SQLite file (embedded), and
/// applies its migrations.
pub async fn open_store(config: &Config, service: ServiceName) -> anyhow::Result<Store> {
    let store = match config.mode() {
        Mode::Distributed => {
            let url = config.database_url(service)?;
            Store::connect(url.expose(), 10)
                .await
                .with_context(|| format!("{}: cannot connect to the database", service.database_env()))?
        }
        Mode::Embedded => {
            let path = config.data_dir.join(format!("{service}.sqlite"));
            Store::open_sqlite_with(&path, config.sqlite_synchronous)
                .await
                .with_context(|| format!("cannot open {}", path.display()))?
        }
    };
    store
        .migrate(&crate::services::migrations(service))
        .await
        .with_context(|| format!("{service}: migrations failed"))?;
    Ok(store)
}

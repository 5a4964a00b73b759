//! The command line: the flags of [server-start] and where users are kept (`--store`).

use crate::error::BoxError;
use cognito_signup::{MemoryStore, PoolCatalog, UserStore};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the server listens without `--listen`.
const DEFAULT_LISTEN: &str = "127.0.0.1:9229";

pub(crate) struct Args {
    pub(crate) config: Option<PathBuf>,
    pub(crate) listen: SocketAddr,
    pub(crate) outbox: Option<PathBuf>,
    pub(crate) store: StoreSpec,
}

/// Where users are kept (`--store`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StoreSpec {
    /// In memory (the default): lost on exit.
    Memory,
    /// A SQLite database file (WAL), created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by every server that names it.
    Postgres(String),
}

/// The opened store, seen as the users' store and as the catalog of pools and clients made
/// through the API ([server-management]): one value, so that deleting a pool removes its users in
/// the same transaction.
#[derive(Clone)]
pub(crate) struct Opened {
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) catalog: Arc<dyn PoolCatalog>,
}

impl Opened {
    fn of<S: UserStore + PoolCatalog + 'static>(store: Arc<S>) -> Self {
        Self {
            users: Arc::clone(&store) as Arc<dyn UserStore>,
            catalog: store,
        }
    }
}

impl StoreSpec {
    fn parse(spec: &str) -> Result<Self, BoxError> {
        if spec == "memory" {
            Ok(StoreSpec::Memory)
        } else if let Some(path) = spec.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("--store sqlite:PATH needs a file path".into());
            }
            Ok(StoreSpec::Sqlite(PathBuf::from(path)))
        } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Ok(StoreSpec::Postgres(spec.to_owned()))
        } else {
            Err(format!(
                "--store: expected memory, sqlite:PATH or postgres://..., not {spec:?}\n{USAGE}"
            )
            .into())
        }
    }

    /// The store, opened (and its schema migrated).
    pub(crate) fn open(&self) -> Result<Opened, BoxError> {
        Ok(match self {
            StoreSpec::Memory => Opened::of(Arc::new(MemoryStore::new())),
            StoreSpec::Sqlite(path) => Opened::of(Arc::new(
                cognito_signup_sqlite::SqliteStore::open(path)
                    .map_err(|e| format!("--store sqlite:{}: {e}", path.display()))?,
            )),
            // The URL may carry a password: it is never printed.
            StoreSpec::Postgres(url) => Opened::of(Arc::new(
                cognito_signup_postgres::PostgresStore::connect(url)
                    .map_err(|e| format!("--store postgres://...: {e}"))?,
            )),
        })
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            StoreSpec::Memory => "memory".to_owned(),
            StoreSpec::Sqlite(path) => format!("sqlite:{}", path.display()),
            StoreSpec::Postgres(_) => "postgres".to_owned(),
        }
    }
}

const USAGE: &str = "usage: server [--config CONFIG.json] [--listen 127.0.0.1:PORT] [--outbox OUTBOX.jsonl] [--store memory|sqlite:PATH|postgres://...]";

pub(crate) fn parse_args() -> Result<Args, BoxError> {
    let mut config = None;
    let mut listen: SocketAddr = DEFAULT_LISTEN.parse()?;
    let mut outbox = None;
    let mut store = StoreSpec::Memory;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--config" => config = Some(PathBuf::from(value("--config")?)),
            "--listen" => {
                let v = value("--listen")?;
                listen = v
                    .parse()
                    .map_err(|e| format!("--listen {v}: {e} (expected e.g. 127.0.0.1:9229)"))?;
            }
            "--outbox" => outbox = Some(PathBuf::from(value("--outbox")?)),
            "--store" => store = StoreSpec::parse(&value("--store")?)?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}").into()),
        }
    }
    Ok(Args {
        config,
        listen,
        outbox,
        store,
    })
}

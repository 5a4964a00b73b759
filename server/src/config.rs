//! The config file ([server-config], [server-config-reading]) and the master keys that tag
//! confirmation codes ([server-code-keys]): what the server serves, read once at start.

use crate::args::StoreSpec;
use crate::error::BoxError;
use cognito_signup::{AppClient, CodeKeys, StaticDirectory, UserPool};
use serde::Deserialize;
use std::path::PathBuf;

/// An access key allowed to call the admin operations.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AdminCredential {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
}

/// The server's own configuration: the members of [server-config] that are not a pool's.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ServerConfig {
    #[serde(default = "default_region")]
    pub(crate) region: String,
    #[serde(default)]
    pub(crate) admin_credentials: Vec<AdminCredential>,
    #[serde(default)]
    pub(crate) lambda_endpoint: Option<String>,
    /// The project's extension: Base64 master keys for code tags, newest first (see
    /// `docs/server.md`). Each pool's key ring derives from them.
    #[serde(default)]
    code_keys: Vec<String>,
    #[serde(default)]
    user_pools: Vec<serde_json::Value>,
}

/// The part of a pool entry that belongs to the server: its clients.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolClients {
    #[serde(default)]
    clients: Vec<AppClient>,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// The pool and client served without `--config`, and the local admin key pair.
pub(crate) const DEFAULT_CONFIG: &str = r#"{
  "Region": "us-east-1",
  "AdminCredentials": [{"AccessKeyId": "AKIDLOCAL", "SecretAccessKey": "local-secret"}],
  "UserPools": [{
    "Id": "us-east-1_LocalPool",
    "AutoVerifiedAttributes": ["email"],
    "UsernameConfiguration": {"CaseSensitive": false},
    "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true,
                 "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}},
    "Clients": [{"ClientId": "localclient"}]
  }]
}"#;

/// 32 fresh random bytes: a pool's code-tagging key, made at start and never stored.
fn random_key() -> Result<[u8; 32], BoxError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| e.to_string())?;
    Ok(key)
}

/// The environment variable that may carry the master code keys (comma-separated Base64, newest
/// first); it wins over the config's `CodeKeys`.
const CODE_KEYS_ENV: &str = "COGNITO_SIGNUP_CODE_KEYS";

/// The master keys that tag confirmation codes, newest first.
///
/// A code issued before a restart, or by another server sharing the database, verifies only with
/// the key that tagged it, so a durable store needs keys that outlive the process: from
/// `COGNITO_SIGNUP_CODE_KEYS`, else from the config's `CodeKeys`, else (SQLite only) from a key
/// file kept beside the database and created on first start. PostgreSQL, shared by many servers,
/// needs the keys configured. The in-memory store draws a fresh key at each start.
fn master_keys(configured: &[String], store: &StoreSpec) -> Result<Vec<Vec<u8>>, BoxError> {
    use base64::Engine as _;
    let b64 = &base64::engine::general_purpose::STANDARD;
    let from_env = std::env::var(CODE_KEYS_ENV).ok();
    let listed: Vec<String> = match &from_env {
        Some(v) => v.split(',').map(|k| k.trim().to_owned()).collect(),
        None => configured.to_vec(),
    };
    let source = if from_env.is_some() {
        CODE_KEYS_ENV
    } else {
        "config: CodeKeys"
    };
    if !listed.is_empty() {
        let mut keys = Vec::with_capacity(listed.len());
        for (i, k) in listed.iter().enumerate() {
            let key = b64
                .decode(k.as_bytes())
                .map_err(|_| format!("{source}[{i}] is not Base64"))?;
            if key.len() < 16 {
                return Err(format!("{source}[{i}] is shorter than 16 bytes").into());
            }
            keys.push(key);
        }
        return Ok(keys);
    }
    match store {
        StoreSpec::Memory => Ok(vec![random_key()?.to_vec()]),
        StoreSpec::Sqlite(db) => {
            let mut path = db.clone().into_os_string();
            path.push(".code-keys");
            let path = PathBuf::from(path);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let key = b64
                        .decode(text.trim().as_bytes())
                        .map_err(|_| format!("{}: not a Base64 key", path.display()))?;
                    Ok(vec![key])
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let key = random_key()?;
                    write_private(&path, &b64.encode(key))?;
                    Ok(vec![key.to_vec()])
                }
                Err(e) => Err(format!("{}: {e}", path.display()).into()),
            }
        }
        StoreSpec::Postgres(_) => Err(format!(
            "--store postgres://... is shared by every server that names it, so they must tag \
             codes with the same keys: set CodeKeys in the config or {CODE_KEYS_ENV}"
        )
        .into()),
    }
}

/// Creates a file readable by its owner only, failing if it exists.
fn write_private(path: &std::path::Path, text: &str) -> Result<(), BoxError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()).into())
}

/// A pool's key ring: each master key, bound to the pool id by HMAC-SHA256. The same for
/// configured pools and for pools made through the API ([server-management]).
pub(crate) fn pool_keys(masters: &[Vec<u8>], pool_id: &str) -> Result<CodeKeys, BoxError> {
    use hmac::{KeyInit as _, Mac as _};
    let mut derived = Vec::with_capacity(masters.len());
    for m in masters {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(m).map_err(|e| e.to_string())?;
        mac.update(b"cognito-signup code key\0");
        mac.update(pool_id.as_bytes());
        derived.push(mac.finalize().into_bytes().to_vec());
    }
    Ok(CodeKeys::new(&derived)?)
}

pub(crate) struct Loaded {
    pub(crate) config: ServerConfig,
    pub(crate) directory: StaticDirectory,
    pub(crate) pools: Vec<(String, Vec<String>)>,
    /// The master code keys, newest first: pools made through the API derive theirs from them.
    pub(crate) masters: Vec<Vec<u8>>,
}

/// A configuration error that names where it is but never echoes a value (a mistyped secret
/// must not end up in a terminal or a CI log).
fn config_error(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> BoxError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let text = inner.to_string();
    let what = if text.starts_with("invalid type") || text.starts_with("invalid value") {
        let expected = text.split_once(", expected ").map_or("", |(_, rest)| {
            rest.split(" at line ").next().unwrap_or(rest)
        });
        format!("invalid value, expected {expected}")
    } else {
        text.split(" at line ")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let at = if inner.line() > 0 {
        format!(" (line {}, column {})", inner.line(), inner.column())
    } else {
        String::new()
    };
    format!("config: {prefix}{path}: {what}{at}").into()
}

pub(crate) fn load_config(text: &str, store: &StoreSpec) -> Result<Loaded, BoxError> {
    let config: ServerConfig =
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
            .map_err(|e| config_error("", e))?;
    let masters = master_keys(&config.code_keys, store)?;
    let mut directory = StaticDirectory::new();
    let mut pools = Vec::new();
    for (i, entry) in config.user_pools.iter().enumerate() {
        let prefix = format!("UserPools[{i}].");
        let pool: UserPool =
            serde_path_to_error::deserialize(entry).map_err(|e| config_error(&prefix, e))?;
        let clients = serde_path_to_error::deserialize::<_, PoolClients>(entry)
            .map_err(|e| config_error(&prefix, e))?
            .clients;
        let id = pool.id.clone();
        let keys = pool_keys(&masters, &id)?;
        directory.add_pool(pool, keys);
        let mut ids = Vec::new();
        for client in clients {
            ids.push(client.client_id.clone());
            directory.add_client(&id, client)?;
        }
        pools.push((id, ids));
    }
    Ok(Loaded {
        config,
        directory,
        pools,
        masters,
    })
}

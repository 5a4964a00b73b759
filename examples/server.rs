//! A local Cognito user pools endpoint for SignUp, ConfirmSignUp, ResendConfirmationCode,
//! AdminConfirmSignUp, AdminGetUser, AdminDisableUser and AdminEnableUser that boto3, the AWS
//! CLI and the AWS SDKs talk to unchanged.
//!
//! ```sh
//! cargo run --release --example server -- --config CONFIG.json --listen 127.0.0.1:PORT --outbox OUTBOX.jsonl
//! ```
//!
//! Its interface and its own decisions (code keys, timeouts, limits, SigV4) are in
//! `docs/server.md`. HTTP, SigV4 and Lambda calls live here; every decision about a request is
//! the library's: [`wire::decode`] makes the core's operation, this file answers its needs
//! (the in-memory store and directory through [`Driver::answer`], Lambda with an HTTP call, the
//! outbox with a file) and [`wire::encode_result`] makes the response.

use bytes::Bytes;
use cognito_signup::ops::{Need, Operation as _, Step};
use cognito_signup::protocol::{InvokeFailure, LambdaInvocation, LambdaReply};
use cognito_signup::wire::{self, WireResponse, WireSuccess};
use cognito_signup::{
    AppClient, CodeKeys, Driver, Error, Exception, HostError, MemoryStore, Message,
    StaticDirectory, UserPool, UserStore,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Where the server listens without `--listen`.
const DEFAULT_LISTEN: &str = "127.0.0.1:9229";
/// A client has this long to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A client has this long to send a request's body.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Memory for request bodies and their decoded requests, across every connection, in KiB.
/// Before its body is read, a request reserves [`DECODED_PER_BODY_BYTE`] times its declared
/// length (the largest body allowed when it declares none) and keeps it until it is answered;
/// one that cannot reserve within the body read timeout is answered TooManyRequestsException.
/// Small requests never wait (1,024 connections of 1 KiB bodies reserve 24 MiB); at most two
/// bodies of the largest size are read and decoded at once. Without it, 1,024 connections could
/// each hold a 1 MiB body and decode it to some 20 MiB.
const BODY_BUDGET_KIB: usize = 64 * 1024;
/// How much memory a body may take once decoded, per byte of body: a body of empty
/// `UserAttributes` entries (3 bytes each) decodes to 48 bytes an entry, and the vector holding
/// them is briefly one and a half times that while it grows.
const DECODED_PER_BODY_BYTE: usize = 24;
/// Connections served at once; further ones wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;
/// Connections served at once for one peer address: a single client cannot take the slots
/// every other client needs. Its further connections are closed as soon as they are accepted.
const MAX_CONNECTIONS_PER_PEER: usize = MAX_CONNECTIONS / 8;
/// A response write that makes no progress for this long (the client does not read) closes the
/// connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment variable that may set the write timeout, in whole seconds (1 to 3600).
const WRITE_TIMEOUT_ENV: &str = "COGNITO_SIGNUP_WRITE_TIMEOUT";
/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// [trigger-invocation]: each Lambda try gets this long, connection included.
const LAMBDA_TRY_TIMEOUT: Duration = Duration::from_secs(5);
/// [trigger-invocation]: at most this many tries.
const LAMBDA_TRIES: u32 = 3;
/// The largest Lambda response read (Lambda's own synchronous payload limit).
const LAMBDA_MAX_RESPONSE: usize = 6 * 1024 * 1024;
/// SigV4: how far X-Amz-Date may be from the server's clock.
const SIGNATURE_SKEW: Duration = Duration::from_secs(15 * 60);
/// The SigV4 service name of Cognito user pools.
const SIGNING_SERVICE: &str = "cognito-idp";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// -------------------------------------------------------------------------------------------
// Command line and configuration

struct Args {
    config: Option<PathBuf>,
    listen: SocketAddr,
    outbox: Option<PathBuf>,
    store: StoreSpec,
}

/// Where users are kept (`--store`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum StoreSpec {
    /// In memory (the default): lost on exit.
    Memory,
    /// A SQLite database file (WAL), created when missing.
    Sqlite(PathBuf),
    /// A PostgreSQL database shared by every server that names it.
    Postgres(String),
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
    fn open(&self) -> Result<Arc<dyn UserStore>, BoxError> {
        Ok(match self {
            StoreSpec::Memory => Arc::new(MemoryStore::new()),
            StoreSpec::Sqlite(path) => Arc::new(
                cognito_signup_sqlite::SqliteStore::open(path)
                    .map_err(|e| format!("--store sqlite:{}: {e}", path.display()))?,
            ),
            // The URL may carry a password: it is never printed.
            StoreSpec::Postgres(url) => Arc::new(
                cognito_signup_postgres::PostgresStore::connect(url)
                    .map_err(|e| format!("--store postgres://...: {e}"))?,
            ),
        })
    }

    fn describe(&self) -> String {
        match self {
            StoreSpec::Memory => "memory".to_owned(),
            StoreSpec::Sqlite(path) => format!("sqlite:{}", path.display()),
            StoreSpec::Postgres(_) => "postgres".to_owned(),
        }
    }
}

const USAGE: &str = "usage: server [--config CONFIG.json] [--listen 127.0.0.1:PORT] [--outbox OUTBOX.jsonl] [--store memory|sqlite:PATH|postgres://...]";

fn parse_args() -> Result<Args, BoxError> {
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

/// An access key allowed to call the admin operations.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AdminCredential {
    access_key_id: String,
    secret_access_key: String,
}

/// The server's own configuration: the members of [server-config] that are not a pool's.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerConfig {
    #[serde(default = "default_region")]
    region: String,
    #[serde(default)]
    admin_credentials: Vec<AdminCredential>,
    #[serde(default)]
    lambda_endpoint: Option<String>,
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
const DEFAULT_CONFIG: &str = r#"{
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

/// A pool's key ring: each master key, bound to the pool id by HMAC-SHA256.
fn pool_keys(masters: &[Vec<u8>], pool_id: &str) -> Result<CodeKeys, BoxError> {
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

struct Loaded {
    config: ServerConfig,
    directory: StaticDirectory,
    pools: Vec<(String, Vec<String>)>,
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

fn load_config(text: &str, store: &StoreSpec) -> Result<Loaded, BoxError> {
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
    })
}

// -------------------------------------------------------------------------------------------
// The outbox ([server-outbox]): every delivered message as one JSON line (how tests read codes,
// so the code is written unmasked).

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OutboxLine<'a> {
    user_pool_id: &'a str,
    username: &'a str,
    trigger_source: &'a str,
    delivery_medium: &'a str,
    attribute_name: &'a str,
    destination: &'a str,
    code: &'a str,
    message: &'a str,
}

struct Outbox {
    file: Option<Mutex<std::fs::File>>,
}

impl Outbox {
    /// Opens the outbox for appending, creating it readable and writable by its owner only
    /// (it holds live codes and addresses). An existing file open to its group or others is
    /// narrowed to its owner; no permission is ever added.
    fn create(path: Option<&PathBuf>) -> Result<Self, BoxError> {
        let file = match path {
            None => None,
            Some(p) => {
                let error = |e: std::io::Error| format!("--outbox {}: {e}", p.display());
                let mut options = std::fs::OpenOptions::new();
                options.create(true).append(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let file = options.open(p).map_err(error)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt as _;
                    let mode = file.metadata().map_err(error)?.permissions().mode();
                    if mode & 0o077 != 0 {
                        file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                            .map_err(error)?;
                    }
                }
                Some(Mutex::new(file))
            }
        };
        Ok(Self { file })
    }

    fn deliver(&self, m: &Message) -> Result<(), HostError> {
        let Some(file) = &self.file else {
            eprintln!(
                "delivered {} to a user of {} (pass --outbox FILE to read codes)",
                m.trigger_source, m.pool_id
            );
            return Ok(());
        };
        let mut line = serde_json::to_vec(&OutboxLine {
            user_pool_id: &m.pool_id,
            username: &m.username,
            trigger_source: m.trigger_source,
            delivery_medium: m.medium.as_str(),
            attribute_name: m.attribute.name(),
            destination: &m.destination,
            code: m.code.as_str(),
            message: &m.body,
        })?;
        line.push(b'\n');
        let mut file = file.lock().map_err(|_| "outbox lock poisoned")?;
        file.write_all(&line)?;
        file.flush()?;
        Ok(())
    }
}

// -------------------------------------------------------------------------------------------
// Lambda through the Invoke API ([server-lambda], [trigger-invocation])

struct Lambda {
    endpoint: Option<LambdaEndpoint>,
}

/// The environment variable naming a PEM file of roots trusted, beside Mozilla's, for an
/// `https` LambdaEndpoint.
const LAMBDA_CA_FILE_VAR: &str = "COGNITO_SIGNUP_LAMBDA_CA_FILE";

/// A LambdaEndpoint checked at start: where to connect, and how.
struct LambdaEndpoint {
    /// The host as the URL writes it, for the `Host` header.
    host: String,
    /// The host without an IPv6 address's brackets, to connect to.
    bare: String,
    port: u16,
    /// The path the Invoke API's path goes under (no trailing `/`).
    base: String,
    /// `https`: the TLS client and the name the certificate must be for.
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

impl LambdaEndpoint {
    /// Reads `LambdaEndpoint`: `http://` in plain text (port 80 by default), `https://` over TLS
    /// with the certificate verified (port 443 by default). Anything else is refused, never
    /// downgraded. The message never repeats the value (it could hold credentials).
    fn parse(text: &str, extra_roots: Option<&std::path::Path>) -> Result<Self, String> {
        let refuse = |why: &str| format!("config: LambdaEndpoint {why}");
        let authority = text
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default());
        if authority == Some("") {
            return Err(refuse("has no host"));
        }
        let uri: hyper::Uri = text
            .parse()
            .map_err(|e| refuse(&format!("is not a URL: {e}")))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(refuse(&format!(
                    "has the scheme {other:?}, which the server cannot use: write http:// or https://"
                )));
            }
            None => return Err(refuse("has no scheme: write http:// or https://")),
        };
        let host = match uri.host() {
            Some(h) if !h.is_empty() => h.to_owned(),
            _ => return Err(refuse("has no host")),
        };
        // The port as written: `Uri::port` is `None` for one out of range, not an error.
        let hostport = uri
            .authority()
            .map(|a| a.as_str().rsplit('@').next().unwrap_or_default())
            .unwrap_or_default();
        let after_host = hostport.rsplit_once(']').map_or(hostport, |(_, rest)| rest);
        let port = match after_host.split_once(':').map(|(_, p)| p) {
            None | Some("") if https => 443,
            None | Some("") => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| refuse("has a port that is not 1 to 65535"))?,
        };
        let base = uri.path().trim_end_matches('/').to_owned();
        // An IPv6 address is written in brackets in a URL, not in a socket address or a
        // certificate.
        let bare = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = if https {
            let name = ServerName::try_from(bare.clone())
                .map_err(|e| refuse(&format!("has a host TLS cannot verify: {e}")))?;
            let config = lambda_tls_config(extra_roots)?;
            Some((tokio_rustls::TlsConnector::from(Arc::new(config)), name))
        } else {
            None
        };
        Ok(Self {
            host,
            bare,
            port,
            base,
            tls,
        })
    }
}

/// The TLS client of an `https` LambdaEndpoint: Mozilla's roots, and those of the PEM file
/// `extra_roots` names; certificates are always verified.
fn lambda_tls_config(
    extra_roots: Option<&std::path::Path>,
) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra_roots {
        let bad = |why: String| format!("{LAMBDA_CA_FILE_VAR} {}: {why}", path.display());
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut added = 0_usize;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| bad(e.to_string()))?;
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
            added = added.saturating_add(1);
        }
        if added == 0 {
            return Err(bad("no PEM certificate in the file".to_owned()));
        }
    }
    // ring builds with a C compiler alone; rustls deprecates it only for lacking post-quantum
    // key exchange.
    #[allow(deprecated)]
    let provider = rustls::crypto::ring::default_provider();
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[derive(Deserialize)]
struct FunctionError {
    #[serde(rename = "errorMessage", default)]
    error_message: Option<String>,
    #[serde(rename = "errorType", default)]
    error_type: Option<String>,
}

enum TryOutcome {
    Reply(LambdaReply),
    Retry(InvokeFailure),
}

/// Percent-encodes a function name or ARN for the path (ARNs keep their colons).
fn encode_function(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Lambda {
    async fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply {
        let Some(endpoint) = &self.endpoint else {
            // No LambdaEndpoint: as when Cognito may not invoke the function.
            return LambdaReply::InvokeFailed(InvokeFailure::AccessDenied);
        };
        let mut last = InvokeFailure::Timeout;
        for _ in 0..LAMBDA_TRIES {
            match tokio::time::timeout(LAMBDA_TRY_TIMEOUT, self.try_once(endpoint, invocation))
                .await
            {
                Ok(TryOutcome::Reply(reply)) => return reply,
                Ok(TryOutcome::Retry(failure)) => last = failure,
                Err(_) => last = InvokeFailure::Timeout,
            }
        }
        LambdaReply::InvokeFailed(last)
    }

    async fn try_once(&self, endpoint: &LambdaEndpoint, inv: &LambdaInvocation) -> TryOutcome {
        let LambdaEndpoint {
            host,
            bare,
            port,
            base,
            ..
        } = endpoint;
        let path = format!(
            "{base}/2015-03-31/functions/{}/invocations",
            encode_function(&inv.function)
        );
        let request = Request::post(path)
            .header(hyper::header::HOST, format!("{host}:{port}"))
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("X-Amz-Invocation-Type", "RequestResponse")
            .body(Full::new(Bytes::from(inv.payload.clone().into_bytes())));
        let Ok(request) = request else {
            return TryOutcome::Reply(LambdaReply::InvokeFailed(InvokeFailure::Other(
                "InvalidRequestContentException".to_owned(),
            )));
        };
        let Ok(stream) = TcpStream::connect((bare.as_str(), *port)).await else {
            return UNREACHABLE;
        };
        match &endpoint.tls {
            None => exchange(stream, request).await,
            Some((connector, name)) => match connector.connect(name.clone(), stream).await {
                Ok(stream) => exchange(stream, request).await,
                Err(e) => {
                    // The operator's to fix (a certificate, a CA): said on stderr, without the
                    // request. To the caller it is an endpoint that cannot be reached.
                    eprintln!("lambda: TLS with {host}:{port} failed: {e}");
                    UNREACHABLE
                }
            },
        }
    }
}

/// An endpoint that cannot be reached is, to Cognito, a function that never answers.
const UNREACHABLE: TryOutcome = TryOutcome::Retry(InvokeFailure::Timeout);

/// One HTTP/1.1 request on a connection, plain or TLS.
async fn exchange<IO>(io: IO, request: Request<Full<Bytes>>) -> TryOutcome
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let Ok((mut sender, conn)) =
        hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(io)).await
    else {
        return UNREACHABLE;
    };
    let driver = tokio::spawn(conn);
    let outcome = match sender.send_request(request).await {
        Err(_) => UNREACHABLE,
        Ok(response) => read_lambda_response(response).await,
    };
    driver.abort();
    outcome
}

async fn read_lambda_response(response: Response<Incoming>) -> TryOutcome {
    let status = response.status();
    let function_error = response.headers().contains_key("x-amz-function-error");
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(':')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
        })
        .filter(|v| !v.is_empty());
    let body = match Limited::new(response.into_body(), LAMBDA_MAX_RESPONSE)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return TryOutcome::Retry(InvokeFailure::Other("ServiceException".to_owned())),
    };
    if !status.is_success() {
        let failure = match (status.as_u16(), error_type) {
            (_, Some(name)) if name == "AccessDeniedException" => InvokeFailure::AccessDenied,
            (_, Some(name)) => InvokeFailure::Other(name),
            (403, None) => InvokeFailure::AccessDenied,
            (_, None) => InvokeFailure::Other("ServiceException".to_owned()),
        };
        return TryOutcome::Retry(failure);
    }
    if function_error {
        let parsed: Option<FunctionError> = serde_json::from_slice(&body).ok();
        let (error_message, error_type) = parsed
            .map(|e| (e.error_message, e.error_type))
            .unwrap_or((None, None));
        return TryOutcome::Reply(LambdaReply::FunctionError {
            error_message: error_message.unwrap_or_else(|| "Unhandled".to_owned()),
            error_type,
        });
    }
    TryOutcome::Reply(LambdaReply::Returned(body.to_vec()))
}

// -------------------------------------------------------------------------------------------
// SigV4 for the admin operations

fn auth_error(exception: Exception, message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(exception, message)
}

fn mismatch() -> Error {
    auth_error(
        Exception::InvalidSignature,
        cognito_signup::error::messages::SIGNATURE_MISMATCH,
    )
}

/// The headers every admin signature must cover: the host, the signing time and the operation.
/// A signature that leaves one out could be replayed with another value (another operation).
const REQUIRED_SIGNED_HEADERS: [(&str, &str); 3] = [
    ("host", "Host"),
    ("x-amz-date", "X-Amz-Date"),
    ("x-amz-target", "X-Amz-Target"),
];

/// InvalidSignatureException for a signature that does not cover a header it must (the form of
/// AWS's message for an unsigned `Host`).
fn unsigned_header(display: &str) -> Error {
    auth_error(
        Exception::InvalidSignature,
        format!("'{display}' must be a 'SignedHeader' in the AWS Authorization."),
    )
}

struct Authorization<'a> {
    access_key: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

/// Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=a;b, Signature=hex`.
fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let access_key = credential?.split('/').next()?;
    Some(Authorization {
        access_key,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

fn amz_date_format() -> &'static [time::format_description::BorrowedFormatItem<'static>] {
    time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")
}

fn format_amz_date(t: SystemTime) -> String {
    time::OffsetDateTime::from(t)
        .format(amz_date_format())
        .unwrap_or_default()
}

struct Verifier {
    region: String,
    keys: HashMap<String, String>,
}

impl Verifier {
    /// Verifies the request's SigV4 signature by recomputing it, with `aws-sigv4`, over the
    /// headers the client says it signed.
    fn verify(
        &self,
        parts: &hyper::http::request::Parts,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), Error> {
        let Some(header) = parts.headers.get(hyper::header::AUTHORIZATION) else {
            return Err(auth_error(
                Exception::MissingAuthenticationToken,
                cognito_signup::error::messages::MISSING_AUTHENTICATION_TOKEN,
            ));
        };
        let header = header.to_str().map_err(|_| mismatch())?;
        if !header.starts_with("AWS4-HMAC-SHA256 ") {
            return Err(auth_error(
                Exception::MissingAuthenticationToken,
                cognito_signup::error::messages::MISSING_AUTHENTICATION_TOKEN,
            ));
        }
        let auth = parse_authorization(header).ok_or_else(mismatch)?;
        for (name, display) in REQUIRED_SIGNED_HEADERS {
            if !auth
                .signed_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                return Err(unsigned_header(display));
            }
        }
        let Some(secret) = self.keys.get(auth.access_key) else {
            return Err(auth_error(
                Exception::UnrecognizedClient,
                cognito_signup::error::messages::UNRECOGNIZED_CLIENT,
            ));
        };
        let amz_date = parts
            .headers
            .get("x-amz-date")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(mismatch)?;
        let signed_at: SystemTime = time::PrimitiveDateTime::parse(amz_date, amz_date_format())
            .map_err(|_| mismatch())?
            .assume_utc()
            .into();
        check_skew(signed_at, now)?;

        let mut headers: Vec<(&str, &str)> = Vec::new();
        for name in &auth.signed_headers {
            let mut found = false;
            for value in parts.headers.get_all(*name) {
                headers.push((name, value.to_str().map_err(|_| mismatch())?));
                found = true;
            }
            if !found {
                return Err(mismatch());
            }
        }
        let host = parts
            .headers
            .get(hyper::header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("localhost");
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", hyper::http::uri::PathAndQuery::as_str);
        let uri = format!("http://{host}{path}");

        let identity = aws_credential_types::Credentials::new(
            auth.access_key,
            secret.as_str(),
            None,
            None,
            "server-config",
        )
        .into();
        let mut settings = aws_sigv4::http_request::SigningSettings::default();
        // Verify exactly what the client signed.
        settings.excluded_headers = Some(Vec::new());
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(SIGNING_SERVICE)
            .time(signed_at)
            .settings(settings)
            .build()
            .map_err(|_| mismatch())?;
        let signable = aws_sigv4::http_request::SignableRequest::new(
            parts.method.as_str(),
            uri,
            headers.into_iter(),
            aws_sigv4::http_request::SignableBody::Bytes(body),
        )
        .map_err(|_| mismatch())?;
        let expected = aws_sigv4::http_request::sign(signable, &params.into())
            .map_err(|_| mismatch())?
            .signature()
            .to_owned();
        if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
            Ok(())
        } else {
            Err(mismatch())
        }
    }
}

/// AWS's clock-skew rule, with its messages.
fn check_skew(signed_at: SystemTime, now: SystemTime) -> Result<(), Error> {
    let minutes = SIGNATURE_SKEW.as_secs() / 60;
    if let Some(earliest) = now.checked_sub(SIGNATURE_SKEW) {
        if signed_at < earliest {
            return Err(auth_error(
                Exception::InvalidSignature,
                format!(
                    "Signature expired: {} is now earlier than {} ({} - {minutes} min.)",
                    format_amz_date(signed_at),
                    format_amz_date(earliest),
                    format_amz_date(now)
                ),
            ));
        }
    }
    if let Some(latest) = now.checked_add(SIGNATURE_SKEW) {
        if signed_at > latest {
            return Err(auth_error(
                Exception::InvalidSignature,
                format!(
                    "Signature not yet current: {} is still later than {} ({} + {minutes} min.)",
                    format_amz_date(signed_at),
                    format_amz_date(latest),
                    format_amz_date(now)
                ),
            ));
        }
    }
    Ok(())
}

// -------------------------------------------------------------------------------------------
// Serving

struct Server {
    driver: Driver<Arc<dyn UserStore>>,
    /// Whether the store's calls block on I/O (a database), and so must leave the async workers.
    blocking_store: bool,
    lambda: Lambda,
    outbox: Outbox,
    verifier: Verifier,
    /// [`BODY_BUDGET_KIB`] as permits of one KiB.
    body_budget: Semaphore,
}

/// Runs blocking or CPU-heavy work on tokio's blocking pool, so that the async workers stay the
/// same few threads. Handing a worker's role to a new thread instead (`block_in_place`), as
/// every SignUp did, gave each new worker thread an allocator arena of its own, which kept what
/// it freed: decoding a large body on many such threads held far more memory than on two.
async fn off_worker<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        Error::new(
            Exception::InternalError,
            cognito_signup::error::messages::INTERNAL_ERROR,
        )
    })
}

impl Server {
    /// The async twin of `Driver::run`: the same step loop, with Lambda and delivery answered
    /// here and every other need by the driver (in memory, so without waiting).
    async fn run(self: &Arc<Self>, op: wire::WireOperation) -> Result<WireSuccess, Error> {
        let mut step = op.start();
        loop {
            let need = match step {
                Step::Done(result) => return result,
                Step::Need(need) => need,
            };
            step = match need {
                Need::Invoke(invoke) => {
                    let reply = self.lambda.invoke(invoke.invocation()).await;
                    invoke.answer(reply)
                }
                // Blocking and CPU-heavy steps run on the blocking pool (`off_worker`): the
                // outbox's file write, SignUp's password hash (argon2id, tens of milliseconds,
                // or a wait for a slot of the shared hasher, which bounds how many SignUps hash
                // and wait at once and refuses the rest at once with TooManyRequestsException)
                // and a database store's calls. Every other step takes microseconds.
                Need::Deliver(deliver) => {
                    let server = Arc::clone(self);
                    off_worker(move || {
                        let delivered = server.outbox.deliver(deliver.message());
                        deliver.answer(delivered)
                    })
                    .await?
                }
                Need::Hash(hash) => {
                    let server = Arc::clone(self);
                    off_worker(move || hash.hash_with(server.driver.hasher())).await?
                }
                other if self.blocking_store => {
                    let server = Arc::clone(self);
                    off_worker(move || server.driver.answer(other)).await?
                }
                other => self.driver.answer(other),
            };
        }
    }

    async fn respond(
        self: &Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<WireResponse, BoxError> {
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > wire::MAX_BODY_BYTES as u64) {
            return Ok(WireResponse::too_large());
        }
        // Held until the request is answered, so the decoded request is covered too.
        let reserve = declared
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(wire::MAX_BODY_BYTES)
            .saturating_mul(DECODED_PER_BODY_BYTE)
            .div_ceil(1024)
            .clamp(1, BODY_BUDGET_KIB);
        let _reserved = match tokio::time::timeout(
            BODY_READ_TIMEOUT,
            self.body_budget
                .acquire_many(u32::try_from(reserve).unwrap_or(u32::MAX)),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            _ => {
                return Ok(WireResponse::error(&Error::new(
                    Exception::TooManyRequests,
                    cognito_signup::error::messages::RATE_EXCEEDED,
                )));
            }
        };
        let body = match tokio::time::timeout(
            BODY_READ_TIMEOUT,
            Limited::new(body, wire::MAX_BODY_BYTES).collect(),
        )
        .await
        {
            Err(_) => return Err("request body read timed out".into()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                return Ok(WireResponse::too_large());
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(collected)) => collected.to_bytes(),
        };
        let target = parts
            .headers
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let operation = match wire::operation_of(target) {
            Ok(op) if parts.method == hyper::Method::POST => op,
            // AWS JSON operations are POSTs; anything else names no operation.
            Ok(_) => {
                return Ok(WireResponse::error(&Error::new(
                    Exception::UnknownOperation,
                    cognito_signup::error::messages::UNKNOWN_OPERATION,
                )));
            }
            Err(refused) => return Ok(refused),
        };
        if wire::requires_signature(operation) {
            if let Err(refused) = self.verifier.verify(&parts, &body, SystemTime::now()) {
                return Ok(WireResponse::error(&refused));
            }
        }
        let request = match wire::decode_body(operation, &body) {
            Ok(request) => request,
            Err(refused) => return Ok(refused),
        };
        let seed = match self.driver.seed() {
            Ok(seed) => seed,
            Err(e) => return Ok(WireResponse::error(&e)),
        };
        let op = request.into_operation(self.driver.now(), seed);
        Ok(wire::encode_result(self.run(op).await))
    }
}

fn request_id() -> String {
    let mut bytes = [0u8; 16];
    // A failing OS generator leaves zeros: the id is for correlation, not security.
    let _ = getrandom::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn to_http(response: WireResponse, request_id: &str, close: bool) -> Response<Full<Bytes>> {
    // The library bounds its error responses; this is the server's own guarantee that no
    // error answer is ever larger, whatever made it.
    let response = if response.status != 200 && response.body.len() > wire::MAX_ERROR_BODY_BYTES {
        WireResponse::error(&Error::new(
            Exception::InternalError,
            cognito_signup::error::messages::INTERNAL_ERROR,
        ))
    } else {
        response
    };
    let mut http = Response::new(Full::new(Bytes::from(response.body)));
    *http.status_mut() =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = http.headers_mut();
    for (name, value) in response.headers {
        // Every header the library writes is shorter; a longer one is left out.
        if value.len() > wire::MAX_ERROR_HEADER_BYTES {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(n, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-amzn-requestid"), v);
    }
    if close {
        headers.insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    }
    http
}

async fn serve(
    server: Arc<Server>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, BoxError> {
    let id = request_id();
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(wire::TARGET_PREFIX))
        .and_then(cognito_signup::OperationName::from_name)
        .map_or("-", cognito_signup::OperationName::name);
    let response = server.respond(request).await?;
    let close = response.status == 413;
    eprintln!(
        "{id} {target} {} {}",
        response.status,
        response.header("x-amzn-ErrorType").unwrap_or("")
    );
    Ok(to_http(response, &id, close))
}

// -------------------------------------------------------------------------------------------
// Connections: a share of the slots per peer, and writes that must make progress

/// The connections each peer address holds, so that one peer holds at most
/// `MAX_CONNECTIONS_PER_PEER` of the server's slots.
struct PeerSlots {
    held: Mutex<HashMap<std::net::IpAddr, usize>>,
    per_peer: usize,
}

/// One connection's place in [`PeerSlots`], given back when the connection ends.
struct PeerSlot {
    slots: Arc<PeerSlots>,
    peer: std::net::IpAddr,
}

impl PeerSlots {
    fn new(per_peer: usize) -> Arc<Self> {
        Arc::new(Self {
            held: Mutex::new(HashMap::new()),
            per_peer,
        })
    }

    /// A slot for a connection from `peer`, or `None` if the peer holds its share already.
    /// An IPv4 address reached over IPv6 (`::ffff:a.b.c.d`) counts as the IPv4 address.
    fn take(self: &Arc<Self>, peer: std::net::IpAddr) -> Option<PeerSlot> {
        let peer = peer.to_canonical();
        let mut held = self.held.lock().ok()?;
        let count = held.entry(peer).or_insert(0);
        if *count >= self.per_peer {
            return None;
        }
        *count = count.saturating_add(1);
        Some(PeerSlot {
            slots: Arc::clone(self),
            peer,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.slots.held.lock() {
            if let Some(count) = held.get_mut(&self.peer) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    held.remove(&self.peer);
                }
            }
        }
    }
}

/// A TCP connection whose writes fail with `TimedOut` once one has waited `timeout` without
/// the client taking any of the response: a client that sends requests and never reads the
/// answers loses its connection (and the memory its answers hold) instead of keeping them.
struct WriteTimeout {
    stream: TcpStream,
    timeout: Duration,
    /// When the write now waiting started to wait: set at the first `Pending`, cleared by any
    /// progress.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl WriteTimeout {
    fn new(stream: TcpStream, timeout: Duration) -> Self {
        Self {
            stream,
            timeout,
            stalled: None,
        }
    }

    /// `poll` as the inner write answered it, or `TimedOut` if it has been pending too long.
    fn bounded<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future as _;
        use std::task::Poll;
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client did not read the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for WriteTimeout {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for WriteTimeout {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        self.bounded(cx, poll)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.bounded(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_flush(cx);
        self.bounded(cx, poll)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_shutdown(cx);
        self.bounded(cx, poll)
    }
}

/// The write timeout: [`WRITE_TIMEOUT`], or whole seconds from `COGNITO_SIGNUP_WRITE_TIMEOUT`.
fn write_timeout() -> Result<Duration, BoxError> {
    match std::env::var(WRITE_TIMEOUT_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(WRITE_TIMEOUT),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{WRITE_TIMEOUT_ENV}: expected whole seconds from 1 to 3600").into())
        }
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(secs @ 1..=3600) => Ok(Duration::from_secs(secs)),
            _ => Err(
                format!("{WRITE_TIMEOUT_ENV}={v:?}: expected whole seconds from 1 to 3600").into(),
            ),
        },
    }
}

/// Resolves at SIGTERM or SIGINT. The handlers are installed when this is called, not when the
/// future is first polled: a signal sent right after the ready line must not kill the process.
fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(terminate) => {}
            () = wait(interrupt) => {}
        }
    }
}

fn print_banner(args: &Args, loaded: &Loaded, addr: SocketAddr) {
    println!("listening on http://{addr}");
    for (pool, clients) in &loaded.pools {
        println!("user pool {pool}: app clients {}", clients.join(", "));
    }
    println!("store: {}", args.store.describe());
    match &args.outbox {
        Some(p) => println!("outbox: {}", p.display()),
        None => println!("outbox: none (pass --outbox FILE to read confirmation codes)"),
    }
    if args.config.is_none() {
        let client = loaded
            .pools
            .first()
            .and_then(|(_, c)| c.first())
            .map_or("localclient", String::as_str);
        println!(
            "admin credentials: AWS_ACCESS_KEY_ID=AKIDLOCAL AWS_SECRET_ACCESS_KEY=local-secret (local only)"
        );
        println!("try:");
        println!(
            "  aws cognito-idp sign-up --endpoint-url http://{addr} --region {} --no-sign-request --client-id {client} --username alice --password 'Passw0rd-local' --user-attributes Name=email,Value=alice@example.com",
            loaded.config.region
        );
    }
}

fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Opened (and dropped) outside the runtime: a database client may run a runtime of its own.
    let store = match args.store.open() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(args, Arc::clone(&store)));
    drop(runtime);
    drop(store);
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args, store: Arc<dyn UserStore>) -> Result<(), BoxError> {
    let text = match &args.config {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("--config {}: {e}", path.display()))?,
        None => DEFAULT_CONFIG.to_owned(),
    };
    let loaded = load_config(&text, &args.store)?;
    let write_timeout = write_timeout()?;
    let outbox = Outbox::create(args.outbox.as_ref())?;
    let extra_roots = std::env::var_os(LAMBDA_CA_FILE_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let lambda_endpoint = match &loaded.config.lambda_endpoint {
        None => None,
        Some(e) => Some(LambdaEndpoint::parse(e, extra_roots.as_deref())?),
    };
    let keys = loaded
        .config
        .admin_credentials
        .iter()
        .map(|c| (c.access_key_id.clone(), c.secret_access_key.clone()))
        .collect();
    let server = Arc::new(Server {
        // One password hasher for every connection: one slot per core, each with its argon2id
        // buffer kept for the server's life; a SignUp finding every slot busy and the short
        // queue full answers TooManyRequestsException at once.
        driver: Driver::new(store, Arc::new(loaded.directory.clone())).with_hasher(Arc::new(
            cognito_signup::PasswordHasher::new(cognito_signup::PasswordHashing::default()),
        )),
        blocking_store: args.store != StoreSpec::Memory,
        lambda: Lambda {
            endpoint: lambda_endpoint,
        },
        outbox,
        verifier: Verifier {
            region: loaded.config.region.clone(),
            keys,
        },
        body_budget: Semaphore::new(BODY_BUDGET_KIB),
    });

    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    let shutdown = shutdown_signal();
    print_banner(&args, &loaded, listener.local_addr()?);

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let peers = PeerSlots::new(MAX_CONNECTIONS_PER_PEER);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => permit?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: keep serving the others.
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // A peer over its share: closed at once, its slot back to the others.
        let Some(slot) = peers.take(peer.ip()) else {
            drop(stream);
            drop(permit);
            continue;
        };
        let server = Arc::clone(&server);
        let conn = http.serve_connection(
            TokioIo::new(WriteTimeout::new(stream, write_timeout)),
            hyper::service::service_fn(move |req| serve(Arc::clone(&server), req)),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away or times out only ends its own connection.
            let _ = conn.await;
            drop(slot);
            drop(permit);
        });
    }
    drop(listener);
    eprintln!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("shutdown grace period over; closing the remaining connections");
    }
    Ok(())
}

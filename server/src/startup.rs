//! Starting and stopping ([server-start], [server-ready], [server-signals]): the runtime, the
//! store, the listener and its accept loop, the ready line, and a graceful shutdown.

use crate::args::{Args, Opened, StoreSpec, parse_args};
use crate::config::{DEFAULT_CONFIG, Loaded, load_config, pool_keys};
use crate::connection::{
    MAX_CONNECTIONS, MAX_CONNECTIONS_PER_PEER, PeerSlots, WriteTimeout, write_timeout,
};
use crate::error::BoxError;
use crate::http::{BODY_BUDGET_KIB, Server, serve};
use crate::lambda::{LAMBDA_CA_FILE_VAR, Lambda, LambdaEndpoint};
use crate::outbox::Outbox;
use crate::sigv4::Verifier;
use cognito_signup::Driver;
use cognito_signup::reference::CatalogDirectory;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// A client has this long to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

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
        println!(
            "  AWS_ACCESS_KEY_ID=AKIDLOCAL AWS_SECRET_ACCESS_KEY=local-secret aws cognito-idp create-user-pool --endpoint-url http://{addr} --region {} --pool-name my-pool",
            loaded.config.region
        );
    }
}

pub(crate) fn main() -> std::process::ExitCode {
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
    let result = runtime.block_on(run(args, store.clone()));
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

async fn run(args: Args, store: Opened) -> Result<(), BoxError> {
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
    // Configured pools first (as fixed as the config file), then the pools made through the API,
    // checked against the store's versions on every call and read again when changed; their
    // code keys derive from the same master keys ([server-management], [server-code-keys],
    // [pool-directory]).
    let masters = loaded.masters.clone();
    let directory = CatalogDirectory::new(
        loaded.directory.clone(),
        Arc::clone(&store.catalog),
        move |pool_id: &str| pool_keys(&masters, pool_id),
    );
    let server = Arc::new(Server {
        // One password hasher for every connection: one slot per core, each with its argon2id
        // buffer kept for the server's life; a SignUp finding every slot busy and the short
        // queue full answers TooManyRequestsException at once.
        driver: Driver::new(store.users, Arc::new(directory))
            .with_region(loaded.config.region.clone())
            .with_hasher(Arc::new(cognito_signup::PasswordHasher::new(
                cognito_signup::PasswordHashing::default(),
            ))),
        catalog: store.catalog,
        region: loaded.config.region.clone(),
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

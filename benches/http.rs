//! The HTTP round trip: ConfirmSignUp sent to the server (the `cognito-signup-server`
//! binary of `server/`, a child process) over loopback HTTP/1.1 with keep-alive, against the round trip of an empty 200 from
//! a server on the same HTTP stack and settings (hyper 1 `http1` on a multi-threaded tokio
//! runtime, same timer, header-read timeout and keep-alive, body read whole the same way) running
//! in this process, with 1 connection and with 4 concurrent connections, in the same run. Both
//! servers get the same requests: ConfirmSignUp bodies of the same shape.
//!
//! Every timed ConfirmSignUp confirms a different user, registered before the timed region by a
//! passwordless SignUp over HTTP (its code read from the server's outbox). The pool allows
//! 100,000 requests a second, so that the throttle does not interfere. With several
//! connections, a figure is the wall time of all requests divided by their number (the inverse
//! of the throughput), not the latency of one.
//!
//! ```sh
//! cargo build --release -p cognito-signup-server
//! cargo bench --bench http
//! python3 benches/report.py
//! ```
//!
//! The bench looks for the server at `$COGNITO_SIGNUP_SERVER`, else under `$CARGO_TARGET_DIR`
//! (or `target`) at `release/cognito-signup-server`; when it is missing, it says how to build it and
//! exits without measuring.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    missing_docs
)]

use bytes::Bytes;
use criterion::Criterion;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const POOL_ID: &str = "us-east-1_HttpBench01";
const CLIENT_ID: &str = "httpbenchclient00000000000";
const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// As the server: how long a client has to send a request's headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Concurrent keep-alive connections of the second configuration.
const CONNECTIONS: [usize; 2] = [1, 4];

/// Where the server's binary should be.
fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("COGNITO_SIGNUP_SERVER") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    target.join("release").join("cognito-signup-server")
}

fn config() -> String {
    format!(
        r#"{{
  "Region": "us-east-1",
  "UserPools": [{{
    "Id": "{POOL_ID}",
    "AutoVerifiedAttributes": ["email"],
    "Policies": {{"SignInPolicy": {{"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}},
    "SignUpPolicy": {{"RequestsPerSecond": 100000}},
    "Clients": [{{"ClientId": "{CLIENT_ID}"}}]
  }}]
}}"#
    )
}

/// The server as a child process, killed (and its files removed) on drop.
struct ChildServer {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    outbox: BufReader<std::fs::File>,
}

impl ChildServer {
    fn start(binary: &PathBuf) -> Self {
        let dir = std::env::temp_dir().join(format!("cognito-signup-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.json");
        let outbox = dir.join("outbox.jsonl");
        std::fs::write(&config, config_text()).unwrap();
        let mut child = Command::new(binary)
            .arg("--config")
            .arg(&config)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--outbox")
            .arg(&outbox)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // One log line per request; discarded, as the empty server writes none.
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server exited before listening")
                .unwrap();
            if let Some(rest) = line.strip_prefix("listening on http://") {
                break rest.trim().parse().unwrap();
            }
        };
        // Keep draining stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let outbox = BufReader::new(std::fs::File::open(&outbox).unwrap());
        Self {
            child,
            addr,
            dir,
            outbox,
        }
    }

    /// The codes of the messages appended to the outbox since the last call, by username;
    /// waits until there are `count` of them.
    fn codes(&mut self, count: usize) -> HashMap<String, String> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Line {
            username: String,
            code: String,
        }
        let mut codes = HashMap::with_capacity(count);
        let mut line = String::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while codes.len() < count {
            line.clear();
            let read = self.outbox.read_line(&mut line).unwrap();
            if read == 0 || !line.ends_with('\n') {
                assert!(Instant::now() < deadline, "the outbox stopped growing");
                // A line being written: read it again whole.
                if read > 0 {
                    let back = i64::try_from(read).unwrap();
                    std::io::Seek::seek_relative(&mut self.outbox, -back).unwrap();
                }
                std::thread::sleep(Duration::from_millis(1));
                continue;
            }
            let parsed: Line = serde_json::from_str(&line).unwrap();
            codes.insert(parsed.username, parsed.code);
        }
        codes
    }
}

fn config_text() -> String {
    config()
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The empty-200 server: the server's HTTP settings, a handler that reads the body
/// whole (as the server does) and answers 200 with no body.
fn start_empty_server() -> (Runtime, SocketAddr) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    rt.spawn(async move {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .keep_alive(true);
        while let Ok((stream, _)) = listener.accept().await {
            let conn =
                http.serve_connection(TokioIo::new(stream), hyper::service::service_fn(empty_200));
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    (rt, addr)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The empty server's handler: reads the body whole, answers 200 without a body.
async fn empty_200(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, BoxError> {
    let body = Limited::new(request.into_body(), 1024 * 1024)
        .collect()
        .await?
        .to_bytes();
    drop(body);
    Ok(Response::new(Full::new(Bytes::new())))
}

/// `connections` keep-alive HTTP/1.1 connections to `addr`, driven on the current runtime.
async fn connect(addr: SocketAddr, connections: usize) -> Vec<SendRequest<Full<Bytes>>> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(async move {
            let _ = conn.await;
        });
        senders.push(sender);
    }
    senders
}

/// One POST of an AWS JSON 1.1 request; the status and the body.
async fn post(
    sender: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    operation: &str,
    body: Bytes,
) -> (u16, Bytes) {
    sender.ready().await.unwrap();
    let request = Request::post("/")
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::CONTENT_TYPE, CONTENT_TYPE)
        .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
        .body(Full::new(body))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

/// Sends every body of `work[i]` on connection `i` (one after the other on each connection, the
/// connections concurrently) and checks each status is 200. Returns the connections.
async fn send_all(
    senders: Vec<SendRequest<Full<Bytes>>>,
    addr: SocketAddr,
    operation: &'static str,
    work: Vec<Vec<Bytes>>,
) -> Vec<SendRequest<Full<Bytes>>> {
    let tasks: Vec<_> = senders
        .into_iter()
        .zip(work)
        .map(|(mut sender, bodies)| {
            tokio::spawn(async move {
                for body in bodies {
                    let (status, answer) = post(&mut sender, addr, operation, body).await;
                    assert_eq!(status, 200, "{operation}: {answer:?}");
                }
                sender
            })
        })
        .collect();
    let mut senders = Vec::with_capacity(tasks.len());
    for t in tasks {
        senders.push(t.await.unwrap());
    }
    senders
}

fn username(n: usize) -> String {
    format!("http{n:012}")
}

fn confirm_body(username: &str, code: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "ClientId": CLIENT_ID,
            "Username": username,
            "ConfirmationCode": code,
        }))
        .unwrap(),
    )
}

fn sign_up_body(username: &str) -> Bytes {
    Bytes::from(
        serde_json::to_vec(&serde_json::json!({
            "ClientId": CLIENT_ID,
            "Username": username,
            "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}],
        }))
        .unwrap(),
    )
}

/// Splits `items` into `parts` lists of nearly equal length.
fn split<T>(items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..parts).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        out[i % parts].push(item);
    }
    out
}

fn http_round_trip(c: &mut Criterion, binary: &PathBuf) {
    let mut server = ChildServer::start(binary);
    let (empty_rt, empty_addr) = start_empty_server();
    let confirm_addr = server.addr;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut registered = 0usize;

    let mut g = c.benchmark_group("http");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for connections in CONNECTIONS {
        g.bench_function(format!("empty_200_{connections}conn"), |b| {
            b.iter_custom(|iters| {
                let n = usize::try_from(iters).unwrap();
                // The same bodies as ConfirmSignUp's (the empty server reads and drops them).
                let bodies = (0..n)
                    .map(|k| confirm_body(&username(k), "123456"))
                    .collect();
                client.block_on(async {
                    let senders = connect(empty_addr, connections).await;
                    let work = split(bodies, connections);
                    let t = Instant::now();
                    let senders = send_all(senders, empty_addr, "ConfirmSignUp", work).await;
                    let elapsed = t.elapsed();
                    drop(senders);
                    elapsed
                })
            });
        });
        g.bench_function(format!("confirm_sign_up_{connections}conn"), |b| {
            b.iter_custom(|iters| {
                let n = usize::try_from(iters).unwrap();
                // Register `n` fresh users (untimed), on the connections about to be timed.
                let names: Vec<String> = (registered..registered + n).map(username).collect();
                registered += n;
                let sign_ups = names.iter().map(|u| sign_up_body(u)).collect();
                let senders = client.block_on(async {
                    let senders = connect(confirm_addr, connections).await;
                    send_all(
                        senders,
                        confirm_addr,
                        "SignUp",
                        split(sign_ups, connections),
                    )
                    .await
                });
                let codes = server.codes(n);
                let bodies = names.iter().map(|u| confirm_body(u, &codes[u])).collect();
                client.block_on(async {
                    let work = split(bodies, connections);
                    let t = Instant::now();
                    let senders = send_all(senders, confirm_addr, "ConfirmSignUp", work).await;
                    let elapsed = t.elapsed();
                    drop(senders);
                    elapsed
                })
            });
        });
    }
    g.finish();
    alternating(&mut server, empty_addr, &mut registered);
    drop(empty_rt);
}

/// Rounds of the alternating comparison, and requests per kind and round.
const ROUNDS: usize = 15;
const PER_ROUND: usize = 2000;

/// The same comparison without criterion, alternating: each round times `PER_ROUND` empty-200
/// round trips and then `PER_ROUND` ConfirmSignUp round trips (users registered untimed just
/// before), so that both see the machine in the same state. Prints the median time per request
/// of each and the median of the rounds' ratios. A load that comes and goes moves criterion's
/// figures, which are measured seconds apart, more than it moves these.
fn alternating(server: &mut ChildServer, empty_addr: SocketAddr, registered: &mut usize) {
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("\nalternating rounds ({ROUNDS} rounds of {PER_ROUND} requests of each kind):");
    for connections in CONNECTIONS {
        let (mut empty, mut confirm, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let names: Vec<String> = (*registered..*registered + PER_ROUND)
                .map(username)
                .collect();
            *registered += PER_ROUND;
            let sign_ups = names.iter().map(|u| sign_up_body(u)).collect();
            let confirm_senders = client.block_on(async {
                let senders = connect(server.addr, connections).await;
                send_all(senders, server.addr, "SignUp", split(sign_ups, connections)).await
            });
            let codes = server.codes(PER_ROUND);
            let confirm_bodies = names.iter().map(|u| confirm_body(u, &codes[u])).collect();
            let empty_bodies = names.iter().map(|u| confirm_body(u, "123456")).collect();
            let (e, c) = client.block_on(async {
                let senders = connect(empty_addr, connections).await;
                let t = Instant::now();
                let senders = send_all(
                    senders,
                    empty_addr,
                    "ConfirmSignUp",
                    split(empty_bodies, connections),
                )
                .await;
                let e = t.elapsed();
                drop(senders);
                let t = Instant::now();
                let senders = send_all(
                    confirm_senders,
                    server.addr,
                    "ConfirmSignUp",
                    split(confirm_bodies, connections),
                )
                .await;
                let c = t.elapsed();
                drop(senders);
                (e, c)
            });
            let per = |d: Duration| d.as_secs_f64() * 1e6 / PER_ROUND as f64;
            empty.push(per(e));
            confirm.push(per(c));
            ratios.push(per(c) / per(e));
        }
        println!(
            "  {connections} connection(s): empty 200 {:.1} us, ConfirmSignUp {:.1} us per request \
             (medians); median ratio {:.2}x, rounds' ratios {:.2}x to {:.2}x",
            median(&mut empty),
            median(&mut confirm),
            median(&mut ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
        );
    }
}

fn main() {
    let binary = server_binary();
    if !binary.is_file() {
        println!(
            "http bench: the server is not built ({} is missing).\n\
             Build it first: cargo build --release -p cognito-signup-server\n\
             (or set COGNITO_SIGNUP_SERVER to its path). Nothing measured.",
            binary.display()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    http_round_trip(&mut c, &binary);
    c.final_summary();
}

//! Serving one request ([server-protocol], [server-limits]): the body budget, the signature check,
//! the core's step loop with Lambda and the outbox answered here, and the HTTP response.

use crate::error::BoxError;
use crate::lambda::Lambda;
use crate::outbox::Outbox;
use crate::sigv4::Verifier;
use bytes::Bytes;
use cognito_signup::ops::{Need, Operation as _, Step};
use cognito_signup::reference::{OsRandomness, SystemClock};
use cognito_signup::wire::{self, WireRequest, WireResponse, WireSuccess};
use cognito_signup::{Driver, Error, Exception, PoolCatalog, UserStore};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Semaphore;

/// A client has this long to send a request's body.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Memory for request bodies and their decoded requests, across every connection, in KiB.
/// Before its body is read, a request reserves [`DECODED_PER_BODY_BYTE`] times its declared
/// length (the largest body allowed when it declares none) and keeps it until it is answered;
/// one that cannot reserve within the body read timeout is answered TooManyRequestsException.
/// Small requests never wait (1,024 connections of 1 KiB bodies reserve 24 MiB); at most two
/// bodies of the largest size are read and decoded at once. Without it, 1,024 connections could
/// each hold a 1 MiB body and decode it to some 20 MiB.
pub(crate) const BODY_BUDGET_KIB: usize = 64 * 1024;
/// How much memory a body may take once decoded, per byte of body: a body of empty
/// `UserAttributes` entries (3 bytes each) decodes to 48 bytes an entry, and the vector holding
/// them is briefly one and a half times that while it grows.
const DECODED_PER_BODY_BYTE: usize = 24;

pub(crate) struct Server {
    /// The step machines' driver; its directory is a `CatalogDirectory` over the configured
    /// pools and [`catalog`](Self::catalog).
    pub(crate) driver: Driver<Arc<dyn UserStore>>,
    /// The pools and clients made through the API: the same store value as the driver's
    /// ([server-management]).
    pub(crate) catalog: Arc<dyn PoolCatalog>,
    /// The region pool ids are made in: the config's `Region`.
    pub(crate) region: String,
    /// Whether the store's calls block on I/O (a database), and so must leave the async workers.
    pub(crate) blocking_store: bool,
    pub(crate) lambda: Lambda,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Verifier,
    /// [`BODY_BUDGET_KIB`] as permits of one KiB.
    pub(crate) body_budget: Semaphore,
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

    /// A management operation or ListUsers ([server-management]): the library's
    /// `Management::execute`, which calls the catalog and the store, so it runs off the async
    /// workers whatever the store.
    async fn manage(self: &Arc<Self>, request: WireRequest) -> WireResponse {
        let server = Arc::clone(self);
        off_worker(move || {
            wire::Management {
                catalog: server.catalog.as_ref(),
                users: server.driver.store().as_ref(),
                directory: server.driver.directory().as_ref(),
                clock: &SystemClock,
                randomness: &OsRandomness,
                region: &server.region,
            }
            .execute(request)
        })
        .await
        .unwrap_or_else(|e| WireResponse::error(&e))
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
        if wire::is_management(operation) {
            return Ok(self.manage(request).await);
        }
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

pub(crate) async fn serve(
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

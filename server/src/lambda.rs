//! Lambda triggers through the Invoke API ([server-lambda], [server-lambda-calls],
//! [trigger-invocation]): plain HTTP or TLS with the certificate verified.

use bytes::Bytes;
use cognito_signup::protocol::{InvokeFailure, LambdaInvocation, LambdaReply};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// [trigger-invocation]: each Lambda try gets this long, connection included.
const LAMBDA_TRY_TIMEOUT: Duration = Duration::from_secs(5);
/// [trigger-invocation]: at most this many tries.
const LAMBDA_TRIES: u32 = 3;
/// The largest Lambda response read (Lambda's own synchronous payload limit).
const LAMBDA_MAX_RESPONSE: usize = 6 * 1024 * 1024;

pub(crate) struct Lambda {
    pub(crate) endpoint: Option<LambdaEndpoint>,
}

/// The environment variable naming a PEM file of roots trusted, beside Mozilla's, for an
/// `https` LambdaEndpoint.
pub(crate) const LAMBDA_CA_FILE_VAR: &str = "COGNITO_SIGNUP_LAMBDA_CA_FILE";

/// A LambdaEndpoint checked at start: where to connect, and how.
pub(crate) struct LambdaEndpoint {
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
    pub(crate) fn parse(text: &str, extra_roots: Option<&std::path::Path>) -> Result<Self, String> {
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
    pub(crate) async fn invoke(&self, invocation: &LambdaInvocation) -> LambdaReply {
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

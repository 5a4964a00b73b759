//! SigV4 on the admin operations ([server-sigv4]): a signature is checked by recomputing it over
//! the headers the client signed, with AWS's clock-skew rule and messages.

use cognito_signup::{Error, Exception};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq as _;

/// SigV4: how far X-Amz-Date may be from the server's clock.
const SIGNATURE_SKEW: Duration = Duration::from_secs(15 * 60);
/// The SigV4 service name of Cognito user pools.
const SIGNING_SERVICE: &str = "cognito-idp";

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

pub(crate) struct Verifier {
    pub(crate) region: String,
    pub(crate) keys: HashMap<String, String>,
}

impl Verifier {
    /// Verifies the request's SigV4 signature by recomputing it, with `aws-sigv4`, over the
    /// headers the client says it signed.
    pub(crate) fn verify(
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

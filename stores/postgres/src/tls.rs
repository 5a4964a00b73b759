//! TLS for the store's connections: the `sslmode` and `sslrootcert` parameters of the connection
//! string, read here (the `postgres` crate knows neither `verify-ca`, `verify-full` nor
//! `sslrootcert`), and the rustls configuration each mode asks for.

use crate::StoreError;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// What the connection string asks of the channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// Plain text: `sslmode=disable`, or no `sslmode`.
    Disable,
    /// TLS; the server's certificate is checked only when `sslrootcert` names the roots.
    Require,
    /// TLS; the chain must lead to a trusted root, whatever name the certificate is for.
    VerifyCa,
    /// TLS; the chain must lead to a trusted root and the certificate be for the host.
    VerifyFull,
}

/// The TLS parameters taken out of a connection string, and the string without them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Split {
    /// The connection string for `postgres::Config`, without `sslmode` and `sslrootcert`.
    pub(crate) rest: String,
    /// The mode asked for.
    pub(crate) mode: SslMode,
    /// `sslrootcert`: a PEM file of roots, or `system`.
    pub(crate) root_cert: Option<String>,
}

/// The `sslrootcert` value that names the bundled public roots rather than a file.
const SYSTEM_ROOTS: &str = "system";

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL or a `key=value` string (the
/// last of each wins, as for every other parameter) and decides the mode.
///
/// # Errors
/// [`StoreError::Config`] for a mode that could end in plain text (`prefer`, `allow`), an
/// unknown mode, or `sslrootcert` without a mode that uses TLS. Never quotes the string (it
/// may hold a password).
pub(crate) fn split(url: &str) -> Result<Split, StoreError> {
    let (rest, mode, root_cert) = if let Some(after) = url_body(url) {
        split_url(url, after)?
    } else {
        split_key_values(url)
    };
    let mode = match mode.as_deref() {
        None | Some("disable") => SslMode::Disable,
        Some("require") => SslMode::Require,
        Some("verify-ca") => SslMode::VerifyCa,
        Some("verify-full") => SslMode::VerifyFull,
        Some(m @ ("prefer" | "allow")) => {
            return Err(StoreError::Config(format!(
                "sslmode={m} may fall back to plain text, which this store never does: use \
                 sslmode=verify-full (or verify-ca, require) for TLS, or sslmode=disable"
            )));
        }
        Some(_) => {
            return Err(StoreError::Config(
                "unknown sslmode (disable, require, verify-ca or verify-full)".to_owned(),
            ));
        }
    };
    if mode == SslMode::Disable && root_cert.is_some() {
        return Err(StoreError::Config(
            "sslrootcert is given but sslmode does not ask for TLS: set sslmode=verify-full"
                .to_owned(),
        ));
    }
    Ok(Split {
        rest,
        mode,
        root_cert,
    })
}

/// What follows `postgres://` or `postgresql://`, if `url` is a URL.
fn url_body(url: &str) -> Option<&str> {
    url.strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
}

/// Percent-decodes a URL component; `None` when it is not UTF-8 once decoded.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| bytes.get(i.saturating_add(1)..i.saturating_add(3)))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(decoded) => {
                out.push(decoded);
                i = i.saturating_add(3);
            }
            None => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8(out).ok()
}

type Parts = (String, Option<String>, Option<String>);

fn split_url(url: &str, after_prefix: &str) -> Result<Parts, StoreError> {
    // As the `postgres` crate reads a URL: the credentials run to the first `@`, and the
    // parameters start at the first `?` after them.
    let prefix_len = url.len().saturating_sub(after_prefix.len());
    let host_start = after_prefix.find('@').map_or(prefix_len, |at| {
        prefix_len.saturating_add(at).saturating_add(1)
    });
    let Some(query_start) = url
        .get(host_start..)
        .and_then(|s| s.find('?'))
        .map(|q| host_start.saturating_add(q))
    else {
        return Ok((url.to_owned(), None, None));
    };
    let (head, query) = url.split_at(query_start);
    let query = query.get(1..).unwrap_or_default();
    let (mut mode, mut root_cert) = (None, None);
    let mut kept = Vec::new();
    for piece in query.split('&') {
        let (key, value) = piece.split_once('=').unwrap_or((piece, ""));
        let not_utf8 = || StoreError::Config("a URL parameter is not UTF-8".to_owned());
        match percent_decode(key).ok_or_else(not_utf8)?.as_str() {
            "sslmode" => mode = Some(percent_decode(value).ok_or_else(not_utf8)?),
            "sslrootcert" => root_cert = Some(percent_decode(value).ok_or_else(not_utf8)?),
            _ => kept.push(piece),
        }
    }
    let rest = if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    Ok((rest, mode, root_cert))
}

/// One `key = value` of a key=value string: where it lies, its key and its value unquoted.
struct Pair<'a> {
    start: usize,
    end: usize,
    key: &'a str,
    value: String,
}

/// Reads the pairs of a key=value string as the `postgres` crate does (values bare or in single
/// quotes, `\` escaping the next character); stops at the first thing that is not a pair,
/// leaving it to that crate to refuse.
fn pairs(s: &str) -> Vec<Pair<'_>> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    let end_of = |it: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        it.peek().map_or(s.len(), |&(i, _)| i)
    };
    loop {
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let start = end_of(&mut it);
        while it
            .next_if(|&(_, c)| !c.is_whitespace() && c != '=')
            .is_some()
        {}
        let key_end = end_of(&mut it);
        let Some(key) = s.get(start..key_end).filter(|k| !k.is_empty()) else {
            return out;
        };
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        if it.next_if(|&(_, c)| c == '=').is_none() {
            return out;
        }
        while it.next_if(|&(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if it.next_if(|&(_, c)| c == '\'').is_some() {
            loop {
                match it.next() {
                    None => return out,
                    Some((_, '\'')) => break,
                    Some((_, '\\')) => value.extend(it.next().map(|(_, c)| c)),
                    Some((_, c)) => value.push(c),
                }
            }
        } else {
            while let Some((_, c)) = it.next_if(|&(_, c)| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(it.next().map(|(_, c)| c));
                } else {
                    value.push(c);
                }
            }
            if value.is_empty() {
                return out;
            }
        }
        out.push(Pair {
            start,
            end: end_of(&mut it),
            key,
            value,
        });
    }
}

fn split_key_values(s: &str) -> Parts {
    let (mut mode, mut root_cert) = (None, None);
    let mut rest = String::with_capacity(s.len());
    let mut copied = 0;
    for pair in pairs(s) {
        let slot = match pair.key {
            "sslmode" => &mut mode,
            "sslrootcert" => &mut root_cert,
            _ => continue,
        };
        *slot = Some(pair.value);
        rest.push_str(s.get(copied..pair.start).unwrap_or_default());
        copied = pair.end;
    }
    rest.push_str(s.get(copied..).unwrap_or_default());
    (rest, mode, root_cert)
}

/// The rustls configuration for a mode that uses TLS, or `None` for plain text.
///
/// # Errors
/// [`StoreError::Tls`] when `sslrootcert` cannot be read or holds no certificate.
pub(crate) fn client_config(split: &Split) -> Result<Option<ClientConfig>, StoreError> {
    // ring builds with a C compiler alone, where aws-lc-rs may need more on a fresh machine;
    // rustls deprecates it only for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match split.root_cert.as_deref() {
        None if split.mode == SslMode::Require => None,
        None | Some(SYSTEM_ROOTS) => Some(public_roots()),
        Some(path) => Some(roots_from_file(Path::new(path))?),
    };
    let verifier: Arc<dyn ServerCertVerifier> = match (&split.mode, roots) {
        (SslMode::Disable, _) => return Ok(None),
        (SslMode::Require, None) => Arc::new(EncryptOnly {
            algorithms: provider.signature_verification_algorithms,
        }),
        (SslMode::VerifyFull, Some(roots)) => webpki(roots, &provider)?,
        // libpq's `require` with a root file checks the chain as `verify-ca` does.
        (SslMode::Require | SslMode::VerifyCa, Some(roots)) => Arc::new(ChainOnly {
            inner: webpki(roots, &provider)?,
        }),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => webpki(public_roots(), &provider)?,
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(config))
}

fn webpki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, StoreError> {
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
            .build()
            .map_err(|e| StoreError::Tls(e.to_string()))?;
    Ok(verifier)
}

/// Mozilla's root certificates, as bundled by `webpki-roots`.
fn public_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The certificates of a PEM file, as roots.
fn roots_from_file(path: &Path) -> Result<RootCertStore, StoreError> {
    let unreadable =
        |what: Cow<'_, str>| StoreError::Tls(format!("sslrootcert {}: {what}", path.display()));
    let pem = std::fs::read(path).map_err(|e| unreadable(e.to_string().into()))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| unreadable(e.to_string().into()))?;
        roots
            .add(cert)
            .map_err(|e| unreadable(e.to_string().into()))?;
    }
    if roots.is_empty() {
        return Err(unreadable("no PEM certificate in the file".into()));
    }
    Ok(roots)
}

/// `sslmode=require` without roots: the channel is encrypted and the server proves it holds the
/// key of the certificate it shows, but nothing says whose certificate that is.
#[derive(Debug)]
struct EncryptOnly {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted root; the name is not checked.
#[derive(Debug)]
struct ChainOnly {
    inner: Arc<dyn ServerCertVerifier>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The name is checked last, after the chain: a name error means the chain passed.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn ok(url: &str) -> Split {
        split(url).unwrap()
    }

    fn refused(url: &str) -> String {
        match split(url) {
            Err(StoreError::Config(m)) => m,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn url_parameters_are_taken_out_and_the_rest_kept() {
        let s = ok(
            "postgres://u:p@h:5/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fca%20dir%2Fca.pem&connect_timeout=3",
        );
        assert_eq!(
            s.rest,
            "postgres://u:p@h:5/db?application_name=x&connect_timeout=3"
        );
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/ca dir/ca.pem"));
    }

    #[test]
    fn a_url_left_without_parameters_loses_its_question_mark() {
        let s = ok("postgresql://h/db?sslmode=require");
        assert_eq!(s.rest, "postgresql://h/db");
        assert_eq!(s.mode, SslMode::Require);
        assert_eq!(s.root_cert, None);
    }

    #[test]
    fn a_question_mark_in_the_credentials_is_not_the_query() {
        let s = ok("postgres://u:pa?ss@h/db?sslmode=verify-ca");
        assert_eq!(s.rest, "postgres://u:pa?ss@h/db");
        assert_eq!(s.mode, SslMode::VerifyCa);
    }

    #[test]
    fn key_values_are_taken_out_quoted_or_not() {
        let s = ok(
            r"host=h  sslmode = 'verify-full' password='a b\' c' sslrootcert=/x\ y/ca.pem dbname=d",
        );
        assert_eq!(s.rest, r"host=h   password='a b\' c'  dbname=d");
        assert_eq!(s.mode, SslMode::VerifyFull);
        assert_eq!(s.root_cert.as_deref(), Some("/x y/ca.pem"));
    }

    #[test]
    fn the_last_mode_given_wins() {
        assert_eq!(
            ok("host=h sslmode=require sslmode=disable").mode,
            SslMode::Disable
        );
        assert_eq!(
            ok("postgres://h?sslmode=disable&sslmode=verify-full").mode,
            SslMode::VerifyFull
        );
    }

    #[test]
    fn no_mode_and_disable_are_plain_text() {
        let s = ok("host=h dbname=d");
        assert_eq!(
            (s.rest.as_str(), s.mode),
            ("host=h dbname=d", SslMode::Disable)
        );
        assert_eq!(ok("postgres://h/d").mode, SslMode::Disable);
        assert_eq!(ok("postgres://h/d?sslmode=disable").mode, SslMode::Disable);
        assert!(
            client_config(&ok("host=h sslmode=disable"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn modes_that_may_fall_back_to_plain_text_are_refused() {
        for url in ["host=h sslmode=prefer", "postgres://h/d?sslmode=allow"] {
            let m = refused(url);
            assert!(m.contains("may fall back to plain text"), "{m}");
        }
    }

    #[test]
    fn an_unknown_mode_is_refused() {
        let m = refused("host=h sslmode=verify");
        assert_eq!(
            m,
            "unknown sslmode (disable, require, verify-ca or verify-full)"
        );
    }

    #[test]
    fn a_root_file_without_tls_is_refused() {
        let m = refused("postgres://h/d?sslrootcert=/ca.pem");
        assert!(
            m.starts_with("sslrootcert is given but sslmode does not ask for TLS"),
            "{m}"
        );
    }

    #[test]
    fn a_missing_or_empty_root_file_is_refused() {
        let dir =
            std::env::temp_dir().join(format!("cognito-signup-pg-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        for (file, wanted) in [
            (dir.join("missing.pem"), "No such file"),
            (empty, "no PEM certificate in the file"),
        ] {
            let url = format!(
                "host=h sslmode=verify-full sslrootcert='{}'",
                file.display()
            );
            match client_config(&ok(&url)) {
                Err(StoreError::Tls(m)) => assert!(m.contains(wanted), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_tls_mode_makes_a_configuration() {
        for mode in ["require", "verify-ca", "verify-full"] {
            let s = ok(&format!("host=h sslmode={mode}"));
            assert!(client_config(&s).unwrap().is_some(), "{mode}");
        }
    }
}

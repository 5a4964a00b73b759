//! The store over TLS: `sslmode=require`, `verify-ca` and `verify-full`, with `sslrootcert`.
//!
//! Needs, beside `COGNITO_SIGNUP_TEST_POSTGRES` (a superuser's plain connection, used to look at
//! the server's view of the connections and to drop the test schemas):
//! * `COGNITO_SIGNUP_TEST_POSTGRES_TLS`: a key=value connection string with `host=localhost`
//!   for a role the server lets in over TLS only (`hostssl` in `pg_hba.conf`);
//! * `COGNITO_SIGNUP_TEST_POSTGRES_TLS_CERTS`: a directory with `ca.pem`, the CA that signed the
//!   server's certificate (made for the name `localhost` only), and `other-ca.pem`, a CA that
//!   did not.
//!
//! `.ci/db.sh` sets all three up. Without them every test says it is skipped.

#![allow(
    missing_docs,
    unreachable_pub,
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[path = "../../common/pg.rs"]
mod pg;
#[path = "../../common/suite.rs"]
mod suite;

use cognito_signup::store::{CommitOutcome, UserStore};
use cognito_signup_postgres::{PostgresOptions, PostgresStore, StoreError};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

const TLS_VAR: &str = "COGNITO_SIGNUP_TEST_POSTGRES_TLS";
const CERTS_VAR: &str = "COGNITO_SIGNUP_TEST_POSTGRES_TLS_CERTS";

/// The TLS-only role's connection string, the certificates, and the plain superuser string.
struct Setup {
    tls: String,
    certs: PathBuf,
    plain: String,
}

impl Setup {
    fn ca(&self) -> String {
        self.certs.join("ca.pem").display().to_string()
    }
    fn other_ca(&self) -> String {
        self.certs.join("other-ca.pem").display().to_string()
    }
}

fn setup(test: &str) -> Option<Setup> {
    let plain = pg::url(test)?;
    match (std::env::var(TLS_VAR), std::env::var(CERTS_VAR)) {
        (Ok(tls), Ok(certs)) if !tls.is_empty() && !certs.is_empty() => Some(Setup {
            tls,
            certs: PathBuf::from(certs),
            plain,
        }),
        _ => {
            assert!(
                std::env::var_os(pg::REQUIRE_VAR).is_none(),
                "{} is set but {TLS_VAR} or {CERTS_VAR} is not",
                pg::REQUIRE_VAR
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: set {TLS_VAR} and {CERTS_VAR} (see .ci/db.sh) to run it"
            );
            None
        }
    }
}

/// Connects the store with `extra` appended to the TLS role's string (later parameters win,
/// but a second `host` would be tried after the first: see [`by_address`]), in a schema of its
/// own that is dropped afterwards.
fn connect(
    setup: &Setup,
    extra: &str,
) -> (Result<PostgresStore, StoreError>, pg::SchemaGuard, String) {
    let schema = pg::unique_schema("tls");
    let guard = pg::SchemaGuard {
        url: setup.plain.clone(),
        schema: schema.clone(),
    };
    // A name of its own, by which the server's view of its connections is found.
    let app = format!("{schema}_app");
    let url = format!("{} application_name={app} {extra}", setup.tls);
    assert_eq!(url.matches("host=").count(), 1, "one host only");
    let store = PostgresStore::connect_with(
        &url,
        PostgresOptions::default()
            .schema(schema)
            .connect_timeout(Duration::from_secs(10)),
    );
    (store, guard, app)
}

/// The TLS role's server by address, not by the name `localhost` its certificate is for.
fn by_address(setup: &Setup) -> Setup {
    Setup {
        tls: setup.tls.replace("host=localhost", "host=127.0.0.1"),
        certs: setup.certs.clone(),
        plain: setup.plain.clone(),
    }
}

/// A commit and a find through the store.
fn use_store(store: &PostgresStore) {
    assert_eq!(
        store
            .commit(suite::POOL, &suite::insert(suite::user("sub-a", "alice")))
            .unwrap(),
        CommitOutcome::Committed
    );
    let found = store.find(suite::POOL, &[suite::ukey("alice")]).unwrap();
    assert_eq!(found.unwrap().value.sub, "sub-a");
}

/// The TLS versions of the server's connections named `app`, as the server reports them
/// (`None` for one that is not encrypted).
fn server_view(setup: &Setup, app: &str) -> Vec<Option<String>> {
    let mut c = postgres::Client::connect(&setup.plain, postgres::NoTls).unwrap();
    c.query(
        "SELECT CASE WHEN s.ssl THEN s.version END
           FROM pg_stat_activity AS a JOIN pg_stat_ssl AS s USING (pid)
          WHERE a.application_name = $1",
        &[&app],
    )
    .unwrap()
    .into_iter()
    .map(|r| r.get(0))
    .collect()
}

fn refused(result: Result<PostgresStore, StoreError>) -> String {
    match result {
        Err(StoreError::Connection(m)) => m,
        other => panic!("expected a refused connection, got {other:?}"),
    }
}

#[test]
fn the_tls_role_cannot_connect_in_plain_text() {
    let Some(s) = setup("the_tls_role_cannot_connect_in_plain_text") else {
        return;
    };
    let (store, _guard, _) = connect(&s, "sslmode=disable");
    match store {
        Err(StoreError::Database { code, message }) => {
            assert_eq!(code, "28000");
            assert!(message.contains("no encryption"), "{message}");
        }
        other => panic!("expected pg_hba's refusal, got {other:?}"),
    }
}

#[test]
fn verify_full_with_the_right_ca_encrypts_every_connection() {
    let Some(s) = setup("verify_full_with_the_right_ca_encrypts_every_connection") else {
        return;
    };
    let (store, _guard, app) =
        connect(&s, &format!("sslmode=verify-full sslrootcert='{}'", s.ca()));
    let store = store.unwrap();
    use_store(&store);
    let view = server_view(&s, &app);
    assert!(!view.is_empty(), "the store's connections are not seen");
    for version in view {
        assert!(
            version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
            "{version:?}"
        );
    }
}

#[test]
fn verify_full_refuses_a_certificate_from_another_ca() {
    let Some(s) = setup("verify_full_refuses_a_certificate_from_another_ca") else {
        return;
    };
    let (store, _guard, _) = connect(
        &s,
        &format!("sslmode=verify-full sslrootcert='{}'", s.other_ca()),
    );
    let m = refused(store);
    assert!(m.contains("invalid peer certificate: UnknownIssuer"), "{m}");
}

#[test]
fn verify_full_without_a_root_file_trusts_only_the_public_roots() {
    let Some(s) = setup("verify_full_without_a_root_file_trusts_only_the_public_roots") else {
        return;
    };
    let (store, _guard, _) = connect(&s, "sslmode=verify-full");
    let m = refused(store);
    assert!(m.contains("invalid peer certificate: UnknownIssuer"), "{m}");
}

#[test]
fn verify_full_refuses_a_host_the_certificate_is_not_for() {
    let Some(s) = setup("verify_full_refuses_a_host_the_certificate_is_not_for") else {
        return;
    };
    // The certificate is for `localhost`; the same server by address is another name.
    let (store, _guard, _) = connect(
        &by_address(&s),
        &format!("sslmode=verify-full sslrootcert='{}'", s.ca()),
    );
    let m = refused(store);
    assert!(
        m.contains("invalid peer certificate: certificate not valid for name \"127.0.0.1\""),
        "{m}"
    );
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_name() {
    let Some(s) = setup("verify_ca_checks_the_chain_but_not_the_name") else {
        return;
    };
    let (store, _guard, app) = connect(
        &by_address(&s),
        &format!("sslmode=verify-ca sslrootcert='{}'", s.ca()),
    );
    let store = store.unwrap();
    use_store(&store);
    let view = server_view(&s, &app);
    assert!(
        !view.is_empty() && view.iter().all(Option::is_some),
        "{view:?}"
    );
    let (store, _guard, _) = connect(
        &by_address(&s),
        &format!("sslmode=verify-ca sslrootcert='{}'", s.other_ca()),
    );
    let m = refused(store);
    assert!(m.contains("invalid peer certificate: UnknownIssuer"), "{m}");
}

#[test]
fn require_encrypts_without_checking_the_certificate() {
    let Some(s) = setup("require_encrypts_without_checking_the_certificate") else {
        return;
    };
    // By address: the name would not pass a check, and none is made.
    let (store, _guard, app) = connect(&by_address(&s), "sslmode=require");
    let store = store.unwrap();
    use_store(&store);
    let view = server_view(&s, &app);
    assert!(
        !view.is_empty() && view.iter().all(Option::is_some),
        "{view:?}"
    );
}

#[test]
fn require_with_a_root_file_checks_the_chain() {
    let Some(s) = setup("require_with_a_root_file_checks_the_chain") else {
        return;
    };
    let (store, _guard, _) = connect(
        &s,
        &format!("sslmode=require sslrootcert='{}'", s.other_ca()),
    );
    let m = refused(store);
    assert!(m.contains("invalid peer certificate: UnknownIssuer"), "{m}");
    let (store, _guard, _) = connect(
        &by_address(&s),
        &format!("sslmode=require sslrootcert='{}'", s.ca()),
    );
    use_store(&store.unwrap());
}

#[test]
fn a_url_with_tls_parameters_connects() {
    let Some(s) = setup("a_url_with_tls_parameters_connects") else {
        return;
    };
    let port = s
        .tls
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("port="))
        .unwrap_or("5432");
    let user = s
        .tls
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("user="))
        .unwrap();
    let schema = pg::unique_schema("tlsurl");
    let _guard = pg::SchemaGuard {
        url: s.plain.clone(),
        schema: schema.clone(),
    };
    let ca: String = s
        .ca()
        .bytes()
        .map(|b| match b {
            b'/' => "%2F".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-._".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    let app = format!("{schema}_app");
    let url = format!(
        "postgres://{user}@localhost:{port}/postgres?application_name={app}&sslmode=verify-full&sslrootcert={ca}"
    );
    let store = PostgresStore::connect_with(&url, PostgresOptions::default().schema(schema));
    let store = store.unwrap();
    use_store(&store);
    let view = server_view(&s, &app);
    assert!(
        !view.is_empty() && view.iter().all(Option::is_some),
        "{view:?}"
    );
}

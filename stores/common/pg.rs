//! Where the PostgreSQL tests find their server, and the fresh schemas they run in.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable that holds the test server's connection string.
pub const URL_VAR: &str = "COGNITO_SIGNUP_TEST_POSTGRES";
/// Set (by CI) when a missing server must fail the tests rather than skip them.
pub const REQUIRE_VAR: &str = "COGNITO_SIGNUP_REQUIRE_POSTGRES";

/// The test server's connection string, or `None` after telling the person running the tests
/// that this test is skipped. Written to the real stderr, past the test harness's capture, so
/// that a skip is never silent.
pub fn url(test: &str) -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os(REQUIRE_VAR).is_none(),
                "{REQUIRE_VAR} is set but {URL_VAR} is not"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: set {URL_VAR} to a PostgreSQL connection string to run it"
            );
            None
        }
    }
}

/// A schema name no other test (of this or another process) uses.
pub fn unique_schema(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Drops its schema when dropped.
pub struct SchemaGuard {
    pub url: String,
    pub schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
                self.schema
            ));
        }
    }
}

//! The server of `docs/server.md`, as an example: the same flags, ready line, config file and
//! outbox as the `cognito-signup-server` binary (the `server/` crate), which this calls.
//!
//! ```sh
//! cargo run --release --example server -- --config CONFIG.json --listen 127.0.0.1:PORT --outbox OUTBOX.jsonl
//! ```

fn main() -> std::process::ExitCode {
    cognito_signup_server::main()
}

//! A local Cognito user pools endpoint for SignUp, ConfirmSignUp, ResendConfirmationCode,
//! AdminConfirmSignUp, AdminGetUser, AdminDisableUser, AdminEnableUser, AdminDeleteUser,
//! ListUsers and the management of pools and app clients (CreateUserPool, …,
//! ListUserPoolClients) that boto3, the AWS CLI and the AWS SDKs talk to unchanged.
//!
//! ```sh
//! cargo run --release -p cognito-signup-server -- --config CONFIG.json --listen 127.0.0.1:PORT --outbox OUTBOX.jsonl
//! ```
//!
//! Its interface and its own decisions (code keys, timeouts, limits, SigV4) are in
//! `docs/server.md`. HTTP, SigV4 and Lambda calls live here; every decision about a request is
//! the library's: [`wire::decode`] makes the core's operation, the server answers its needs
//! (the store and directory through [`Driver::answer`], Lambda with an HTTP call, the outbox
//! with a file) and [`wire::encode_result`] makes the response. The management operations and
//! ListUsers are answered by [`wire::Management::execute`] over the store, which is also the
//! catalog of pools and clients.
//!
//! The modules, in the order a request meets them:
//! * `args`: the command line (`--config`, `--listen`, `--outbox`, `--store`);
//! * `config`: the config file, the default pool, the master keys that tag codes;
//! * `startup`: the runtime, the store, the listener, the ready line, signals and shutdown;
//! * `connection`: connection slots per peer, and the write timeout;
//! * `http`: one request: body budget, signature check, the step loop or the management
//!   operations, the HTTP response;
//! * `sigv4`: the SigV4 verifier of the admin and management operations;
//! * `lambda`: the Invoke API client (plain HTTP or TLS);
//! * `outbox`: the file every delivered message is written to.
//!
//! The binary `cognito-signup-server` and the example `cargo run --example server` both call
//! [`main`].
//!
//! [`wire::decode`]: cognito_signup::wire::decode
//! [`wire::encode_result`]: cognito_signup::wire::encode_result
//! [`wire::Management::execute`]: cognito_signup::wire::Management::execute
//! [`Driver::answer`]: cognito_signup::Driver::answer

mod args;
mod config;
mod connection;
mod error;
mod http;
mod lambda;
mod outbox;
mod sigv4;
mod startup;

/// Runs the server with the process's command line (`std::env::args`) and environment, as
/// `docs/server.md` describes, until SIGTERM or SIGINT; the exit code says whether it started
/// and stopped cleanly. Errors are printed to stderr as `error: ...`.
///
/// `--help` prints the usage and exits the process with status 0.
pub fn main() -> std::process::ExitCode {
    startup::main()
}

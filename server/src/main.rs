//! The `cognito-signup-server` binary: the server of `docs/server.md`.

fn main() -> std::process::ExitCode {
    cognito_signup_server::main()
}

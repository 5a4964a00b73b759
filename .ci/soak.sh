#!/usr/bin/env bash
# The soak and abuse run (tests/soak/soak.py) against the release server binary
# (cognito-signup-server), on loopback: thousands of SignUps and their confirmations, a
# 64-connection SignUp flood, a flood of maximal invalid bodies and a thousand idle connections
# from one client while another is served. It fails if the server dies, leaves a request
# unanswered or goes over 256 MiB resident.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

# Built as .ci/real-clients.sh builds it (the same packages and targets, so the same features):
# CI compiles the release server once.
cargo build --release -p cognito-signup -p cognito-signup-server \
    --bin cognito-signup-server --example server --example model_description
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
exec python3 tests/soak/soak.py --server "$target_dir/release/cognito-signup-server" "$@"

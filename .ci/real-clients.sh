#!/usr/bin/env bash
# Real AWS clients against the server (the cognito-signup-server binary): boto3 and the AWS CLI drive it over HTTP, and the
# crate's operations are compared with botocore's cognito-idp service model.
#
# Creates a virtualenv (target/real-clients-venv, or $REAL_CLIENTS_VENV) with the pinned clients
# of tests/python/requirements.txt, builds the server once in release mode (the binary, and the
# example that wraps it: one test checks that `cargo run --example server` still starts it), and
# runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

venv="${REAL_CLIENTS_VENV:-target/real-clients-venv}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
venv="$(cd "$venv" && pwd)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r tests/python/requirements.txt

cargo build --release -p cognito-signup -p cognito-signup-server \
    --bin cognito-signup-server --example server --example model_description

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
export COGNITO_SERVER_BIN="$target_dir/release/cognito-signup-server"
export COGNITO_EXAMPLE_SERVER_BIN="$target_dir/release/examples/server"
export COGNITO_MODEL_DESCRIPTION_BIN="$target_dir/release/examples/model_description"
# No stray credentials or profiles from the machine: each test sets what it uses.
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

cd tests/python
exec "$venv/bin/python" -m pytest -v -p no:cacheprovider .

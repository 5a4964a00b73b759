#!/usr/bin/env bash
# The durable stores' tests: SQLite (bundled, nothing to install) and PostgreSQL, installed from
# Debian's packages when missing, run as a throwaway cluster on loopback and stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && echo "$d"
    done | sort -V | tail -n 1
}

PGBIN="$(pg_bin || true)"
if [ -z "$PGBIN" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL is not installed and this is not root: cannot install it" >&2
        exit 1
    fi
    echo "installing PostgreSQL from Debian's packages"
    # Only the binaries: no cluster of the package's own that would stay running.
    mkdir -p /etc/postgresql-common
    [ -e /etc/postgresql-common/createcluster.conf ] ||
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql > /dev/null
    PGBIN="$(pg_bin)"
fi
echo "PostgreSQL: $("$PGBIN/postgres" --version)"

# postgres refuses to run as root: run the cluster as the postgres user (the package creates
# it), or as whoever we are.
if [ "$(id -u)" -eq 0 ]; then
    id -u postgres > /dev/null 2>&1 || useradd --system --no-create-home postgres
    # From a directory it can read: the clone may live under a home it cannot enter.
    as_pg() { (cd "$PGTMP" && runuser -u postgres -- "$@"); }
else
    as_pg() { "$@"; }
fi

PGTMP="$(mktemp -d /tmp/cognito-signup-pg.XXXXXX)"
chmod 755 "$PGTMP"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGTMP"; fi
stop() {
    as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$PGTMP"
}
trap stop EXIT

# A free port on loopback.
PORT=55432
while (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null; do PORT=$((PORT + 1)); done

# TLS: a CA made for this run, a server certificate it signs for the name `localhost` only (so
# that `host=127.0.0.1` is a name the certificate is not for), and an unrelated CA.
command -v openssl > /dev/null || {
    echo "installing openssl from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl > /dev/null
}
CERTS="$PGTMP/certs"
mkdir -p "$CERTS"
new_ca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$2" -keyout "$CERTS/$1.key" -out "$CERTS/$1.pem" 2> /dev/null
}
new_ca ca "cognito-signup test CA"
new_ca other-ca "an unrelated CA"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
    -keyout "$CERTS/server.key" -out "$CERTS/server.csr" 2> /dev/null
printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" > "$CERTS/server.ext"
openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.pem" -CAkey "$CERTS/ca.key" \
    -set_serial 2 -days 2 -extfile "$CERTS/server.ext" -out "$CERTS/server.pem" 2> /dev/null
chmod 600 "$CERTS/server.key"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$CERTS"; fi

as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --no-sync > "$PGTMP/initdb.log"
# The role `tlsonly` may log in over TLS only: its connections that succeed are encrypted.
printf '%s\n' "hostssl all tlsonly 127.0.0.1/32 trust" "hostssl all tlsonly ::1/128 trust" \
    "host all tlsonly all reject" | cat - "$PGTMP/data/pg_hba.conf" > "$PGTMP/hba.new"
as_pg cp "$PGTMP/hba.new" "$PGTMP/data/pg_hba.conf"
as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
    -o "-p $PORT -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=200 -c ssl=on -c ssl_cert_file=$CERTS/server.pem -c ssl_key_file=$CERTS/server.key" \
    start > /dev/null
as_pg "$PGBIN/psql" -h "$PGTMP" -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE tlsonly LOGIN SUPERUSER" > /dev/null
echo "PostgreSQL listening on 127.0.0.1:$PORT (TLS on; role tlsonly over TLS only)"

export COGNITO_SIGNUP_TEST_POSTGRES="host=127.0.0.1 port=$PORT user=postgres dbname=postgres"
export COGNITO_SIGNUP_TEST_POSTGRES_TLS="host=localhost port=$PORT user=tlsonly dbname=postgres"
export COGNITO_SIGNUP_TEST_POSTGRES_TLS_CERTS="$CERTS"
# A missing server must fail the tests, not skip them.
export COGNITO_SIGNUP_REQUIRE_POSTGRES=1
cargo test -p cognito-signup-sqlite -p cognito-signup-postgres

# The model-based property test of the spec, against each durable store (fewer cases).
COGNITO_SIGNUP_SPEC_STORE=sqlite cargo test --all-features --test spec machine_agrees_with_the_model
COGNITO_SIGNUP_SPEC_STORE=postgres cargo test --all-features --test spec machine_agrees_with_the_model

# The server on the throwaway database: two servers sharing its users and its pools (the
# real-client suite's virtualenv and release server, built by .ci/real-clients.sh, run these).
venv="${REAL_CLIENTS_VENV:-target/real-clients-venv}"
server_bin="${CARGO_TARGET_DIR:-$PWD/target}/release/cognito-signup-server"
if [ -x "$venv/bin/python" ] && [ -x "$server_bin" ]; then
    export COGNITO_SIGNUP_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
    export COGNITO_SIGNUP_TEST_POSTGRES_TLS_URL="postgres://tlsonly@localhost:$PORT/postgres?sslmode=verify-full&sslrootcert=$CERTS/ca.pem"
    export COGNITO_SERVER_BIN="$server_bin"
    unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    (cd tests/python && "../../$venv/bin/python" -m pytest -v -p no:cacheprovider \
        test_durable_stores.py \
        test_fixture_e2e.py::test_a_pool_made_on_one_server_is_served_by_another_on_the_same_postgres)
else
    echo "the server on PostgreSQL: needs .ci/real-clients.sh to have run first" >&2
    exit 1
fi

"""The flow a test suite's fixtures run against the server, end to end: a server started without
--config, a pool and an app client with a generated secret made through the API, a user signed
up, confirmed with the code from the outbox, found with ListUsers, deleted, and the pool deleted;
the same with the AWS CLI; and pools, clients and users kept by `--store sqlite:PATH` across a
restart.

Not yet in .ci/real-clients.sh's run (the server does not route these operations yet). Once
.ci/real-clients.sh has built the release binary and its virtualenv:

    cd tests/python
    COGNITO_SERVER_BIN="${CARGO_TARGET_DIR:-../../target}/release/cognito-signup-server" \
        ../../target/real-clients-venv/bin/python -m pytest -v -p no:cacheprovider test_fixture_e2e.py
"""

import base64
import hashlib
import hmac
import json
import re
import uuid

import pytest

from conftest import Server, run_cli

PASSWORD = "Corr3ct-Horse"
POOL_ID = re.compile(r"^us-east-1_[0-9A-Za-z]{9}$")
CLIENT_ID = re.compile(r"^[0-9a-z]{26}$")


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def secret_hash(username, client_id, client_secret):
    mac = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def error_of(excinfo):
    e = excinfo.value
    return e.response["Error"]["Code"], e.response["Error"]["Message"]


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """The server as a suite starts it: no --config (its built-in pool and the local admin key
    pair only), an outbox to read codes from."""
    s = Server(tmp_path_factory.mktemp("bare"))
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def admin(bare_server):
    return bare_server.client()


@pytest.fixture(scope="module")
def public(bare_server):
    return bare_server.client(signed=False)


def make_pool_and_client(admin):
    """A pool with an email alias, email auto-verified, and a client with a generated secret."""
    name = unique("fixture-pool-")
    created = admin.create_user_pool(
        PoolName=name, AliasAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]
    assert POOL_ID.match(created["Id"]), created["Id"]
    assert created["Name"] == name
    assert created["AliasAttributes"] == ["email"]
    assert created["AutoVerifiedAttributes"] == ["email"]
    app = admin.create_user_pool_client(
        UserPoolId=created["Id"], ClientName="fixture-client", GenerateSecret=True
    )["UserPoolClient"]
    assert app["UserPoolId"] == created["Id"]
    assert CLIENT_ID.match(app["ClientId"]), app["ClientId"]
    assert len(app["ClientSecret"]) > 0
    return created["Id"], app["ClientId"], app["ClientSecret"]


def sign_up(public, client_id, client_secret, username, email):
    return public.sign_up(
        ClientId=client_id,
        SecretHash=secret_hash(username, client_id, client_secret),
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


def confirm(public, client_id, client_secret, username, code):
    return public.confirm_sign_up(
        ClientId=client_id,
        SecretHash=secret_hash(username, client_id, client_secret),
        Username=username,
        ConfirmationCode=code,
    )


# ---------------------------------------------------------------------------------------------
# boto3


def test_a_fixture_pool_signs_up_confirms_lists_and_deletes_a_user(bare_server, admin, public):
    pool_id, client_id, client_secret = make_pool_and_client(admin)
    username = unique("dana")
    email = f"{username}@example.com"

    out = sign_up(public, client_id, client_secret, username, email)
    assert out["UserConfirmed"] is False
    line = bare_server.outbox_lines()[-1]
    assert (line["UserPoolId"], line["Username"], line["Destination"]) == (pool_id, username, email)
    confirm(public, client_id, client_secret, username, bare_server.last_code(username))

    users = admin.list_users(UserPoolId=pool_id, Filter=f'email = "{email}"')["Users"]
    assert [u["Username"] for u in users] == [username]
    assert users[0]["UserStatus"] == "CONFIRMED"
    assert {"Name": "email", "Value": email} in users[0]["Attributes"]
    # The filter is exact: another address finds nobody.
    assert admin.list_users(UserPoolId=pool_id, Filter='email = "nobody@example.com"')["Users"] == []

    admin.admin_delete_user(UserPoolId=pool_id, Username=username)
    with pytest.raises(admin.exceptions.UserNotFoundException) as excinfo:
        admin.admin_get_user(UserPoolId=pool_id, Username=username)
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    assert admin.list_users(UserPoolId=pool_id, Filter=f'email = "{email}"')["Users"] == []

    # A user signed up but not confirmed when the pool goes: the code confirms nothing after.
    later = unique("erin")
    sign_up(public, client_id, client_secret, later, f"{later}@example.com")
    code = bare_server.last_code(later)

    admin.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(admin.exceptions.ResourceNotFoundException) as excinfo:
        admin.describe_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool {pool_id} does not exist.",
    )
    with pytest.raises(public.exceptions.ResourceNotFoundException) as excinfo:
        confirm(public, client_id, client_secret, later, code)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool client {client_id} does not exist.",
    )
    assert pool_id not in [p["Id"] for p in admin.list_user_pools(MaxResults=60)["UserPools"]]


# ---------------------------------------------------------------------------------------------
# The AWS CLI


def cli(server, *args, signed=True):
    """`aws cognito-idp ARGS`: the exit code, and stdout parsed as JSON (None when empty) or
    stderr on an error."""
    r = run_cli(server, *args, signed=signed)
    if r.returncode != 0:
        return r.returncode, r.stderr
    return 0, json.loads(r.stdout) if r.stdout.strip() else None


def test_the_same_flow_with_the_aws_cli(bare_server):
    name = unique("cli-pool-")
    rc, out = cli(
        bare_server,
        "create-user-pool",
        "--pool-name", name,
        "--alias-attributes", "email",
        "--auto-verified-attributes", "email",
    )
    assert rc == 0, out
    pool_id = out["UserPool"]["Id"]
    assert POOL_ID.match(pool_id)
    rc, out = cli(
        bare_server,
        "create-user-pool-client",
        "--user-pool-id", pool_id,
        "--client-name", "cli-client",
        "--generate-secret",
    )
    assert rc == 0, out
    client_id = out["UserPoolClient"]["ClientId"]
    client_secret = out["UserPoolClient"]["ClientSecret"]

    username = unique("fern")
    email = f"{username}@example.com"
    rc, out = cli(
        bare_server,
        "sign-up",
        "--client-id", client_id,
        "--secret-hash", secret_hash(username, client_id, client_secret),
        "--username", username,
        "--password", PASSWORD,
        "--user-attributes", f"Name=email,Value={email}",
        signed=False,
    )
    assert rc == 0, out
    assert out["UserConfirmed"] is False
    rc, out = cli(
        bare_server,
        "confirm-sign-up",
        "--client-id", client_id,
        "--secret-hash", secret_hash(username, client_id, client_secret),
        "--username", username,
        "--confirmation-code", bare_server.last_code(username),
        signed=False,
    )
    assert (rc, out) == (0, None)

    rc, out = cli(
        bare_server, "list-users", "--user-pool-id", pool_id, "--filter", f'email = "{email}"'
    )
    assert rc == 0, out
    assert [(u["Username"], u["UserStatus"]) for u in out["Users"]] == [(username, "CONFIRMED")]

    rc, out = cli(bare_server, "admin-delete-user", "--user-pool-id", pool_id, "--username", username)
    assert (rc, out) == (0, None)
    rc, err = cli(bare_server, "admin-get-user", "--user-pool-id", pool_id, "--username", username)
    assert rc == 255  # the CLI v1 exit code of a service error
    assert (
        "An error occurred (UserNotFoundException) when calling the AdminGetUser operation: "
        "User does not exist." in err
    )

    rc, out = cli(bare_server, "delete-user-pool", "--user-pool-id", pool_id)
    assert (rc, out) == (0, None)
    rc, err = cli(bare_server, "describe-user-pool", "--user-pool-id", pool_id)
    assert rc == 255
    assert (
        "An error occurred (ResourceNotFoundException) when calling the DescribeUserPool "
        f"operation: User pool {pool_id} does not exist." in err
    )


# ---------------------------------------------------------------------------------------------
# --store sqlite:PATH across a restart


def test_pools_clients_and_users_made_through_the_api_survive_a_restart_on_sqlite(tmp_path):
    db = tmp_path / "users.db"
    (tmp_path / "a").mkdir()
    first = Server(tmp_path / "a", None, ["--store", f"sqlite:{db}"])
    try:
        admin = first.client()
        public = first.client(signed=False)
        pool_id, client_id, client_secret = make_pool_and_client(admin)
        username = unique("gale")
        sign_up(public, client_id, client_secret, username, f"{username}@example.com")
        confirm(public, client_id, client_secret, username, first.last_code(username))
    finally:
        assert first.stop() == 0

    (tmp_path / "b").mkdir()
    second = Server(tmp_path / "b", None, ["--store", f"sqlite:{db}"])
    try:
        admin = second.client()
        public = second.client(signed=False)
        pool = admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert (pool["Id"], pool["AliasAttributes"], pool["AutoVerifiedAttributes"]) == (
            pool_id,
            ["email"],
            ["email"],
        )
        app = admin.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
            "UserPoolClient"
        ]
        assert (app["ClientId"], app["ClientSecret"], app["ClientName"]) == (
            client_id,
            client_secret,
            "fixture-client",
        )
        user = admin.admin_get_user(UserPoolId=pool_id, Username=username)
        assert user["UserStatus"] == "CONFIRMED"

        # The client still works after the restart: a new user signs up and confirms.
        other = unique("hope")
        sign_up(public, client_id, client_secret, other, f"{other}@example.com")
        confirm(public, client_id, client_secret, other, second.last_code(other))
        assert admin.admin_get_user(UserPoolId=pool_id, Username=other)["UserStatus"] == "CONFIRMED"
    finally:
        assert second.stop() == 0

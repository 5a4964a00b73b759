"""The flow a test suite's fixtures run against the server, end to end: a server started without
--config, a pool and an app client with a generated secret made through the API, a user signed
up, confirmed with the code from the outbox, found with ListUsers, deleted, and the pool deleted;
the same with the AWS CLI; the signature the new operations need; what the API sees of the
built-in pool (docs/server.md [server-management]); pools, clients and users kept by
`--store sqlite:PATH` across a restart; and a pool made on one server seen by another on the same
PostgreSQL database (skipped without COGNITO_SIGNUP_TEST_POSTGRES_URL, which .ci/db.sh sets).

.ci/real-clients.sh runs it with the rest of the real-client suite.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import uuid

import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, Server, run_cli

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


# ---------------------------------------------------------------------------------------------
# The new operations need a signature ([server-sigv4])


def test_pool_management_and_list_users_refuse_an_unsigned_request(bare_server, admin, public):
    before = admin.list_user_pools(MaxResults=60)["UserPools"]
    with pytest.raises(public.exceptions.ClientError) as excinfo:
        public.create_user_pool(PoolName=unique("unsigned-"))
    assert error_of(excinfo) == (
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
    )
    # Refused before the request is decoded: nothing was made.
    assert admin.list_user_pools(MaxResults=60)["UserPools"] == before

    pool_id, client_id, _ = make_pool_and_client(admin)
    refused = [
        lambda: public.describe_user_pool(UserPoolId=pool_id),
        lambda: public.list_user_pools(MaxResults=60),
        lambda: public.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id),
        lambda: public.list_users(UserPoolId=pool_id),
        lambda: public.admin_delete_user(UserPoolId=pool_id, Username="anyone"),
        lambda: public.delete_user_pool(UserPoolId=pool_id),
    ]
    for call in refused:
        with pytest.raises(public.exceptions.ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "MissingAuthenticationTokenException"
    # A key pair the server does not know is refused too.
    stranger = bare_server.client(access_key="AKIDSTRANGER", secret_key="not-the-secret")
    with pytest.raises(stranger.exceptions.ClientError) as excinfo:
        stranger.delete_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    # The pool is still there, with its client.
    assert admin.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id
    assert admin.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]["ClientId"] == client_id
    admin.delete_user_pool(UserPoolId=pool_id)


# ---------------------------------------------------------------------------------------------
# The built-in pool is served but not managed ([server-management])


def test_a_server_without_config_looks_like_a_fresh_account_to_management(tmp_path):
    server = Server(tmp_path)
    try:
        admin = server.client()
        public = server.client(signed=False)
        # The built-in pool is not in the catalog: nothing is listed, and it is not described.
        assert admin.list_user_pools(MaxResults=60)["UserPools"] == []
        with pytest.raises(admin.exceptions.ResourceNotFoundException) as excinfo:
            admin.describe_user_pool(UserPoolId="us-east-1_LocalPool")
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            "User pool us-east-1_LocalPool does not exist.",
        )
        fixed = [
            lambda: admin.delete_user_pool(UserPoolId="us-east-1_LocalPool"),
            lambda: admin.update_user_pool(UserPoolId="us-east-1_LocalPool"),
            lambda: admin.create_user_pool_client(
                UserPoolId="us-east-1_LocalPool", ClientName="extra"
            ),
            lambda: admin.describe_user_pool_client(
                UserPoolId="us-east-1_LocalPool", ClientId="localclient"
            ),
            lambda: admin.list_user_pool_clients(UserPoolId="us-east-1_LocalPool"),
        ]
        for call in fixed:
            with pytest.raises(admin.exceptions.ResourceNotFoundException) as excinfo:
                call()
            assert error_of(excinfo) == (
                "ResourceNotFoundException",
                "User pool us-east-1_LocalPool does not exist.",
            )
        # A pool made through the API is the only one listed.
        pool_id, _, _ = make_pool_and_client(admin)
        assert [p["Id"] for p in admin.list_user_pools(MaxResults=60)["UserPools"]] == [pool_id]

        # The built-in pool still signs users up, and ListUsers and AdminDeleteUser work on it.
        public.sign_up(
            ClientId="localclient",
            Username="ida",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "ida@example.com"}],
        )
        users = admin.list_users(UserPoolId="us-east-1_LocalPool", Filter='username = "ida"')
        assert [(u["Username"], u["UserStatus"]) for u in users["Users"]] == [
            ("ida", "UNCONFIRMED")
        ]
        admin.admin_delete_user(UserPoolId="us-east-1_LocalPool", Username="ida")
        assert admin.list_users(UserPoolId="us-east-1_LocalPool")["Users"] == []
        # The pool survived DeleteUserPool's refusal: it still signs up.
        public.sign_up(
            ClientId="localclient",
            Username="ida",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "ida@example.com"}],
        )
    finally:
        assert server.stop() == 0


# ---------------------------------------------------------------------------------------------
# --store postgres://...: every server on the database sees the pools


def postgres_url():
    url = os.environ.get("COGNITO_SIGNUP_TEST_POSTGRES_URL")
    if url:
        return url
    if os.environ.get("COGNITO_SIGNUP_REQUIRE_POSTGRES") == "1":
        pytest.fail("COGNITO_SIGNUP_TEST_POSTGRES_URL is not set")
    pytest.skip("set COGNITO_SIGNUP_TEST_POSTGRES_URL to run the PostgreSQL tests")


def test_a_pool_made_on_one_server_is_served_by_another_on_the_same_postgres(tmp_path):
    url = postgres_url()
    key = base64.b64encode(os.urandom(32)).decode()
    # No pools of their own: only the shared code keys and the admin key pair.
    config = {
        "Region": REGION,
        "AdminCredentials": [{"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}],
        "CodeKeys": [key],
    }
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(Server(tmp_path / name, config, ["--store", url]))
    a, b = servers
    try:
        pool_id, client_id, client_secret = make_pool_and_client(a.client())
        admin_b = b.client()
        pool = admin_b.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert (pool["Id"], pool["AliasAttributes"]) == (pool_id, ["email"])
        assert client_id in [
            c["ClientId"]
            for c in admin_b.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]
        ]
        assert pool_id in [p["Id"] for p in admin_b.list_user_pools(MaxResults=60)["UserPools"]]

        # Signed up through b, confirmed through a with the code b sent.
        username = unique("jade")
        sign_up(b.client(signed=False), client_id, client_secret, username, f"{username}@example.com")
        confirm(a.client(signed=False), client_id, client_secret, username, b.last_code(username))
        users = a.client().list_users(UserPoolId=pool_id, Filter=f'username = "{username}"')
        assert [u["UserStatus"] for u in users["Users"]] == ["CONFIRMED"]

        # An update on b is seen by a at once; a deletion on a is seen by b at once.
        admin_b.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=[])
        assert "AutoVerifiedAttributes" not in a.client().describe_user_pool(UserPoolId=pool_id)[
            "UserPool"
        ]
        a.client().delete_user_pool(UserPoolId=pool_id)
        with pytest.raises(admin_b.exceptions.ResourceNotFoundException) as excinfo:
            admin_b.describe_user_pool(UserPoolId=pool_id)
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"User pool {pool_id} does not exist.",
        )
        with pytest.raises(admin_b.exceptions.ResourceNotFoundException) as excinfo:
            sign_up(b.client(signed=False), client_id, client_secret, unique("kai"), "kai@example.com")
        assert error_of(excinfo) == (
            "ResourceNotFoundException",
            f"User pool client {client_id} does not exist.",
        )
    finally:
        for s in servers:
            assert s.stop() == 0

"""The server on durable stores (`--store sqlite:PATH`, `--store postgres://...`).

The SQLite tests always run. The PostgreSQL tests need a server: `.ci/db.sh` starts one and sets
COGNITO_SIGNUP_TEST_POSTGRES_URL; without it they are skipped (or fail when
COGNITO_SIGNUP_REQUIRE_POSTGRES=1).
"""

import base64
import os
import stat
import threading
import time
import uuid

import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, Server, pool

PASSWORD = "Corr3ct-Horse"
PG_URL = os.environ.get("COGNITO_SIGNUP_TEST_POSTGRES_URL")
# A URL with sslmode=verify-full and sslrootcert for a role the database lets in over TLS only.
PG_TLS_URL = os.environ.get("COGNITO_SIGNUP_TEST_POSTGRES_TLS_URL")


def config(pool_id, **extra):
    c = {
        "Region": REGION,
        "AdminCredentials": [{"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}],
        "UserPools": [pool(pool_id, [{"ClientId": "durableclient"}])],
    }
    c.update(extra)
    return c


def sign_up(client, username):
    return client.sign_up(
        ClientId="durableclient",
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )


def test_sqlite_store_keeps_users_and_codes_across_a_restart(tmp_path):
    db = tmp_path / "users.db"
    pool_id = "us-east-1_Durable"
    (tmp_path / "a").mkdir()
    first = Server(tmp_path / "a", config(pool_id), ["--store", f"sqlite:{db}"])
    try:
        sign_up(first.client(signed=False), "dana")
        code = first.last_code("dana")
    finally:
        assert first.stop() == 0
    keys = tmp_path / "users.db.code-keys"
    assert keys.exists(), "the code key outlives the process, beside the database"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert len(base64.b64decode(keys.read_text())) == 32

    (tmp_path / "b").mkdir()
    second = Server(tmp_path / "b", config(pool_id), ["--store", f"sqlite:{db}"])
    try:
        public = second.client(signed=False)
        # A code issued before the restart still verifies: same key, same store.
        public.confirm_sign_up(ClientId="durableclient", Username="dana", ConfirmationCode=code)
        user = second.client().admin_get_user(UserPoolId=pool_id, Username="dana")
        assert user["UserStatus"] == "CONFIRMED"
        with pytest.raises(public.exceptions.NotAuthorizedException):
            public.confirm_sign_up(ClientId="durableclient", Username="dana", ConfirmationCode=code)
    finally:
        assert second.stop() == 0


def test_the_sqlite_files_and_the_outbox_are_readable_by_the_owner_only(tmp_path):
    # Under the usual umask a new file is readable by everyone; these hold password hashes,
    # addresses and live codes.
    old_umask = os.umask(0o022)
    try:
        db = tmp_path / "users.db"
        server = Server(tmp_path, config("us-east-1_Private"), ["--store", f"sqlite:{db}"])
    finally:
        os.umask(old_umask)
    try:
        sign_up(server.client(signed=False), "fern")
        files = [db, tmp_path / "users.db-wal", tmp_path / "users.db-shm", server.outbox]
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files
        }
    finally:
        assert server.stop() == 0


def test_an_unknown_store_is_refused(tmp_path):
    with pytest.raises(AssertionError):
        Server(tmp_path, None, ["--store", "mysql://nope"])
    assert "expected memory, sqlite:PATH or postgres://" in (tmp_path / "server.err").read_text()


def postgres_url():
    if PG_URL:
        return PG_URL
    if os.environ.get("COGNITO_SIGNUP_REQUIRE_POSTGRES") == "1":
        pytest.fail("COGNITO_SIGNUP_TEST_POSTGRES_URL is not set")
    pytest.skip("set COGNITO_SIGNUP_TEST_POSTGRES_URL to run the PostgreSQL tests")


def postgres_tls_url():
    if PG_TLS_URL:
        return PG_TLS_URL
    if os.environ.get("COGNITO_SIGNUP_REQUIRE_POSTGRES") == "1":
        pytest.fail("COGNITO_SIGNUP_TEST_POSTGRES_TLS_URL is not set")
    pytest.skip("set COGNITO_SIGNUP_TEST_POSTGRES_TLS_URL to run the PostgreSQL TLS tests")


def test_a_server_on_postgres_over_tls_signs_up_and_confirms(tmp_path):
    url = postgres_tls_url()
    assert "sslmode=verify-full" in url
    pool_id = "us-east-1_Tls" + uuid.uuid4().hex[:8]
    key = base64.b64encode(os.urandom(32)).decode()
    server = Server(tmp_path, config(pool_id, CodeKeys=[key]), ["--store", url])
    try:
        client = server.client(signed=False)
        sign_up(client, "tess")
        client.confirm_sign_up(
            ClientId="durableclient", Username="tess", ConfirmationCode=server.last_code("tess")
        )
        user = server.client().admin_get_user(UserPoolId=pool_id, Username="tess")
        assert user["UserStatus"] == "CONFIRMED"
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("mode", ["prefer", "allow"])
def test_a_postgres_sslmode_that_may_fall_back_to_plain_text_stops_the_server(tmp_path, mode):
    url = postgres_tls_url().replace("sslmode=verify-full", f"sslmode={mode}")
    key = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(AssertionError):
        Server(tmp_path, config("us-east-1_Prefer", CodeKeys=[key]), ["--store", url])
    err = (tmp_path / "server.err").read_text()
    assert f"sslmode={mode} may fall back to plain text, which this store never does" in err, err
    assert url not in err


def test_postgres_needs_shared_code_keys(tmp_path):
    url = postgres_url()
    with pytest.raises(AssertionError):
        Server(tmp_path, config("us-east-1_NoKeys"), ["--store", url])
    err = (tmp_path / "server.err").read_text()
    assert "set CodeKeys in the config or COGNITO_SIGNUP_CODE_KEYS" in err
    assert url not in err, "the URL (which may hold a password) is never printed"


def test_two_servers_on_one_postgres_database_share_users_and_confirm_once(tmp_path):
    url = postgres_url()
    pool_id = "us-east-1_Shared" + uuid.uuid4().hex[:8]
    key = base64.b64encode(os.urandom(32)).decode()
    servers = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        servers.append(Server(tmp_path / name, config(pool_id, CodeKeys=[key]), ["--store", url]))
    a, b = servers
    try:
        sign_up(a.client(signed=False), "erin")
        code = a.last_code("erin")
        # Confirm through both servers at once, many times: exactly one succeeds.
        results = []
        lock = threading.Lock()

        def confirm(server):
            client = server.client(signed=False)
            try:
                client.confirm_sign_up(ClientId="durableclient", Username="erin", ConfirmationCode=code)
                outcome = "ok"
            except client.exceptions.NotAuthorizedException:
                outcome = "NotAuthorizedException"
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=confirm, args=(s,)) for s in servers * 8]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results.count("ok") == 1, results
        assert results.count("NotAuthorizedException") == 15, results
        for s in servers:
            user = s.client().admin_get_user(UserPoolId=pool_id, Username="erin")
            assert user["UserStatus"] == "CONFIRMED"

        # Wrong codes through both servers count against one budget of 15.
        sign_up(b.client(signed=False), "finn")
        good = b.last_code("finn")
        wrong = f"{(int(good) + 1) % 1000000:06d}"
        seen = []

        def guess(server):
            client = server.client(signed=False)
            try:
                client.confirm_sign_up(ClientId="durableclient", Username="finn", ConfirmationCode=wrong)
            except client.exceptions.ClientError as e:
                with lock:
                    seen.append(e.response["Error"]["Code"])

        threads = [threading.Thread(target=guess, args=(s,)) for s in servers * 10]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen.count("CodeMismatchException") == 15, seen
        assert seen.count("LimitExceededException") == 5, seen

        # Two users with one email race to confirm through different servers, several rounds:
        # without ForceAliasCreation exactly one wins each round and holds the verified alias.
        for round_ in range(4):
            shared = f"shared{round_}@example.com"
            pair = [f"gail{round_}", f"hank{round_}"]
            for name, server in zip(pair, servers):
                server.client(signed=False).sign_up(
                    ClientId="durableclient",
                    Username=name,
                    Password=PASSWORD,
                    UserAttributes=[{"Name": "email", "Value": shared}],
                )
            codes = {name: server.last_code(name) for name, server in zip(pair, servers)}
            outcomes = {}

            def race(name, server):
                client = server.client(signed=False)
                try:
                    client.confirm_sign_up(
                        ClientId="durableclient", Username=name, ConfirmationCode=codes[name]
                    )
                    outcome = "ok"
                except client.exceptions.ClientError as e:
                    outcome = e.response["Error"]["Code"]
                with lock:
                    outcomes[name] = outcome

            threads = [threading.Thread(target=race, args=(n, s)) for n, s in zip(pair, servers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes.values()) == ["AliasExistsException", "ok"], outcomes
            winner = next(n for n, o in outcomes.items() if o == "ok")
            admin = a.client()
            holder = admin.admin_get_user(UserPoolId=pool_id, Username=shared)
            assert holder["Username"] == winner
            verified = [
                n
                for n in pair
                if {x["Name"]: x["Value"] for x in admin.admin_get_user(
                    UserPoolId=pool_id, Username=n)["UserAttributes"]}["email_verified"] == "true"
            ]
            assert verified == [winner], verified
    finally:
        for s in servers:
            assert s.stop() == 0


def test_a_sqlite_server_killed_mid_load_keeps_every_acknowledged_confirmation(tmp_path):
    """SIGKILL while clients confirm: after a restart on the same file, every confirmation the
    server acknowledged is there, and no user is half-confirmed."""
    db = tmp_path / "users.db"
    pool_id = "us-east-1_Crash"
    (tmp_path / "a").mkdir()
    first = Server(tmp_path / "a", config(pool_id), ["--store", f"sqlite:{db}"])
    acknowledged = []
    lock = threading.Lock()
    try:
        public = first.client(signed=False)
        names = [f"crash{i}" for i in range(40)]
        for name in names:
            sign_up(public, name)
        codes = {name: first.last_code(name) for name in names}

        def confirm(batch):
            client = first.client(signed=False)
            for name in batch:
                try:
                    client.confirm_sign_up(
                        ClientId="durableclient", Username=name, ConfirmationCode=codes[name]
                    )
                except Exception:
                    return  # the server died under us
                with lock:
                    acknowledged.append(name)

        threads = [threading.Thread(target=confirm, args=(names[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        # Kill it while the clients are still confirming.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if len(acknowledged) >= 10:
                    break
            time.sleep(0.001)
        first.proc.kill()
        for t in threads:
            t.join()
    finally:
        first.stop()
    assert 10 <= len(acknowledged) < 40, "the kill came mid-load"

    (tmp_path / "b").mkdir()
    second = Server(tmp_path / "b", config(pool_id), ["--store", f"sqlite:{db}"])
    try:
        admin = second.client()
        for name in names:
            user = admin.admin_get_user(UserPoolId=pool_id, Username=name)
            attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
            if name in acknowledged:
                assert user["UserStatus"] == "CONFIRMED", name
            # All or nothing: confirmed exactly when the email is verified.
            assert (user["UserStatus"] == "CONFIRMED") == (attrs["email_verified"] == "true"), name
        # Users whose confirmation never came back can still confirm (or already did).
        public = second.client(signed=False)
        for name in names:
            if name not in acknowledged:
                try:
                    public.confirm_sign_up(
                        ClientId="durableclient", Username=name, ConfirmationCode=codes[name]
                    )
                except public.exceptions.NotAuthorizedException:
                    pass  # its commit landed before the kill, its answer did not
            user = second.client().admin_get_user(UserPoolId=pool_id, Username=name)
            assert user["UserStatus"] == "CONFIRMED", name
    finally:
        assert second.stop() == 0

"""The server's Lambda client over https: a function server that speaks TLS only, with
certificates made for each run by the openssl command, a test CA trusted through
COGNITO_SIGNUP_LAMBDA_CA_FILE, and endpoints the server must refuse at start."""

import json
import os
import ssl
import subprocess

import pytest

from conftest import ACCESS_KEY, REGION, SECRET_KEY, SERVER_BIN, LambdaFunctions, Server, pool

PASSWORD = "Corr3ct-Horse"
CA_VAR = "COGNITO_SIGNUP_LAMBDA_CA_FILE"
SOCKET_TIMEOUT = (
    "PostConfirmation invocation failed due to error Socket timeout while invoking Lambda "
    "function."
)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def new_ca(d, name, cn):
    openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", "2", "-subj", f"/CN={cn}", "-keyout", str(d / f"{name}.key"),
        "-out", str(d / f"{name}.pem"),
    )


def new_leaf(d, name, ca, san):
    """A server certificate for the names `san` (subjectAltName syntax), signed by `ca`."""
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", f"/CN={name}", "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"),
    )
    ext = d / f"{name}.ext"
    ext.write_text(
        f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / f"{ca}.pem"),
        "-CAkey", str(d / f"{ca}.key"), "-set_serial", "7", "-days", "2",
        "-extfile", str(ext), "-out", str(d / f"{name}.pem"),
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    new_ca(d, "ca", "cognito-signup test CA")
    new_ca(d, "other-ca", "an unrelated CA")
    new_leaf(d, "local", "ca", "IP:127.0.0.1,DNS:localhost")
    new_leaf(d, "elsewhere", "ca", "DNS:elsewhere.invalid")
    return d


def tls_functions(certs, leaf):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs / f"{leaf}.pem", certs / f"{leaf}.key")
    return LambdaFunctions(ssl_context=ctx)


def config(endpoint):
    return {
        "Region": REGION,
        "AdminCredentials": [{"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}],
        "LambdaEndpoint": endpoint,
        "UserPools": [
            pool(
                "us-east-1_Tls",
                [{"ClientId": "tlsclient"}],
                {"PostConfirmation": "post-confirmation-tls"},
            )
        ],
    }


def sign_up_and_confirm(server, username):
    client = server.client()
    client.sign_up(
        ClientId="tlsclient",
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    return client.confirm_sign_up(
        ClientId="tlsclient", Username=username, ConfirmationCode=server.last_code(username)
    )


def confirm_fails(server, username):
    client = server.client()
    with pytest.raises(client.exceptions.UnexpectedLambdaException) as excinfo:
        sign_up_and_confirm(server, username)
    return excinfo.value.response["Error"]["Message"]


def test_a_trigger_reaches_an_https_function_over_tls(certs, tmp_path):
    functions = tls_functions(certs, "local")
    try:
        assert functions.endpoint.startswith("https://127.0.0.1:")
        server = Server(tmp_path, config(functions.endpoint), env={CA_VAR: str(certs / "ca.pem")})
        try:
            sign_up_and_confirm(server, "tls-alice")
            user = server.client().admin_get_user(UserPoolId="us-east-1_Tls", Username="tls-alice")
            assert user["UserStatus"] == "CONFIRMED"
        finally:
            assert server.stop() == 0
        calls = functions.calls_to("post-confirmation-tls")
        assert [c[2]["userName"] for c in calls] == ["tls-alice"]
        assert calls[0][2]["request"]["userAttributes"]["email"] == "tls-alice@example.com"
        assert functions.tls_versions == ["TLSv1.3"]
    finally:
        functions.close()


def untrusted(certs, tmp_path, leaf, env, username):
    """Confirms through a function server whose certificate the server must refuse: the
    invocation fails as an unreachable function, the function sees no call, stderr says why."""
    functions = tls_functions(certs, leaf)
    try:
        server = Server(tmp_path, config(functions.endpoint), env=env)
        try:
            message = confirm_fails(server, username)
        finally:
            assert server.stop() == 0
        assert message == SOCKET_TIMEOUT
        assert functions.calls == []
        log = (tmp_path / "server.err").read_text()
        return log, functions.port
    finally:
        functions.close()


def test_a_certificate_from_an_untrusted_ca_fails_the_invocation(certs, tmp_path):
    log, port = untrusted(certs, tmp_path, "local", {CA_VAR: str(certs / "other-ca.pem")}, "tls-bob")
    line = f"lambda: TLS with 127.0.0.1:{port} failed: invalid peer certificate: UnknownIssuer"
    assert log.count(line) == 3, log  # each of the three tries


def test_without_the_test_ca_only_public_roots_are_trusted(certs, tmp_path):
    log, port = untrusted(certs, tmp_path, "local", {CA_VAR: ""}, "tls-carol")
    assert "invalid peer certificate: UnknownIssuer" in log, log


def test_a_certificate_for_another_name_fails_the_invocation(certs, tmp_path):
    log, port = untrusted(
        certs, tmp_path, "elsewhere", {CA_VAR: str(certs / "ca.pem")}, "tls-dave"
    )
    assert (
        f"lambda: TLS with 127.0.0.1:{port} failed: invalid peer certificate: certificate not "
        'valid for name "127.0.0.1"; certificate is only valid for DnsName("elsewhere.invalid")'
    ) in log, log


def start_fails(tmp_path, endpoint, env=None):
    """Starts the server with `endpoint`; it must exit at start: (exit code, stderr)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config(endpoint)))
    run = subprocess.run(
        [str(SERVER_BIN), "--config", str(path), "--listen", "127.0.0.1:0",
         "--outbox", str(tmp_path / "outbox.jsonl")],
        capture_output=True, text=True, timeout=30,
        env=None if env is None else {**os.environ, **env},
    )
    assert "listening on" not in run.stdout
    return run.returncode, run.stderr


@pytest.mark.parametrize(
    "endpoint,message",
    [
        ("ftp://x", 'has the scheme "ftp", which the server cannot use: write http:// or https://'),
        ("h2c://127.0.0.1:9001", 'has the scheme "h2c", which the server cannot use: write http:// or https://'),
        ("127.0.0.1:9001", "has no scheme: write http:// or https://"),
        ("https://", "has no host"),
        ("https:///2015-03-31", "has no host"),
        ("https://127.0.0.1:70000", "has a port that is not 1 to 65535"),
    ],
)
def test_an_endpoint_the_server_cannot_honour_stops_it_at_start(tmp_path, endpoint, message):
    code, stderr = start_fails(tmp_path, endpoint)
    assert (code, stderr) == (1, f"error: config: LambdaEndpoint {message}\n")


def test_an_unusable_ca_file_stops_the_server_at_start(tmp_path):
    missing = tmp_path / "missing.pem"
    code, stderr = start_fails(tmp_path, "https://127.0.0.1:9", {CA_VAR: str(missing)})
    assert code == 1
    assert stderr.startswith(f"error: {CA_VAR} {missing}: No such file or directory"), stderr
    empty = tmp_path / "empty.pem"
    empty.write_text("no certificate here\n")
    code, stderr = start_fails(tmp_path, "https://127.0.0.1:9", {CA_VAR: str(empty)})
    assert (code, stderr) == (1, f"error: {CA_VAR} {empty}: no PEM certificate in the file\n")

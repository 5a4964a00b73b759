"""boto3 and the AWS CLI against the server, unchanged but for --endpoint-url."""

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import (
    ACCESS_KEY,
    CLIENT_SECRET,
    REGION,
    EXAMPLE_SERVER_BIN,
    SECRET_KEY,
    Server,
    aws_cli,
    run_cli,
)

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PASSWORD = "Corr3ct-Horse"


def sign_up(client, client_id, username, **extra):
    return client.sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        **extra,
    )


def error_of(excinfo):
    e = excinfo.value
    return (
        e.response["Error"]["Code"],
        e.response["Error"]["Message"],
        e.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def raw(server, target, body, headers=None):
    """A POST with urllib: status, headers (lower-case names) and JSON body."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        h["X-Amz-Target"] = target
    h.update(headers or {})
    req = urllib.request.Request(server.endpoint + "/", data=data, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read())
    except urllib.error.HTTPError as r:
        return r.code, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read())


# ---------------------------------------------------------------------------------------------
# boto3


def test_sign_up_confirm_and_admin_get_user_with_boto3(server, cognito, username):
    out = sign_up(cognito, "plainclient", username)
    assert out["UserConfirmed"] is False
    assert UUID.match(out["UserSub"])
    assert out["CodeDeliveryDetails"] == {
        "Destination": f"{username[0]}***@e***.com",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert UUID.match(out["ResponseMetadata"]["RequestId"])

    line = server.outbox_lines()[-1]
    assert set(line) == {
        "UserPoolId",
        "Username",
        "TriggerSource",
        "DeliveryMedium",
        "AttributeName",
        "Destination",
        "Code",
        "Message",
    }
    assert line["UserPoolId"] == "us-east-1_Plain"
    assert line["Username"] == username
    assert line["TriggerSource"] == "CustomMessage_SignUp"
    assert line["DeliveryMedium"] == "EMAIL"
    assert line["AttributeName"] == "email"
    assert line["Destination"] == f"{username}@example.com"
    assert re.fullmatch(r"[0-9]{6}", line["Code"])
    assert line["Message"] == f"Your verification code is {line['Code']}. "

    confirmed = cognito.confirm_sign_up(
        ClientId="plainclient", Username=username, ConfirmationCode=line["Code"]
    )
    assert set(confirmed) == {"ResponseMetadata"}
    assert confirmed["ResponseMetadata"]["HTTPStatusCode"] == 200

    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert user["Username"] == username
    assert user["UserStatus"] == "CONFIRMED"
    assert user["Enabled"] is True
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attrs["email"] == f"{username}@example.com"
    assert attrs["email_verified"] == "true"
    assert attrs["sub"] == out["UserSub"]
    # The verified alias finds the same user.
    by_alias = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=attrs["email"])
    assert by_alias["Username"] == username
    by_sub = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=out["UserSub"])
    assert by_sub["Username"] == username


def test_username_attribute_pool_reports_the_sub_as_username(server, cognito, username):
    email = f"{username}@example.com"
    out = cognito.sign_up(
        ClientId="emailnameclient",
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    line = server.outbox_lines()[-1]
    assert line["UserPoolId"] == "us-east-1_EmailName"
    assert line["Username"] == out["UserSub"]
    assert line["Destination"] == email
    cognito.confirm_sign_up(ClientId="emailnameclient", Username=email, ConfirmationCode=line["Code"])
    user = cognito.admin_get_user(UserPoolId="us-east-1_EmailName", Username=email)
    assert user["Username"] == out["UserSub"]
    assert user["UserStatus"] == "CONFIRMED"


def test_wrong_code_is_code_mismatch_exception(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    code = server.last_code(username)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(cognito.exceptions.CodeMismatchException) as excinfo:
        cognito.confirm_sign_up(ClientId="plainclient", Username=username, ConfirmationCode=wrong)
    assert error_of(excinfo) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
        400,
    )
    headers = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"] == "CodeMismatchException:"
    assert headers["x-amzn-errormessage"] == "Invalid verification code provided, please try again."
    assert UUID.match(headers["x-amzn-requestid"])
    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert user["UserStatus"] == "UNCONFIRMED"


def test_resend_confirmation_code_issues_a_new_code(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    first = server.last_code(username)
    out = cognito.resend_confirmation_code(ClientId="plainclient", Username=username)
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    line = server.outbox_lines()[-1]
    assert line["TriggerSource"] == "CustomMessage_ResendCode"
    assert line["Username"] == username
    cognito.confirm_sign_up(ClientId="plainclient", Username=username, ConfirmationCode=line["Code"])
    assert (
        cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)["UserStatus"]
        == "CONFIRMED"
    )
    assert re.fullmatch(r"[0-9]{6}", first)


def secret_hash(username, client_id):
    mac = hmac.new(CLIENT_SECRET.encode(), (username + client_id).encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def test_client_with_a_secret_and_a_correct_secret_hash(server, cognito, username):
    h = secret_hash(username, "secretclient")
    sign_up(cognito, "secretclient", username, SecretHash=h)
    code = server.last_code(username)
    cognito.confirm_sign_up(
        ClientId="secretclient", Username=username, ConfirmationCode=code, SecretHash=h
    )
    user = cognito.admin_get_user(UserPoolId="us-east-1_Secret", Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_client_with_a_secret_refuses_a_missing_or_wrong_secret_hash(cognito, username):
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        sign_up(cognito, "secretclient", username)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Client secretclient is configured for secret but secret was not received",
        400,
    )
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as excinfo:
        sign_up(cognito, "secretclient", username, SecretHash=secret_hash(username + "x", "secretclient"))
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Unable to verify secret hash for client secretclient",
        400,
    )


def test_post_confirmation_trigger_succeeds(server, cognito, functions, username):
    sign_up(cognito, "postokclient", username)
    cognito.confirm_sign_up(
        ClientId="postokclient",
        Username=username,
        ConfirmationCode=server.last_code(username),
        ClientMetadata={"source": "pytest"},
    )
    calls = [c for c in functions.calls_to("post-confirmation-ok") if c[2]["userName"] == username]
    assert len(calls) == 1
    path, _, event = calls[0]
    assert path == "/2015-03-31/functions/post-confirmation-ok/invocations"
    assert event["triggerSource"] == "PostConfirmation_ConfirmSignUp"
    assert event["userPoolId"] == "us-east-1_PostOk"
    assert event["region"] == REGION
    assert event["callerContext"]["clientId"] == "postokclient"
    assert event["request"]["clientMetadata"] == {"source": "pytest"}
    assert event["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    user = cognito.admin_get_user(UserPoolId="us-east-1_PostOk", Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_post_confirmation_failure_is_user_lambda_validation_and_user_stays_confirmed(
    server, cognito, functions, username
):
    sign_up(cognito, "postfailsclient", username)
    with pytest.raises(cognito.exceptions.UserLambdaValidationException) as excinfo:
        cognito.confirm_sign_up(
            ClientId="postfailsclient",
            Username=username,
            ConfirmationCode=server.last_code(username),
        )
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "PostConfirmation failed with error the CRM is down.",
        400,
    )
    # The ARN's function name went into the path, colons and all.
    calls = [
        c for c in functions.calls_to("post-confirmation-fails") if c[2]["userName"] == username
    ]
    assert len(calls) == 1  # a function error is not retried
    assert calls[0][0] == (
        "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:"
        "post-confirmation-fails/invocations"
    )
    user = cognito.admin_get_user(UserPoolId="us-east-1_PostFails", Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_a_failed_try_is_retried(server, cognito, functions, username):
    sign_up(cognito, "postflakyclient", username)
    cognito.confirm_sign_up(
        ClientId="postflakyclient", Username=username, ConfirmationCode=server.last_code(username)
    )
    calls = [c for c in functions.calls_to("post-confirmation-flaky") if c[2]["userName"] == username]
    assert len(calls) == 2  # a 500, then the answer


def test_a_function_that_never_answers_is_tried_three_times_for_five_seconds(
    server, cognito, functions, username
):
    sign_up(cognito, "posthangsclient", username)
    started = time.monotonic()
    with pytest.raises(cognito.exceptions.UnexpectedLambdaException) as excinfo:
        cognito.confirm_sign_up(
            ClientId="posthangsclient",
            Username=username,
            ConfirmationCode=server.last_code(username),
        )
    elapsed = time.monotonic() - started
    assert error_of(excinfo) == (
        "UnexpectedLambdaException",
        "PostConfirmation invocation failed due to error Socket timeout while invoking Lambda "
        "function.",
        400,
    )
    assert 14.5 < elapsed < 20
    calls = [c for c in functions.calls_to("post-confirmation-hangs") if c[2]["userName"] == username]
    assert len(calls) == 3
    user = cognito.admin_get_user(UserPoolId="us-east-1_PostHangs", Username=username)
    assert user["UserStatus"] == "CONFIRMED"


def test_custom_message_text_is_what_the_outbox_records(server, cognito, functions, username):
    sign_up(cognito, "customclient", username)
    line = server.outbox_lines()[-1]
    assert line["Username"] == username
    assert line["TriggerSource"] == "CustomMessage_SignUp"
    assert line["Message"] == f"Hello from pytest, your code is {line['Code']}"
    calls = [c for c in functions.calls_to("custom-message") if c[2]["userName"] == username]
    assert len(calls) == 1
    assert calls[0][2]["triggerSource"] == "CustomMessage_SignUp"
    assert calls[0][2]["request"]["codeParameter"] == "{####}"
    cognito.confirm_sign_up(ClientId="customclient", Username=username, ConfirmationCode=line["Code"])


def test_a_function_the_lambda_api_does_not_know_is_unexpected_lambda(server, cognito, username):
    sign_up(cognito, "nofunctionclient", username)
    with pytest.raises(cognito.exceptions.UnexpectedLambdaException) as excinfo:
        cognito.confirm_sign_up(
            ClientId="nofunctionclient",
            Username=username,
            ConfirmationCode=server.last_code(username),
        )
    assert error_of(excinfo) == (
        "UnexpectedLambdaException",
        "PostConfirmation invocation failed due to error ResourceNotFoundException.",
        400,
    )
    user = cognito.admin_get_user(UserPoolId="us-east-1_NoFunction", Username=username)
    assert user["UserStatus"] == "CONFIRMED"


# ---------------------------------------------------------------------------------------------
# SigV4 on the admin operations


def test_unsigned_admin_call_is_refused_and_changes_nothing(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    unsigned = server.client(signed=False)
    with pytest.raises(unsigned.exceptions.ClientError) as excinfo:
        unsigned.admin_confirm_sign_up(UserPoolId="us-east-1_Plain", Username=username)
    assert error_of(excinfo) == (
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
        400,
    )
    with pytest.raises(unsigned.exceptions.ClientError) as excinfo:
        unsigned.admin_disable_user(UserPoolId="us-east-1_Plain", Username=username)
    assert error_of(excinfo)[0] == "MissingAuthenticationTokenException"
    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert (user["UserStatus"], user["Enabled"]) == ("UNCONFIRMED", True)


def test_unknown_access_key_is_unrecognized_client(server, username):
    stranger = server.client(access_key="AKIDSTRANGER", secret_key=SECRET_KEY)
    with pytest.raises(stranger.exceptions.ClientError) as excinfo:
        stranger.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert error_of(excinfo) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        400,
    )


def test_wrong_secret_key_is_invalid_signature(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    forger = server.client(access_key=ACCESS_KEY, secret_key="not-the-secret")
    with pytest.raises(forger.exceptions.ClientError) as excinfo:
        forger.admin_confirm_sign_up(UserPoolId="us-east-1_Plain", Username=username)
    assert error_of(excinfo) == (
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service "
        "documentation for details.",
        400,
    )
    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert user["UserStatus"] == "UNCONFIRMED"


def signed_request(server, target, body, date=None):
    """A request signed by botocore's own SigV4 signer; `date` overrides X-Amz-Date afterwards."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
        },
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "cognito-idp", REGION).add_auth(req)
    headers = dict(req.headers.items())
    if date is not None:
        headers["X-Amz-Date"] = date
    return headers, req.body


def test_an_old_signature_is_expired(server):
    body = {"UserPoolId": "us-east-1_Plain", "Username": "nobody"}
    old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 20 * 60))
    headers, data = signed_request(server, "AdminGetUser", body, date=old)
    status, _, reply = raw(server, None, data, headers)
    assert status == 400
    assert reply["__type"] == "InvalidSignatureException"
    assert re.fullmatch(
        rf"Signature expired: {old} is now earlier than \d{{8}}T\d{{6}}Z "
        r"\(\d{8}T\d{6}Z - 15 min\.\)",
        reply["message"],
    ), reply["message"]


def test_a_body_changed_after_signing_is_refused(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    headers, data = signed_request(
        server, "AdminConfirmSignUp", {"UserPoolId": "us-east-1_Plain", "Username": username + "x"}
    )
    # Same length, other user: the signature covers the body.
    tampered = data.replace((username + "x").encode(), (username + '"').encode()[:-1] + b"y")
    status, _, reply = raw(server, None, tampered, headers)
    assert (status, reply["__type"]) == (400, "InvalidSignatureException")
    # The untampered request is accepted (and finds no such user).
    status, _, reply = raw(server, None, data, headers)
    assert (status, reply["__type"]) == (400, "UserNotFoundException")


def test_malformed_requests_never_take_the_server_down(server, cognito):
    garbage = [
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.\xff\xfe\r\nContent-Length: 2\r\n\r\n{}",
        b"POST / HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 200000 + b"\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
    auth = [
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/x, SignedHeaders=, Signature=",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/x, SignedHeaders=host;x-amz-date;Bad Name, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/cognito-idp/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
    ]
    for raw_request in garbage:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            try:
                s.sendall(raw_request)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            read_reply(s)
    for value in auth:
        for date in ["20260101T000000Z", "garbage", "99991231T235959Z", time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())]:
            status, _, reply = raw(
                server,
                "AWSCognitoIdentityProviderService.AdminGetUser",
                {"UserPoolId": "us-east-1_Plain", "Username": "x"},
                {"Authorization": value, "X-Amz-Date": date, "Host": "h\u00e9st"},
            )
            assert status == 400
            assert reply["__type"] in {
                "MissingAuthenticationTokenException",
                "InvalidSignatureException",
            }, (value, date, reply)
    # Still serving.
    with pytest.raises(cognito.exceptions.ResourceNotFoundException):
        cognito.confirm_sign_up(ClientId="nosuchclient", Username="a", ConfirmationCode="1")
    assert server.proc.poll() is None


def test_many_concurrent_connections(server, cognito):
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        status, headers, body = raw(
            server,
            "AWSCognitoIdentityProviderService.ConfirmSignUp",
            {"ClientId": "nosuchclient", "Username": f"u{i}", "ConfirmationCode": "123456"},
        )
        return status, body["__type"], headers["x-amzn-requestid"]

    # Hold 100 idle connections open while 400 requests run on 50 threads. The idle ones come
    # from another loopback address: one peer holds at most 128 connections at once.
    idle = [
        socket.create_connection(("127.0.0.1", server.port), timeout=10, source_address=("127.0.0.2", 0))
        for _ in range(100)
    ]
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(one, range(400)))
        elapsed = time.monotonic() - started
    finally:
        for s in idle:
            s.close()
    assert {(s, t) for s, t, _ in results} == {(400, "ResourceNotFoundException")}
    assert len({r for _, _, r in results}) == 400
    print(f"\n400 requests on 50 threads with 100 idle connections: {elapsed:.2f} s")
    assert elapsed < 30


def test_signed_admin_confirm_disable_and_enable(server, cognito, username):
    sign_up(cognito, "plainclient", username)
    cognito.admin_confirm_sign_up(UserPoolId="us-east-1_Plain", Username=username)
    cognito.admin_disable_user(UserPoolId="us-east-1_Plain", Username=username)
    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert (user["UserStatus"], user["Enabled"]) == ("CONFIRMED", False)
    cognito.admin_enable_user(UserPoolId="us-east-1_Plain", Username=username)
    assert cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)["Enabled"]
    with pytest.raises(cognito.exceptions.UserNotFoundException) as excinfo:
        cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username + "-nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.", 400)


# ---------------------------------------------------------------------------------------------
# The AWS CLI


def test_aws_cli_sign_up_confirm_and_admin_get_user(server, username):
    r = run_cli(
        server,
        "sign-up",
        "--client-id", "plainclient",
        "--username", username,
        "--password", PASSWORD,
        "--user-attributes", f"Name=email,Value={username}@example.com",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["UserConfirmed"] is False

    r = run_cli(
        server,
        "confirm-sign-up",
        "--client-id", "plainclient",
        "--username", username,
        "--confirmation-code", "999999" if server.last_code(username) != "999999" else "000000",
    )
    assert r.returncode == 255  # the CLI v1 exit code of a service error
    assert (
        "An error occurred (CodeMismatchException) when calling the ConfirmSignUp operation: "
        "Invalid verification code provided, please try again." in r.stderr
    )

    r = run_cli(
        server,
        "confirm-sign-up",
        "--client-id", "plainclient",
        "--username", username,
        "--confirmation-code", server.last_code(username),
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""

    r = run_cli(
        server,
        "admin-get-user",
        "--user-pool-id", "us-east-1_Plain",
        "--username", username,
        signed=True,
    )
    assert r.returncode == 0, r.stderr
    user = json.loads(r.stdout)
    assert user["UserStatus"] == "CONFIRMED"

    r = run_cli(server, "admin-get-user", "--user-pool-id", "us-east-1_Plain", "--username", username, "--no-sign-request")
    assert r.returncode == 255  # the CLI v1 exit code of a service error
    assert "(MissingAuthenticationTokenException)" in r.stderr


def test_default_server_prints_its_ids_and_a_working_cli_command(tmp_path):
    s = Server(tmp_path)
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any("aws cognito-idp sign-up" in l for l in s.rest):
            time.sleep(0.05)
        text = "\n".join(s.banner + s.rest)
        assert "user pool us-east-1_LocalPool: app clients localclient" in text
        command = next(l for l in s.rest if "aws cognito-idp sign-up" in l).strip()
        assert f"--endpoint-url {s.endpoint} " in command
        argv = shlex.split(command)
        assert argv[:2] == ["aws", "cognito-idp"]
        env = dict(os.environ, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        r = subprocess.run([aws_cli(), *argv[1:]], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["UserConfirmed"] is False
        assert s.outbox_lines()[-1]["UserPoolId"] == "us-east-1_LocalPool"
    finally:
        assert s.stop() == 0


def full_banner(s):
    """Every line the server printed at start, with its port and outbox path made generic."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("aws cognito-idp sign-up" in l for l in s.rest):
        time.sleep(0.05)
    text = "\n".join(s.banner + s.rest)
    return text.replace(str(s.outbox), "OUTBOX").replace(f"127.0.0.1:{s.port}", "127.0.0.1:PORT")


def test_the_example_still_starts_the_same_server(tmp_path, username):
    """`cargo run --example server` (examples/server.rs) starts the server of the binary: the
    same banner, a sign-up confirmed with the code from its outbox, a clean stop on SIGTERM."""
    (tmp_path / "binary").mkdir()
    (tmp_path / "example").mkdir()
    binary = Server(tmp_path / "binary")
    try:
        expected = full_banner(binary)
    finally:
        assert binary.stop() == 0
    example = Server(tmp_path / "example", binary=EXAMPLE_SERVER_BIN)
    try:
        assert full_banner(example) == expected
        client = example.client(signed=False)
        assert sign_up(client, "localclient", username)["UserConfirmed"] is False
        client.confirm_sign_up(
            ClientId="localclient", Username=username, ConfirmationCode=example.last_code(username)
        )
        user = example.client().admin_get_user(UserPoolId="us-east-1_LocalPool", Username=username)
        assert user["UserStatus"] == "CONFIRMED"
    finally:
        assert example.stop() == 0


# ---------------------------------------------------------------------------------------------
# The protocol, with a plain HTTP client


def test_every_response_has_a_fresh_request_id(server):
    ids = set()
    for target in ["AWSCognitoIdentityProviderService.SignUp", "Nope.Nope", None]:
        status, headers, _ = raw(server, target, {})
        assert status == 400
        assert UUID.match(headers["x-amzn-requestid"])
        ids.add(headers["x-amzn-requestid"])
    assert len(ids) == 3


def test_unknown_target_and_bad_body_errors(server):
    status, headers, body = raw(server, "AWSCognitoIdentityProviderService.InitiateAuth", {})
    assert status == 400
    assert headers["x-amzn-errortype"] == "UnknownOperationException:"
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert body == {
        "__type": "UnknownOperationException",
        "message": "The X-Amz-Target header names no operation of this service.",
    }
    status, headers, body = raw(
        server, "AWSCognitoIdentityProviderService.SignUp", b'{"ClientId": 42}'
    )
    assert (status, headers["x-amzn-errortype"]) == (400, "SerializationException:")
    assert body == {
        "__type": "SerializationException",
        "message": "Invalid value for member 'ClientId': expected a string.",
    }
    status, _, body = raw(server, "AWSCognitoIdentityProviderService.SignUp", b"")
    assert status == 400 and body["__type"] == "InvalidParameterException"


def read_reply(s):
    reply = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            reply += data
    except (ConnectionResetError, socket.timeout):
        pass
    return reply


def test_a_body_over_one_mib_is_refused_and_the_server_keeps_serving(server):
    # Declared too large: answered from the headers, before the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2097152\r\n\r\n"
            + b"a" * 1000
        )
        reply = read_reply(s)
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), reply[:200]
    lines = [l.lower() for l in head.split(b"\r\n")]
    assert b"x-amzn-errortype: requestentitytoolargeexception:" in lines
    assert any(UUID.match(l.split(b": ")[1].decode()) for l in lines if l.startswith(b"x-amzn-requestid"))
    assert json.loads(body) == {
        "__type": "RequestEntityTooLargeException",
        "message": "The request body is larger than 1048576 bytes.",
    }

    # Chunked, with no Content-Length: refused once 1 MiB has been read, not buffered whole.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(64):  # up to 4 MiB offered
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = read_reply(s)
        assert reply == b"" or reply.startswith(b"HTTP/1.1 413 "), reply[:200]

    status, _, body = raw(server, "AWSCognitoIdentityProviderService.SignUp", {})
    assert status == 400 and body["__type"] == "InvalidParameterException"


def test_a_slow_client_does_not_stall_others(server, cognito):
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    try:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar")  # and then nothing
        started = time.monotonic()
        with pytest.raises(cognito.exceptions.ResourceNotFoundException):
            cognito.confirm_sign_up(ClientId="nosuchclient", Username="a", ConfirmationCode="1")
        assert time.monotonic() - started < 2
    finally:
        slow.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_in_flight_requests_and_exits_zero(tmp_path, functions, sig):
    from concurrent.futures import ThreadPoolExecutor

    from conftest import pool as pool_config

    config = {
        "Region": REGION,
        "AdminCredentials": [{"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}],
        "LambdaEndpoint": functions.endpoint,
        "UserPools": [
            pool_config(
                "us-east-1_Slow",
                [{"ClientId": "slowclient"}],
                {"PostConfirmation": "post-confirmation-slow"},
            )
        ],
    }
    s = Server(tmp_path, config)
    c = s.client()
    sign_up(c, "slowclient", "shutdown")
    code = s.last_code("shutdown")
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The PostConfirmation function takes 1.5 s: the signal arrives while it runs.
        in_flight = pool.submit(
            c.confirm_sign_up, ClientId="slowclient", Username="shutdown", ConfirmationCode=code
        )
        time.sleep(0.5)
        s.proc.send_signal(sig)
        assert in_flight.result(timeout=20)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s.stop() == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2).close()


# ---------------------------------------------------------------------------------------------
# Hostile clients: bounded answers, signatures that cover the operation, fair connections

MAX_BODY = 1024 * 1024


def test_a_maximal_body_of_empty_attributes_gets_a_bounded_answer_with_the_exact_count(server):
    import http.client

    head = (
        b'{"ClientId":"plainclient","Username":"bounded","Password":"Corr3ct-Horse",'
        b'"UserAttributes":[{}'
    )
    entries = (MAX_BODY - len(head) - 2) // 3 + 1
    body = head + b",{}" * (entries - 1) + b"]}"
    body += b" " * (MAX_BODY - len(body))
    assert len(body) == MAX_BODY
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(
            "POST",
            "/",
            body=body,
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.SignUp",
            },
        )
        response = conn.getresponse()
        reply = response.read()
        header = response.getheader("x-amzn-ErrorMessage")
        status = response.status
    finally:
        conn.close()
    assert status == 400
    assert len(reply) <= 64 * 1024, len(reply)
    listed = "; ".join(
        f"Value null at 'userAttributes.{n}.member.name' failed to satisfy constraint: "
        "Member must not be null"
        for n in range(1, 11)
    )
    message = f"{entries} validation errors detected: {listed}; ..."
    assert json.loads(reply) == {"__type": "InvalidParameterException", "message": message}
    # The header carries the start of the message, cut and marked.
    assert len(header.encode()) <= 512, len(header)
    assert header.endswith("...") and message.startswith(header[:-3]), header
    assert header.startswith(f"{entries} validation errors detected: ")


def signed_without(server, target, body, left_out):
    """A request signed by botocore's SigV4 signer over every header it signs but `left_out`."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    class Partial(SigV4Auth):
        def headers_to_sign(self, request):
            headers = super().headers_to_sign(request)
            del headers[left_out]
            return headers

    req = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}",
        },
    )
    Partial(Credentials(ACCESS_KEY, SECRET_KEY), "cognito-idp", REGION).add_auth(req)
    headers = dict(req.headers.items())
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    assert left_out not in signed, signed
    return headers, req.body


def test_a_signature_that_does_not_cover_the_operation_cannot_be_reused_for_another(
    server, cognito, username
):
    sign_up(cognito, "plainclient", username)
    body = {"UserPoolId": "us-east-1_Plain", "Username": username}
    headers, data = signed_without(server, "AdminGetUser", body, "x-amz-target")
    message = "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."
    # Signed for AdminGetUser, sent as AdminDisableUser: refused, the user untouched.
    headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.AdminDisableUser"
    status, _, reply = raw(server, None, data, headers)
    assert (status, reply) == (400, {"__type": "InvalidSignatureException", "message": message})
    # Sent as signed, it is refused too: the signature itself is incomplete.
    headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.AdminGetUser"
    status, _, reply = raw(server, None, data, headers)
    assert (status, reply) == (400, {"__type": "InvalidSignatureException", "message": message})
    user = cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)
    assert (user["UserStatus"], user["Enabled"]) == ("UNCONFIRMED", True)


@pytest.mark.parametrize(
    "left_out, display", [("host", "Host"), ("x-amz-date", "X-Amz-Date")]
)
def test_a_signature_must_cover_the_host_and_the_date(server, cognito, username, left_out, display):
    sign_up(cognito, "plainclient", username)
    body = {"UserPoolId": "us-east-1_Plain", "Username": username}
    headers, data = signed_without(server, "AdminDisableUser", body, left_out)
    status, _, reply = raw(server, None, data, headers)
    assert (status, reply) == (
        400,
        {
            "__type": "InvalidSignatureException",
            "message": f"'{display}' must be a 'SignedHeader' in the AWS Authorization.",
        },
    )
    assert cognito.admin_get_user(UserPoolId="us-east-1_Plain", Username=username)["Enabled"]


def test_the_outbox_is_readable_by_its_owner_only(tmp_path):
    import stat

    # Created by the server under the usual umask, and an existing one narrowed.
    old_umask = os.umask(0o022)
    try:
        (tmp_path / "new").mkdir()
        fresh = Server(tmp_path / "new")
        (tmp_path / "old").mkdir()
        existing = tmp_path / "old" / "outbox.jsonl"
        existing.write_text('{"earlier": "line"}\n')
        existing.chmod(0o644)
        narrowed = Server(tmp_path / "old")
    finally:
        os.umask(old_umask)
    try:
        assert stat.S_IMODE(fresh.outbox.stat().st_mode) == 0o600
        assert stat.S_IMODE(narrowed.outbox.stat().st_mode) == 0o600
        assert narrowed.outbox.read_text() == '{"earlier": "line"}\n'
    finally:
        assert fresh.stop() == 0
        assert narrowed.stop() == 0


def answered_from(address, port, timeout):
    """The status line of a request sent from a local `address`: b"" if the server closed the
    connection instead, None if nothing came within `timeout` seconds."""
    with socket.socket() as s:
        s.settimeout(timeout)
        s.bind((address, 0))
        s.connect(("127.0.0.1", port))
        try:
            s.sendall(
                b"POST / HTTP/1.1\r\nHost: x\r\n"
                b"X-Amz-Target: AWSCognitoIdentityProviderService.SignUp\r\n"
                b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}"
            )
            return s.recv(65536).split(b"\r\n")[0]
        except (BrokenPipeError, ConnectionResetError):
            return b""
        except socket.timeout:
            return None


def test_one_peer_holding_many_connections_does_not_keep_others_out(tmp_path):
    import resource
    import select

    # Room for 1,100 sockets here and in the server (which inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2500, hard), hard))
    server = Server(tmp_path)
    held = []
    try:
        # More connections than the server's 1024 slots, all from 127.0.0.1, all idle.
        for _ in range(1100):
            held.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        # Another peer is answered at once.
        assert answered_from("127.0.0.2", server.port, 3) == b"HTTP/1.1 400 Bad Request"
        # The first peer keeps 128 connections (an eighth of the slots); the others were
        # closed as soon as they were accepted.
        by_fd = {s.fileno(): s for s in held}

        def readable(timeout):
            poller = select.poll()
            for fd in by_fd:
                poller.register(fd, select.POLLIN)
            return [by_fd[fd] for fd, _ in poller.poll(timeout * 1000)]

        deadline = time.monotonic() + 5
        closed = 0
        while time.monotonic() < deadline and closed < 1100 - 128:
            for s in readable(0.2):
                try:
                    assert s.recv(1) == b""
                except ConnectionResetError:
                    pass
                del by_fd[s.fileno()]
                closed += 1
        assert closed == 1100 - 128
        # The ones kept are still open, and another connection of the same peer is closed.
        assert readable(0.5) == []
        started = time.monotonic()
        assert answered_from("127.0.0.1", server.port, 3) == b""
        assert time.monotonic() - started < 2
    finally:
        for s in held:
            s.close()
        assert server.stop() == 0


def test_a_client_that_never_reads_its_answers_loses_its_connection(tmp_path):
    server = Server(tmp_path, env={"COGNITO_SIGNUP_WRITE_TIMEOUT": "1"})
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSCognitoIdentityProviderService.Nope\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    try:
        s = socket.socket()
        # Small buffers on this side, so that the server's answers back up quickly.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        s.connect(("127.0.0.1", server.port))
        s.settimeout(0.5)
        sent = 0
        deadline = time.monotonic() + 20
        try:
            # Pipelined requests, no reads, until the server stops taking them.
            while time.monotonic() < deadline:
                s.sendall(request * 100)
                sent += 100
            pytest.fail("the server never stopped reading")
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(1.5)  # past the write timeout
        s.settimeout(3)
        answers = b""
        closed = False
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    closed = True
                    break
                answers += data
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            pass
        s.close()
        answered = answers.count(b"HTTP/1.1 400 ")
        assert closed, f"still open after {answered} of {sent} answers"
        assert 0 < answered < sent
        # Everyone else is still served.
        assert answered_from("127.0.0.1", server.port, 3) == b"HTTP/1.1 400 Bad Request"
    finally:
        assert server.stop() == 0

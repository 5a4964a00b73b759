"""Fixtures for the real-client tests: the server, a local Lambda function server, and
AWS clients pointed at them.

The server binary comes from COGNITO_SERVER_BIN (default target/release/cognito-signup-server),
the example that wraps it (`cargo run --example server`) from COGNITO_EXAMPLE_SERVER_BIN (default
target/release/examples/server); .ci/real-clients.sh builds both before pytest runs.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import botocore
import pytest
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(
    os.environ.get("COGNITO_SERVER_BIN", ROOT / "target" / "release" / "cognito-signup-server")
)
EXAMPLE_SERVER_BIN = Path(
    os.environ.get(
        "COGNITO_EXAMPLE_SERVER_BIN", ROOT / "target" / "release" / "examples" / "server"
    )
)
REGION = "us-east-1"
ACCESS_KEY = "AKIDLOCAL"
SECRET_KEY = "local-secret"
CLIENT_SECRET = "s3cr3t-of-the-confidential-client"


def pytest_report_header(config):
    try:
        cli = subprocess.run(
            [aws_cli(), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError as e:  # pragma: no cover - reported, then the CLI tests fail
        cli = f"aws CLI not runnable: {e}"
    return [
        f"real clients: boto3 {boto3.__version__}, botocore {botocore.__version__}, {cli}",
        f"server binary: {SERVER_BIN}",
    ]


def aws_cli():
    """The `aws` next to this Python (the virtualenv's), else the one on PATH."""
    local = Path(sys.executable).parent / "aws"
    return str(local) if local.exists() else (shutil.which("aws") or "aws")


def run_cli(server, *args, signed=False):
    """`aws cognito-idp ARGS --endpoint-url ... --output json` against `server`, with the local
    admin key pair when `signed`, with no credentials at all otherwise."""
    env = dict(os.environ)
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    if signed:
        env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY})
    else:
        env.pop("AWS_ACCESS_KEY_ID", None)
        env.pop("AWS_SECRET_ACCESS_KEY", None)
    cmd = [aws_cli(), "cognito-idp", *args, "--endpoint-url", server.endpoint, "--output", "json"]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LambdaFunctions:
    """A local stand-in for the Lambda Invoke API: one behaviour per function name."""

    def __init__(self, ssl_context=None):
        """With `ssl_context`, the server speaks TLS only (a plain-text request fails)."""
        self.calls = []
        # The TLS version of each connection a call came on (None for plain text).
        self.tls_versions = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                event = json.loads(self.rfile.read(length) or b"{}")
                parts = self.path.split("/")
                # /2015-03-31/functions/{name}/invocations
                name = parts[3] if len(parts) == 5 and parts[4] == "invocations" else None
                # An ARN names the function in its seventh field.
                if name is not None and name.startswith("arn:"):
                    fields = name.split(":")
                    name = fields[6] if len(fields) > 6 else None
                version = getattr(self.connection, "version", lambda: None)()
                with outer.lock:
                    outer.calls.append((self.path, name, event))
                    outer.tls_versions.append(version)
                with outer.lock:
                    tries = sum(1 for c in outer.calls if c[1] == name and c[2] == event)
                if name == "post-confirmation-slow":
                    time.sleep(1.5)
                if name == "post-confirmation-hangs":
                    time.sleep(6)  # past the 5 s a try may take
                if name == "post-confirmation-flaky" and tries == 1:
                    body = b'{"message":"Rate exceeded"}'
                    self.send_response(500)
                    self.send_header("x-amzn-ErrorType", "ServiceException:http://internal.amazon.com/coral/")
                elif name == "post-confirmation-fails":
                    body = json.dumps(
                        {"errorMessage": "the CRM is down", "errorType": "Error"}
                    ).encode()
                    self.send_response(200)
                    self.send_header("X-Amz-Function-Error", "Unhandled")
                elif name == "custom-message":
                    code = event["request"]["codeParameter"]
                    event["response"]["emailSubject"] = "Welcome"
                    event["response"]["emailMessage"] = f"Hello from pytest, your code is {code}"
                    body = json.dumps(event).encode()
                    self.send_response(200)
                elif name is not None and name.startswith("post-confirmation"):
                    body = json.dumps(event).encode()
                    self.send_response(200)
                else:
                    body = b'{"Type":"User","message":"Function not found"}'
                    self.send_response(404)
                    self.send_header("x-amzn-ErrorType", "ResourceNotFoundException")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server gave up on this try (the hanging function)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.port = self.httpd.server_address[1]
        self.endpoint = f"{scheme}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def calls_to(self, name):
        with self.lock:
            return [c for c in self.calls if c[1] == name]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Server:
    """The server (by default the cognito-signup-server binary) as a child process."""

    def __init__(self, tmp, config=None, extra_args=(), env=None, binary=None):
        binary = SERVER_BIN if binary is None else binary
        assert binary.exists(), f"{binary} is missing: run .ci/real-clients.sh"
        self.port = free_port()
        self.outbox = Path(tmp) / "outbox.jsonl"
        args = [str(binary), "--listen", f"127.0.0.1:{self.port}", "--outbox", str(self.outbox)]
        if config is not None:
            config_path = Path(tmp) / "config.json"
            config_path.write_text(json.dumps(config))
            args += ["--config", str(config_path)]
        args += list(extra_args)
        self.stderr = open(Path(tmp) / "server.err", "w+")
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
            env=None if env is None else {**os.environ, **env},
        )
        self.banner = []
        deadline = time.monotonic() + 20
        ready = f"listening on http://127.0.0.1:{self.port}"
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip("\n"))
            if ready in line:
                break
        assert any(ready in l for l in self.banner), f"no ready line: {self.banner}"
        # Keep reading the banner (it follows the ready line) without blocking the server.
        self.rest = []
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _drain(self):
        for line in self.proc.stdout:
            self.rest.append(line.rstrip("\n"))

    def outbox_lines(self):
        if not self.outbox.exists():
            return []
        return [json.loads(l) for l in self.outbox.read_text().splitlines() if l.strip()]

    def last_code(self, username=None):
        lines = [l for l in self.outbox_lines() if username is None or l["Username"] == username]
        assert lines, "no message in the outbox"
        return lines[-1]["Code"]

    def client(self, signed=True, access_key=ACCESS_KEY, secret_key=SECRET_KEY):
        config = Config(retries={"max_attempts": 1, "mode": "standard"})
        if not signed:
            config = config.merge(Config(signature_version=botocore.UNSIGNED))
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def stop(self, sig=None):
        if self.proc.poll() is None:
            self.proc.send_signal(sig or 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode


def pool(pool_id, clients, lambda_config=None, **extra):
    p = {
        "Id": pool_id,
        "AliasAttributes": ["email"],
        "UsernameAttributes": [],
        "AutoVerifiedAttributes": ["email"],
        "UsernameConfiguration": {"CaseSensitive": False},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
        "LambdaConfig": lambda_config or {},
        "SignUpPolicy": {"RequestsPerSecond": 1000},
        "Clients": clients,
    }
    p.update(extra)
    return p


@pytest.fixture(scope="session")
def functions():
    f = LambdaFunctions()
    yield f
    f.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, functions):
    config = {
        "Region": REGION,
        "AdminCredentials": [{"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET_KEY}],
        "LambdaEndpoint": functions.endpoint,
        "UserPools": [
            pool("us-east-1_Plain", [{"ClientId": "plainclient"}]),
            pool(
                "us-east-1_Secret",
                [
                    {
                        "ClientId": "secretclient",
                        "ClientSecret": CLIENT_SECRET,
                        "PreventUserExistenceErrors": "ENABLED",
                    }
                ],
            ),
            pool(
                "us-east-1_PostOk",
                [{"ClientId": "postokclient"}],
                {"PostConfirmation": "post-confirmation-ok"},
            ),
            pool(
                "us-east-1_PostFails",
                [{"ClientId": "postfailsclient"}],
                {
                    "PostConfirmation": "arn:aws:lambda:us-east-1:123456789012:function:post-confirmation-fails"
                },
            ),
            pool(
                "us-east-1_PostFlaky",
                [{"ClientId": "postflakyclient"}],
                {"PostConfirmation": "post-confirmation-flaky"},
            ),
            pool(
                "us-east-1_PostHangs",
                [{"ClientId": "posthangsclient"}],
                {"PostConfirmation": "post-confirmation-hangs"},
            ),
            pool(
                "us-east-1_EmailName",
                [{"ClientId": "emailnameclient"}],
                AliasAttributes=[],
                UsernameAttributes=["email"],
            ),
            pool(
                "us-east-1_Custom",
                [{"ClientId": "customclient"}],
                {"CustomMessage": "custom-message"},
            ),
            pool(
                "us-east-1_NoFunction",
                [{"ClientId": "nofunctionclient"}],
                {"PostConfirmation": "no-such-function"},
            ),
        ],
    }
    s = Server(tmp_path_factory.mktemp("server"), config)
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="session")
def cognito(server):
    return server.client()


_counter = [0]


@pytest.fixture
def username():
    _counter[0] += 1
    return f"user{_counter[0]}_{int(time.time() * 1000) % 100000}"

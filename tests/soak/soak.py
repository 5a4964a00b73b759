#!/usr/bin/env python3
"""Soak and abuse run against the release server binary, on loopback only.

Starts the server, then, while a sampler reads the server's resident memory every 50 ms:

1. signs up N users (default 3,000) over several keep-alive connections, reads every code from
   the outbox and confirms every user over the same number of connections;
2. floods SignUp from 64 connections at once for a bounded time;
3. floods maximal invalid bodies (just under 1 MiB of empty `UserAttributes` entries) from 64
   connections, and checks that every answer is small and counts the violations exactly;
4. holds a thousand idle connections from one client address (127.0.0.1) while another client
   (127.0.0.2) signs up and confirms a user;
5. between 1 and 2, pages through every user with ListUsers (and two filters), then churns pools
   from 8 signed connections: each round creates a pool and a client with a generated secret,
   signs a user up with SecretHash, lists it, deletes the pool and checks that the pool's client
   answers ResourceNotFoundException afterwards.

Every request the server accepts must be answered with a well-formed AWS JSON response; the
server must still be up and serving at the end; its peak resident memory must stay under the
limit (default 256 MiB). The figures are printed as one JSON object on the last line.

Uses only the standard library. Every loop is bounded in count and time.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "AWSCognitoIdentityProviderService."
POOL_ID = "us-east-1_Soak"
CLIENT_ID = "soakclient"
PASSWORD = "Soak-Passw0rd"
MAX_BODY = 1024 * 1024
MAX_ERROR_RESPONSE = 64 * 1024
ADMIN_KEY = ("AKIDSOAK", "soak-secret")
REGION = "us-east-1"


class Failure(Exception):
    pass


def config():
    return {
        "Region": "us-east-1",
        "AdminCredentials": [{"AccessKeyId": ADMIN_KEY[0], "SecretAccessKey": ADMIN_KEY[1]}],
        "UserPools": [
            {
                "Id": POOL_ID,
                "AliasAttributes": ["email"],
                "AutoVerifiedAttributes": ["email"],
                "UsernameConfiguration": {"CaseSensitive": False},
                # The throttle is not what this run measures: the password hasher's bound is.
                "SignUpPolicy": {"RequestsPerSecond": 100000},
                "Clients": [{"ClientId": CLIENT_ID, "PreventUserExistenceErrors": "ENABLED"}],
            }
        ],
    }


class Server:
    def __init__(self, binary, tmp, port):
        self.port = port
        self.outbox = Path(tmp) / "outbox.jsonl"
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config()))
        self.proc = subprocess.Popen(
            [
                str(binary),
                "--config",
                str(config_path),
                "--listen",
                f"127.0.0.1:{port}",
                "--outbox",
                str(self.outbox),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        ready = f"listening on http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise Failure("the server exited before it was ready")
            if ready in line:
                break
        else:
            raise Failure("the server did not print its ready line within 60 s")
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def rss_kib(self):
        """(VmRSS, VmHWM) in KiB, or None once the process is gone."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class Sampler(threading.Thread):
    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.peak_rss_kib = 0
        self.phase_peaks = {}
        self.phase = "start"
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            figures = self.server.rss_kib()
            if figures is None:
                return
            rss, _ = figures
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.phase_peaks[self.phase] = max(self.phase_peaks.get(self.phase, 0), rss)
            time.sleep(0.05)


def sigv4_headers(port, op, payload):
    """The headers of a SigV4-signed request (service cognito-idp), signing host, x-amz-date
    and x-amz-target as the server requires."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": f"127.0.0.1:{port}",
        "x-amz-date": amz_date,
        "x-amz-target": TARGET + op,
    }
    names = sorted(headers)
    signed = ";".join(names)
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            "".join(f"{k}:{headers[k]}\n" for k in names),
            signed,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/{REGION}/cognito-idp/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + ADMIN_KEY[1]).encode()
    for part in (day, REGION, "cognito-idp", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={ADMIN_KEY[0]}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}"
    )
    return {k.title(): v for k, v in headers.items()}


def secret_hash(secret, username, client_id):
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Client:
    """One keep-alive connection speaking AWS JSON 1.1, from a chosen source address."""

    def __init__(self, port, source="127.0.0.1", timeout=60):
        self.port = port
        self.source = source
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0)
        )

    def call(self, op, body, raw=None, signed=False):
        """Returns (status, parsed body, raw size, headers). Reconnects once if the server
        closed a kept-alive connection between requests. `signed` signs the request with the
        admin key (SigV4)."""
        payload = raw if raw is not None else json.dumps(body).encode()
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            if signed:
                headers = sigv4_headers(self.port, op, payload)
            else:
                headers = {
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": TARGET + op,
                }
            try:
                self.conn.request("POST", "/", body=payload, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except http.client.LineTooLong as e:
                raise Failure(f"{op}: an answer header over http.client's 64 KiB line limit ({e})")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 1:
                    raise
                continue
            headers = {k.lower(): v for k, v in response.getheaders()}
            if headers.get("connection", "").lower() == "close":
                self.close()
            try:
                parsed = json.loads(data) if data else {}
            except ValueError as e:
                raise Failure(f"{op}: the answer is not JSON ({e}): {data[:200]!r}")
            if "x-amzn-requestid" not in headers:
                raise Failure(f"{op}: the answer has no x-amzn-RequestId")
            return response.status, parsed, len(data), headers
        raise Failure("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def sign_up_body(name):
    return {
        "ClientId": CLIENT_ID,
        "Username": name,
        "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": f"{name}@example.com"}],
    }


def parallel(n, work):
    """Runs work(i) on n threads; re-raises the first failure."""
    errors = []

    def run(i):
        try:
            work(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def sign_up_all(port, names, connections, deadline, stats):
    """Signs every name up; a TooManyRequestsException (the hasher or throttle is full) is
    retried after a short pause, as an AWS SDK would."""
    lock = threading.Lock()

    def work(i):
        client = Client(port)
        for name in names[i::connections]:
            while True:
                if time.monotonic() > deadline:
                    raise Failure("sign-ups did not finish in time")
                status, body, _, _ = client.call("SignUp", sign_up_body(name))
                if status == 200:
                    if body.get("UserConfirmed") is not False or "UserSub" not in body:
                        raise Failure(f"SignUp {name}: unexpected answer {body}")
                    break
                if body.get("__type") == "TooManyRequestsException":
                    with lock:
                        stats["sign_up_throttled"] += 1
                    time.sleep(0.02)
                    continue
                raise Failure(f"SignUp {name}: {status} {body}")
        client.close()

    parallel(connections, work)


def codes_from_outbox(outbox):
    codes = {}
    with open(outbox, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if entry.get("TriggerSource") == "CustomMessage_SignUp":
                codes[entry["Username"]] = entry["Code"]
    return codes


def confirm_all(port, codes, connections, deadline):
    names = sorted(codes)

    def work(i):
        client = Client(port)
        for name in names[i::connections]:
            if time.monotonic() > deadline:
                raise Failure("confirmations did not finish in time")
            status, body, _, _ = client.call(
                "ConfirmSignUp",
                {"ClientId": CLIENT_ID, "Username": name, "ConfirmationCode": codes[name]},
            )
            if status != 200 or body != {}:
                raise Failure(f"ConfirmSignUp {name}: {status} {body}")
        client.close()

    parallel(connections, work)


def sign_up_flood(port, connections, seconds, stats):
    """Every connection signs up fresh names until the time is up; the only acceptable answers
    are success and TooManyRequestsException."""
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def work(i):
        client = Client(port)
        n = 0
        while time.monotonic() < stop_at:
            name = f"flood-{i}-{n}"
            n += 1
            status, body, _, _ = client.call("SignUp", sign_up_body(name))
            with lock:
                if status == 200:
                    stats["flood_signed_up"] += 1
                elif body.get("__type") == "TooManyRequestsException":
                    stats["flood_too_many_requests"] += 1
                else:
                    raise Failure(f"flood SignUp: {status} {body}")
        client.close()

    parallel(connections, work)


def invalid_body():
    """The most empty `UserAttributes` entries that fit in a body the server accepts."""
    head = f'{{"ClientId":"{CLIENT_ID}","Username":"x","Password":"{PASSWORD}","UserAttributes":['
    entry = "{},"
    n = (MAX_BODY - len(head) - 2) // len(entry)
    body = head + entry * n
    body = body[:-1] + "]}"
    return body.encode(), n


def invalid_flood(port, connections, per_connection, stats):
    body, entries = invalid_body()
    assert len(body) <= MAX_BODY
    lock = threading.Lock()

    def work(i):
        client = Client(port)
        for _ in range(per_connection):
            for _ in range(100):
                status, parsed, size, headers = client.call("SignUp", None, raw=body)
                # The server's memory budget for bodies may be spent: retried, as clients do.
                if parsed.get("__type") != "TooManyRequestsException":
                    break
                with lock:
                    stats["invalid_too_many_requests"] += 1
                time.sleep(0.05)
            message = parsed.get("message", "")
            if status != 400:
                raise Failure(f"invalid body: status {status}")
            if size > MAX_ERROR_RESPONSE:
                raise Failure(f"invalid body: a {size}-byte answer")
            header = headers.get("x-amzn-errormessage", "")
            if len(header) > 1024:
                raise Failure(f"invalid body: a {len(header)}-byte x-amzn-ErrorMessage")
            if not message.startswith(f"{entries} validation errors detected: "):
                raise Failure(f"invalid body: the count is not exact: {message[:120]!r}")
            with lock:
                stats["invalid_answered"] += 1
                stats["invalid_largest_answer"] = max(stats["invalid_largest_answer"], size)
        client.close()

    parallel(connections, work)
    return entries


def idle_hold(port, idle, seconds, stats):
    """Opens `idle` connections from 127.0.0.1 that never send a byte, then signs up and
    confirms a user from 127.0.0.2 while they are held."""
    sockets = []
    refused = 0
    for _ in range(idle):
        s = socket.socket()
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            refused += 1
            s.close()
            continue
        sockets.append(s)
    stats["idle_opened"] = len(sockets)
    stats["idle_refused_at_connect"] = refused
    try:
        time.sleep(1)
        other = Client(port, source="127.0.0.2", timeout=10)
        started = time.monotonic()
        name = "other-client"
        status, body, _, _ = other.call("SignUp", sign_up_body(name))
        while status == 400 and body.get("__type") == "TooManyRequestsException":
            if time.monotonic() - started > seconds:
                raise Failure("the other client was not served while the idle ones were held")
            time.sleep(0.05)
            status, body, _, _ = other.call("SignUp", sign_up_body(name))
        if status != 200:
            raise Failure(f"the other client's SignUp: {status} {body}")
        stats["other_client_served_ms"] = round((time.monotonic() - started) * 1000)
        other.close()
    finally:
        for s in sockets:
            s.close()


def admin(client, op, body):
    status, answer, _, _ = client.call(op, body, signed=True)
    if status != 200:
        raise Failure(f"{op}: {status} {answer}")
    return answer


def list_all_users(port, names):
    """Pages through the soak pool with ListUsers and checks every user is listed once, then
    two filters against the names they must match."""
    client = Client(port)
    seen, token, pages = [], None, 0
    while True:
        body = {"UserPoolId": POOL_ID, "Limit": 60}
        if token:
            body["PaginationToken"] = token
        answer = admin(client, "ListUsers", body)
        pages += 1
        seen += [u["Username"] for u in answer["Users"]]
        token = answer.get("PaginationToken")
        if not token:
            break
        if pages > len(names):
            raise Failure("ListUsers did not end")
    if sorted(seen) != sorted(names):
        raise Failure(f"ListUsers listed {len(seen)} users ({len(set(seen))} distinct), not the {len(names)} signed up")
    prefix = names[0][:-1]
    want = sorted(n for n in names if n.startswith(prefix))
    answer = admin(client, "ListUsers", {"UserPoolId": POOL_ID, "Filter": f'username ^= "{prefix}"'})
    got = sorted(u["Username"] for u in answer["Users"])
    if got != want[:60]:
        raise Failure(f"ListUsers with a prefix filter: {got} and not {want[:60]}")
    answer = admin(
        client,
        "ListUsers",
        {"UserPoolId": POOL_ID, "Filter": f'email = "{names[-1]}@example.com"'},
    )
    if [(u["Username"], u["UserStatus"]) for u in answer["Users"]] != [(names[-1], "CONFIRMED")]:
        raise Failure(f"ListUsers by email: {answer}")
    client.close()
    return pages


def pool_churn(port, connections, rounds, stats):
    """Each round: a pool and a client with a generated secret, a SignUp with SecretHash, a
    ListUsers that finds the user, DeleteUserPool, and then the client is gone."""
    lock = threading.Lock()

    def work(i):
        client = Client(port)
        for r in range(rounds):
            pool = admin(
                client,
                "CreateUserPool",
                {"PoolName": f"churn-{i}-{r}", "AliasAttributes": ["email"],
                 "AutoVerifiedAttributes": ["email"]},
            )["UserPool"]["Id"]
            app = admin(
                client,
                "CreateUserPoolClient",
                {"UserPoolId": pool, "ClientName": "app", "GenerateSecret": True},
            )["UserPoolClient"]
            name = f"churner{r}"
            body = sign_up_body(name)
            body["ClientId"] = app["ClientId"]
            body["SecretHash"] = secret_hash(app["ClientSecret"], name, app["ClientId"])
            while True:
                status, answer, _, _ = client.call("SignUp", body)
                if answer.get("__type") != "TooManyRequestsException":
                    break
                time.sleep(0.02)
            if status != 200:
                raise Failure(f"SignUp in {pool}: {status} {answer}")
            listed = admin(client, "ListUsers", {"UserPoolId": pool})["Users"]
            if [u["Username"] for u in listed] != [name]:
                raise Failure(f"ListUsers in {pool}: {listed}")
            admin(client, "DeleteUserPool", {"UserPoolId": pool})
            status, answer, _, _ = client.call("SignUp", body)
            if (status, answer.get("__type")) != (400, "ResourceNotFoundException"):
                raise Failure(f"SignUp after DeleteUserPool: {status} {answer}")
            with lock:
                stats["pools_churned"] += 1
        client.close()

    parallel(connections, work)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "COGNITO_SERVER_BIN", str(ROOT / "target" / "release" / "cognito-signup-server")
        ),
    )
    parser.add_argument("--sign-ups", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--flood-connections", type=int, default=64)
    parser.add_argument("--flood-seconds", type=float, default=15)
    parser.add_argument("--invalid-connections", type=int, default=64)
    parser.add_argument("--invalid-per-connection", type=int, default=4)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--churn-rounds", type=int, default=50, help="pool rounds per connection")
    parser.add_argument("--limit-mib", type=float, default=256)
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.idle + args.flood_connections + 256
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

    start = time.monotonic()
    deadline = start + args.time_limit
    stats = {
        "sign_ups": args.sign_ups,
        "sign_up_throttled": 0,
        "flood_signed_up": 0,
        "flood_too_many_requests": 0,
        "invalid_answered": 0,
        "invalid_largest_answer": 0,
        "invalid_too_many_requests": 0,
        "pools_churned": 0,
    }
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = Server(args.server, tmp, port)
        sampler = Sampler(server)
        sampler.start()
        ok = False
        try:
            sampler.phase = "sign-up"
            t = time.monotonic()
            names = [f"soak{i:06d}" for i in range(args.sign_ups)]
            sign_up_all(port, names, args.connections, deadline, stats)
            stats["sign_up_seconds"] = round(time.monotonic() - t, 1)

            sampler.phase = "confirm"
            t = time.monotonic()
            codes = codes_from_outbox(server.outbox)
            missing = set(names) - set(codes)
            if missing:
                raise Failure(f"{len(missing)} users have no code in the outbox")
            confirm_all(port, {n: codes[n] for n in names}, args.connections, deadline)
            stats["confirm_seconds"] = round(time.monotonic() - t, 1)

            sampler.phase = "list users"
            t = time.monotonic()
            stats["list_users_pages"] = list_all_users(port, names)
            stats["list_users_seconds"] = round(time.monotonic() - t, 1)

            sampler.phase = "pool churn"
            t = time.monotonic()
            before = server.rss_kib()
            pool_churn(port, args.connections, args.churn_rounds, stats)
            after = server.rss_kib()
            stats["pool_churn_seconds"] = round(time.monotonic() - t, 1)
            if before and after:
                stats["pool_churn_rss_growth_mib"] = round((after[0] - before[0]) / 1024, 1)
            if not server.alive():
                raise Failure("the server died during the pool churn")

            sampler.phase = "sign-up flood"
            sign_up_flood(port, args.flood_connections, args.flood_seconds, stats)

            sampler.phase = "invalid bodies"
            stats["invalid_entries_per_body"] = invalid_flood(
                port, args.invalid_connections, args.invalid_per_connection, stats
            )

            sampler.phase = "idle connections"
            idle_hold(port, args.idle, 20, stats)

            sampler.phase = "end"
            final = Client(port)
            for _ in range(200):
                status, body, _, _ = final.call("SignUp", sign_up_body("final-check"))
                if body.get("__type") != "TooManyRequestsException":
                    break
                time.sleep(0.05)
            if status != 200:
                raise Failure(f"after the run: {status} {body}")
            if not server.alive():
                raise Failure("the server died")
            ok = True
        finally:
            figures = server.rss_kib()
            sampler.stopped.set()
            sampler.join()
            code = server.stop()
            if figures is not None:
                stats["final_rss_mib"] = round(figures[0] / 1024, 1)
                stats["peak_rss_mib"] = round(figures[1] / 1024, 1)
            stats["sampled_peak_rss_mib"] = round(sampler.peak_rss_kib / 1024, 1)
            stats["phase_peak_rss_mib"] = {
                k: round(v / 1024, 1) for k, v in sampler.phase_peaks.items()
            }
            stats["seconds"] = round(time.monotonic() - start, 1)
            stats["server_exit"] = code
            print(json.dumps(stats), flush=True)
        peak = stats.get("peak_rss_mib", stats["sampled_peak_rss_mib"])
        if peak >= args.limit_mib:
            raise Failure(f"peak resident memory {peak} MiB is over {args.limit_mib} MiB")
        if code != 0:
            raise Failure(f"the server exited with {code} on SIGTERM")
        return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as e:
        print(f"soak: FAILED: {e}", file=sys.stderr)
        sys.exit(1)

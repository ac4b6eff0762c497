"""`make bench`: complete logins against waitress on 127.0.0.1 with a real SMTP sink.

Measures, in one run: complete logins (login page, password, code read from
the delivered mail, first signed-in page) per second per core of the server
process, p50/p95 per step, argon2id verifications per second per core on this
machine (the ceiling), their ratio, and the server's resident memory after the
load. Bounded in count and time; talks only to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import atexit
import email
import email.policy
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench passphrase for sekisho 2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def server_env(db_url: str, instance: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_ENV": "development",
        "PORTAL_MAIL_BACKEND": "smtp",
        "PORTAL_MAIL_SERVER": "127.0.0.1",
        "PORTAL_MAIL_PORT": str(smtp_port),
        "PORTAL_HOURS_PROFILE": "always",
        "PORTAL_SCHEDULER": "0",
        "PORTAL_IP_FAILURE_LIMIT": "100000",
        "PORTAL_SECRET_KEY": "bench-secret-key",
    })
    return env


def prepare_accounts(env: dict[str, str], instance: Path, count: int) -> list[tuple[str, str]]:
    """Create the schema and `count` active operators (argon2 at the production parameters)."""
    script = f"""
import json, os
from webapp import create_app
from webapp.extensions import db
from webapp import migrate
from webapp.orgs import service as orgs
from tests.support.world import make_active
app = create_app({{"INSTANCE_PATH": {str(instance)!r}}})
with app.app_context():
    migrate.upgrade()
    org = orgs.create_organisation("ベンチ送配電", "grid", "tokyo")
    out = []
    for i in range({count}):
        u = orgs.create_user(org, name=f"bench {{i}}", email=f"bench{{i}}@bench.example")
        make_active(u, {PASSWORD!r})
        out.append((u.login_id, u.email))
    db.session.commit()
    print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=600)
    return [tuple(x) for x in json.loads(result.stdout.strip().splitlines()[-1])]


class CodeSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps the last code mailed to each address.

    Lighter than the tests' sink (which parses every message with the modern email policy):
    the load generator shares the machine with the server and should take as little of it
    as it can. Only the last message per address is parsed, when its code is asked for."""

    def __init__(self) -> None:
        self.port = free_port()
        self.lock = threading.Lock()
        self.count: dict[str, int] = {}
        self.last: dict[str, bytes] = {}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        with self.lock:
            for address in envelope.rcpt_tos:
                self.count[address] = self.count.get(address, 0) + 1
                self.last[address] = envelope.content
        return "250 OK"

    def start(self) -> "CodeSink":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def received(self, address: str) -> int:
        with self.lock:
            return self.count.get(address, 0)

    def code_for(self, address: str) -> str:
        with self.lock:
            raw = self.last[address]
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                match = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE)
                if match:
                    return match.group(1)
        raise RuntimeError(f"no code in the mail to {address}")


class Client:
    """One browser: a persistent HTTP/1.1 connection and its cookies, redirects not followed."""

    def __init__(self, base: str) -> None:
        parsed = urllib.parse.urlsplit(base)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, path: str, data: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request("POST" if data is not None else "GET", path, body=body, headers=headers)
        response = self.connection.getresponse()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.read().decode(errors="replace"), response.headers.get("Location", "")

    def close(self) -> None:
        self.connection.close()


def one_login(base: str, login_id: str, address: str, sink: CodeSink, timings: dict[str, list[float]]) -> None:
    client = Client(base)
    steps = []
    t0 = time.perf_counter()
    status, html, _ = client.request("/login")
    steps.append(("login_page", time.perf_counter() - t0, status == 200))
    token = CSRF.search(html).group(1)  # type: ignore[union-attr]
    before = sink.received(address)
    t0 = time.perf_counter()
    status, _, location = client.request("/login", {"login_id": login_id, "password": PASSWORD, "csrf_token": token})
    steps.append(("password", time.perf_counter() - t0, status == 303 and location.endswith("/login/code")))
    deadline = time.monotonic() + 10
    while sink.received(address) <= before and time.monotonic() < deadline:
        time.sleep(0.002)
    code = sink.code_for(address)
    t0 = time.perf_counter()
    status, html, _ = client.request("/login/code")
    token = CSRF.search(html).group(1)  # type: ignore[union-attr]
    status, _, location = client.request("/login/code", {"code": code, "csrf_token": token})
    steps.append(("code", time.perf_counter() - t0, status == 303))
    t0 = time.perf_counter()
    status, _, _ = client.request(location or "/dashboard")
    steps.append(("first_page", time.perf_counter() - t0, status == 200))
    client.close()
    for name, seconds, ok in steps:
        if not ok:
            raise RuntimeError(f"step {name} failed for {login_id}")
        timings.setdefault(name, []).append(seconds)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def argon2_ceiling(seconds: float = 3.0) -> tuple[float, str]:
    """Verifications per second on one core with the portal's default parameters."""
    from argon2 import PasswordHasher

    from webapp.config import DEFAULTS

    hasher = PasswordHasher(time_cost=DEFAULTS["PORTAL_ARGON2_TIME_COST"],
                            memory_cost=DEFAULTS["PORTAL_ARGON2_MEMORY_KIB"],
                            parallelism=DEFAULTS["PORTAL_ARGON2_PARALLELISM"])
    digest = hasher.hash(PASSWORD)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        hasher.verify(digest, PASSWORD)
        count += 1
    params = f"m={DEFAULTS['PORTAL_ARGON2_MEMORY_KIB'] // 1024} MiB, t={DEFAULTS['PORTAL_ARGON2_TIME_COST']}, p={DEFAULTS['PORTAL_ARGON2_PARALLELISM']}"
    return count / (time.perf_counter() - start), params


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--logins", type=int, default=300, help="complete logins to drive (bounded)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--server-threads", type=int, default=0, help="waitress threads (default: portal serve's)")
    args = parser.parse_args()

    sink = CodeSink().start()
    workdir = Path(tempfile.mkdtemp(prefix="sekisho-bench-"))
    atexit.register(shutil.rmtree, workdir, True)  # the database and instance are the run's alone
    instance = workdir / "instance"
    env = server_env(f"sqlite:///{workdir / 'bench.db'}", instance, sink.port)
    print(f"preparing {args.accounts} accounts (argon2id at production parameters)...", flush=True)
    accounts = prepare_accounts(env, instance, args.accounts)
    # The ceiling is measured before and after the load and averaged: a shared host's speed
    # drifts, and the ratio should compare the load with the machine as it was meanwhile.
    ceiling_before, params = argon2_ceiling()
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/portal"), "serve", "--host", "127.0.0.1", "--port", str(port)] + (["--threads", str(args.server_threads)] if args.server_threads else []),
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        timings: dict[str, list[float]] = {}
        errors: list[str] = []
        lock = threading.Lock()
        issued = iter(range(args.logins))
        started = time.perf_counter()
        deadline = started + args.max_seconds

        def worker(offset: int) -> None:
            while time.perf_counter() < deadline:
                with lock:
                    n = next(issued, None)
                if n is None:
                    return
                # Each client has its own accounts, so no two codes for one address are in flight.
                own = accounts[offset::args.clients]
                login_id, address = own[n % len(own)]
                try:
                    one_login(base, login_id, address, sink, timings)
                except Exception as exc:  # counted and reported, the run goes on
                    errors.append(str(exc))

        cpu_before = cpu_seconds(server.pid)
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        server_cpu = cpu_seconds(server.pid) - cpu_before
        done = len(timings.get("first_page", []))
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        sink.stop()

    ceiling_after, _ = argon2_ceiling()
    ceiling = (ceiling_before + ceiling_after) / 2
    per_core = done / server_cpu if server_cpu else 0.0
    print()
    print(f"complete logins:               {done} in {elapsed:.1f} s with {args.clients} clients ({len(errors)} errors)")
    print(f"wall-clock rate:               {done / elapsed:.1f} logins/s")
    print(f"server CPU time:               {server_cpu:.1f} s")
    print(f"logins per second per core:    {per_core:.1f}  (target >= 20)")
    print(f"argon2id verifications/s/core: {ceiling:.1f}  ({params}; {ceiling_before:.1f} before, {ceiling_after:.1f} after)")
    print(f"ratio logins/argon2 ceiling:   {per_core / ceiling:.2f}  (target >= 0.5)")
    for step in ("login_page", "password", "code", "first_page"):
        values = timings.get(step, [])
        if values:
            print(f"  {step:<12} p50 {pct(values, .5):7.1f} ms   p95 {pct(values, .95):7.1f} ms")
    print(f"server resident memory after:  {memory:.0f} MB  (target < 150)")
    if errors:
        print("first errors:", errors[:3])
    return 0 if done and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

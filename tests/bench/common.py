"""What the parts of `make bench` share: the server's settings and process, a real SMTP sink,
an HTTP client with cookies, the real sign-in, and the figures (percentiles, CPU, memory)."""
from __future__ import annotations

import atexit
import email
import email.policy
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from aiosmtpd.controller import Controller

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench passphrase for the portal 2026"
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
        "PORTAL_INSTANCE_PATH": str(instance),  # not the project's instance/ of `make run`
    })
    return env


@dataclass
class Workspace:
    """A run's own database and instance folder (removed at exit) and its SMTP sink."""

    sink: "CodeSink"
    instance: Path
    db_path: Path
    env: dict[str, str]


def workspace(prefix: str) -> Workspace:
    sink = CodeSink().start()
    atexit.register(sink.stop)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, workdir, True)
    instance, db_path = workdir / "instance", workdir / "bench.db"
    return Workspace(sink, instance, db_path, server_env(f"sqlite:///{db_path}", instance, sink.port))


@contextmanager
def portal_server(env: dict[str, str], threads: int = 0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`portal serve` (waitress, one process) on a free loopback port, until the block ends."""
    port = free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/portal"), "serve", "--host", "127.0.0.1", "--port", str(port)]
                              + (["--threads", str(threads)] if threads else []),
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)


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


def sign_in(base: str, login_id: str, address: str, sink: CodeSink) -> Client:
    """The real flow: login page, password, the code from the delivered mail. Returns the signed-in client."""
    client = Client(base)
    _status, page, _ = client.request("/login")
    before = sink.received(address)
    status, _, location = client.request("/login", {"login_id": login_id, "password": PASSWORD,
                                                    "csrf_token": CSRF.search(page).group(1)})  # type: ignore[union-attr]
    if status != 303 or not location.endswith("/login/code"):
        raise RuntimeError(f"password step for {login_id} answered {status} {location}")
    deadline = time.monotonic() + 10
    while sink.received(address) <= before and time.monotonic() < deadline:
        time.sleep(0.005)
    _status, page, _ = client.request("/login/code")
    status, _, _ = client.request("/login/code", {"code": sink.code_for(address),
                                                  "csrf_token": CSRF.search(page).group(1)})  # type: ignore[union-attr]
    if status != 303:
        raise RuntimeError(f"code step for {login_id} answered {status}")
    return client


def cpu_split(pid: int) -> tuple[float, float]:
    """The process's user and system CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000

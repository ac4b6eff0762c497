"""`portal serve` as an operator runs it: a real waitress process on a free loopback port."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
PORTAL = str(Path(sys.executable).parent / "portal")  # the console script of the running environment


def portal_env(database: Path, **settings: str) -> dict[str, str]:
    # The run's own instance folder: the project's instance/ after `make run` holds an audit anchor
    # of the demo database (and maybe a config.py), which must not reach the database tested here.
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{database}", "PORTAL_SECRET_KEY": "k",
           "PORTAL_SCHEDULER": "0", "PORTAL_ENV": "development",
           "PORTAL_INSTANCE_PATH": str(database.parent / "instance"), **settings}
    if "PORTAL_MAIL_BACKEND" not in settings:
        env.pop("PORTAL_MAIL_BACKEND", None)
    return env


def portal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PORTAL, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


@contextmanager
def served(env: dict[str, str], host: str = "127.0.0.1",
           threads: int | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Yields the base URL and the process; its standard error is read after the block."""
    port = free_port()
    options = ["--threads", str(threads)] if threads else []
    server = subprocess.Popen([PORTAL, "serve", "--host", host, "--port", str(port), *options], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        server.wait(timeout=10)

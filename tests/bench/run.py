"""`make bench`: complete logins against waitress on 127.0.0.1 with a real SMTP sink.

Measures, in one run: complete logins (login page, password, code read from
the delivered mail, first signed-in page) per second per core of the server
process, p50/p95 per step, argon2id verifications per second per core on this
machine (the ceiling), their ratio, and the server's resident memory after the
load. Bounded in count and time; talks only to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.bench.common import (CSRF, PASSWORD, ROOT, Client, CodeSink, cpu_split, pct, portal_server, rss_mb,
                                workspace)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--logins", type=int, default=300, help="complete logins to drive (bounded)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--server-threads", type=int, default=0, help="waitress threads (default: portal serve's)")
    args = parser.parse_args()

    space = workspace("sekisho-bench-")
    sink, instance, env = space.sink, space.instance, space.env
    print(f"preparing {args.accounts} accounts (argon2id at production parameters)...", flush=True)
    accounts = prepare_accounts(env, instance, args.accounts)
    # The ceiling is measured before and after the load and averaged: a shared host's speed
    # drifts, and the ratio should compare the load with the machine as it was meanwhile.
    ceiling_before, params = argon2_ceiling()
    with portal_server(env, args.server_threads) as (base, server):
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

        user_before, system_before = cpu_split(server.pid)
        driver_before = time.process_time()
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        driver_cpu = time.process_time() - driver_before
        user_after, system_after = cpu_split(server.pid)
        user_cpu, system_cpu = user_after - user_before, system_after - system_before
        server_cpu = user_cpu + system_cpu
        done = len(timings.get("first_page", []))
        memory = rss_mb(server.pid)

    ceiling_after, _ = argon2_ceiling()
    ceiling = (ceiling_before + ceiling_after) / 2
    per_core = done / server_cpu if server_cpu else 0.0
    print()
    print(f"complete logins:               {done} in {elapsed:.1f} s with {args.clients} clients ({len(errors)} errors)")
    print(f"wall-clock rate:               {done / elapsed:.1f} logins/s")
    print(f"server CPU time:               {server_cpu:.1f} s  (user {user_cpu:.1f}, system {system_cpu:.1f})")
    print(f"load driver CPU time:          {driver_cpu:.1f} s  (the clients, on the same cores)")
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

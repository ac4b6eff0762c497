"""`make bench`, second part: the authenticated list page of facility records (SPEC §11).

A fresh SQLite database gets 100,000 synthetic records (`portal records generate`'s generator);
operators of a scheme administrator (who sees every record) and of a grid operator (one supply
area) sign in through the real flow (code from a real SMTP sink), then 16 concurrent clients
page, filter and sort the 50-row list against waitress on 127.0.0.1. Every page is a full
page: the count, the 50 rows and the audit entry of the view.

List pages (the first page in full, then, as htmx asks for them, the results of later pages, a prefecture, an energy source sorted by capacity, by
certification date) are measured under two loads: people reading (each client pauses about
THINK seconds between pages, as a person does) and saturation (no pause: the latency is then
mostly the queue of 16 clients on the server's cores). Free-text search is measured on its own. The target is p95 < 50 ms with 16 concurrent clients.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Callable

from tests.bench.common import PASSWORD, ROOT, Client, cpu_seconds, pct, portal_server, rss_mb, sign_in, workspace

RECORDS = 100_000


def prepare(env: dict[str, str], instance: Path, clients: int, records: int) -> list[tuple[str, str, str]]:
    script = f"""
import json
from webapp import create_app, migrate
from webapp.extensions import db
from webapp.orgs import service as orgs
from webapp.records import generator
from webapp.records.loading import store
from tests.support.world import make_active
app = create_app({{"INSTANCE_PATH": {str(instance)!r}}})
with app.app_context():
    migrate.upgrade()
    scheme = orgs.create_organisation("ベンチ制度管理機関", "scheme", "")
    grid = orgs.create_organisation("ベンチ送配電", "grid", "tokyo")
    out = []
    for i in range({clients}):
        org = scheme if i % 2 == 0 else grid
        u = orgs.create_user(org, name=f"bench {{i}}", email=f"list{{i}}@bench.example", roles="operator")
        make_active(u, {PASSWORD!r})
        out.append((u.login_id, u.email, org.category))
    store(generator.records(1, {records}))
    db.session.commit()
    print(json.dumps(out))
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=900)
    return [tuple(x) for x in json.loads(result.stdout.strip().splitlines()[-1])]


def list_pages(category: str, rng: random.Random) -> tuple[str, str]:
    """A list page a person would open: (kind, path)."""
    deepest = 200 if category == "scheme" else 60
    choices = [
        ("first page", "/records"),
        ("later page", f"/records?page={rng.randint(2, deepest)}"),
        ("prefecture", "/records?prefecture=" + ("大阪府" if category == "scheme" else "神奈川県")),
        ("energy + sort", "/records?energy=wind&sort=-capacity_kw"),
        ("by date", f"/records?sort=-certified_on&page={rng.randint(1, 20)}"),
    ]
    kind, path = rng.choice(choices)
    return kind, urllib.parse.quote(path, safe="/?=&-")


def searches(category: str, rng: random.Random) -> tuple[str, str]:
    """Free text: a substring of IDs, names and addresses (the trigram index on SQLite)."""
    kind = "search (all)" if category == "scheme" else "search (area)"
    # What people look for: one facility, a plant, an operator, an address; and one word that a
    # fifth of all records contain.
    terms = [f"SYN{rng.randint(1, RECORDS):09d}", f"みなと第{rng.randint(1, 12)}発電所", "合同会社未来エナジー",
             f"あおば市{rng.randint(1, 9)}丁目", "みどり"]
    return kind, "/records?q=" + urllib.parse.quote(rng.choice(terms))


def run_load(clients: list[tuple[Client, str]], chooser: Callable[[str, random.Random], tuple[str, str]],
             seconds: float, think: float, server_pid: int) -> tuple[dict[str, list[float]], int, float, float]:
    timings: dict[str, list[float]] = {}
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        client, category = clients[index]
        rng = random.Random(index)
        while time.perf_counter() < deadline:
            kind, path = chooser(category, rng)
            t0 = time.perf_counter()
            # Paging, filtering and sorting happen in the page: htmx asks for the results only.
            status, body, _ = client.request(path, headers={} if kind == "first page" else {"HX-Request": "true"})
            elapsed = time.perf_counter() - t0
            with lock:
                if status != 200 or 'id="record-rows"' not in body:
                    failures[0] += 1
                timings.setdefault(kind, []).append(elapsed)
                timings.setdefault("all", []).append(elapsed)
            if think:
                time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings, failures[0], time.perf_counter() - started, cpu_seconds(server_pid) - cpu_before


def report(title: str, timings: dict[str, list[float]], failures: int, elapsed: float, cpu: float) -> None:
    done = len(timings.get("all", []))
    print(f"\n{title}: {done} pages in {elapsed:.1f} s ({done / elapsed:.0f}/s, {failures} failed), "
          f"server CPU {1000 * cpu / max(done, 1):.1f} ms per page")
    for kind, values in sorted(timings.items(), key=lambda kv: kv[0] != "all"):
        print(f"  {kind:<14} p50 {pct(values, .5):6.1f} ms   p95 {pct(values, .95):6.1f} ms   ({len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a person's pages (s)")
    args = parser.parse_args()

    space = workspace("sekisho-bench-list-")
    sink, instance, env = space.sink, space.instance, space.env
    print(f"preparing {args.records:,} facility records and {args.clients} operators...", flush=True)
    accounts = prepare(env, instance, args.clients, args.records)
    with portal_server(env) as (base, server):
        clients = [(sign_in(base, login_id, address, sink), category) for login_id, address, category in accounts]
        for client, _category in clients:  # warm up: first pages, caches, connections
            client.request("/records")
        results = [
            (f"list pages, people reading (pause ~{args.think:.1f} s)",
             run_load(clients, list_pages, args.seconds, args.think, server.pid)),
            ("list pages, saturation (no pause)", run_load(clients, list_pages, args.seconds / 2, 0, server.pid)),
            (f"free-text search, people reading (pause ~{args.think:.1f} s)",
             run_load(clients, searches, args.seconds / 2, args.think, server.pid)),
        ]
        memory = rss_mb(server.pid)
    print(f"\nlist page of 50 rows from {args.records:,} records, {args.clients} concurrent clients "
          "(half see every record, half one supply area); target p95 < 50 ms")
    for title, (timings, failures, elapsed, cpu) in results:
        report(title, timings, failures, elapsed, cpu)
    print(f"\nserver resident memory after:  {memory:.0f} MB  (target < 150)")
    return 0 if all(r[1] == 0 for _t, r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

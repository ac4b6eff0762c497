"""A large, realistic audit log for the audit-search benchmark, written fast and chained validly.

The schema and the people come from the portal itself (migrations, the organisation service);
the entries are hashed here with the portal's own `_digest` and written with executemany in
batches, so `portal audit verify` accepts the result.
"""
from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

from webapp.audit.service import GENESIS, _digest

ROOT = Path(__file__).resolve().parents[2]
BATCH = 20_000

# (kind, weight, details builder); the weights follow a portal's working day: most entries are
# sign-in steps and record views, a few are failures and administration, very few are rare.
KINDS: list[tuple[str, float]] = [
    ("login.password_ok", 14), ("login.code_sent", 14), ("login.succeeded", 14), ("logout", 9),
    ("records.viewed", 22), ("records.exported", 3), ("login.failed", 5), ("login.code_failed", 2),
    ("session.ended", 6), ("hours.refused", 1.5), ("consent.accepted", 1), ("account.password_changed", 0.6),
    ("account.locked", 0.2), ("application.submitted", 0.5), ("application.approved", 0.4),
    ("account.created", 0.3), ("audit.viewed", 0.8), ("alert.raised", 0.05), ("alert.closed", 0.04),
    ("notice.posted", 0.02), ("backup.created", 0.003), ("organisation.updated", 0.01),
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
REASONS = ["bad_password", "unknown_user", "locked", "suspended", "outside_hours"]


@dataclass(frozen=True)
class Population:
    sysadmin_login_id: str
    sysadmin_email: str
    users: list[tuple[int, int, str]]  # (id, organisation id, login ID)
    organisations: list[int]


def prepare_population(env: dict[str, str], instance: Path, password: str, organisations: int,
                       users_per_organisation: int) -> Population:
    """Schema (through the migrations), organisations and users, and one active system
    administrator whose password is hashed at the production parameters."""
    script = f"""
import json
from webapp import create_app, migrate
from webapp.extensions import db
from webapp.orgs import service as orgs
from tests.support.world import make_active
app = create_app({{"INSTANCE_PATH": {str(instance)!r}}})
with app.app_context():
    migrate.upgrade()
    admin = make_active(orgs.create_user(orgs.operator_organisation(), name="監査 担当", email="audit-admin@bench.example",
                                         roles="sysadmin"), {password!r})
    users, organisations = [], []
    for o in range({organisations}):
        org = orgs.create_organisation(f"ベンチ事業者 {{o:03d}}", "certified" if o % 3 else "grid", "tokyo")
        organisations.append(org.id)
        for u in range({users_per_organisation}):
            user = orgs.create_user(org, name=f"利用者 {{o}}-{{u}}", email=f"u{{o}}-{{u}}@bench.example", status="active")
            users.append((user.id, org.id, user.login_id))
    db.session.commit()
    print(json.dumps({{"login_id": admin.login_id, "email": admin.email, "users": users,
                      "organisations": organisations}}))
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True, timeout=600)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return Population(data["login_id"], data["email"], [tuple(u) for u in data["users"]], data["organisations"])


def _variants(kind: str, rng: random.Random, count: int = 40) -> list[tuple[str, str]]:
    """(target, details JSON) shaped like the portal's own entries, a few variants per kind."""
    def one(n: int) -> tuple[str, dict[str, object]]:
        if kind == "records.viewed":
            return f"records?page={n + 1}", {"count": 50, "filters": {"area": rng.choice(["tokyo", "kansai", "chubu"])}}
        if kind == "records.exported":
            return "records.csv", {"format": "csv", "rows": rng.randint(10, 5000)}
        if kind == "login.failed":
            return "", {"reason": rng.choice(REASONS)}
        if kind == "login.code_sent":
            return "", {"mail_id": rng.randint(1, 900_000), "resend": n % 20 == 0}
        if kind == "login.password_ok":
            return "", {"method": "email"}
        if kind == "login.code_failed":
            return "", {"attempts": n % 5 + 1, "method": "email", "voided": False}
        if kind.startswith("application."):
            return f"application:{rng.randint(1, 90_000)}", {"kind": rng.choice(["add", "change", "remove"])}
        if kind.startswith("alert."):
            return f"alert:{rng.randint(1, 9_000)}", {"detector": "login.failure_burst"}
        return "", {}
    return [(target, json.dumps(details, ensure_ascii=False, sort_keys=True, default=str))
            for target, details in (one(n) for n in range(count))]


def _audit_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'"
                              " AND sql IS NOT NULL").fetchall()


def fill(db_path: Path, population: Population, count: int, end: datetime, days: int = 365,
         seed: int = 20261201) -> float:
    """Append `count` entries spread over `days` days before `end`, chained after the existing
    ones; returns the seconds it took. The table's indexes are dropped during the load and
    built again after it with the same definitions (a sorted build is several times faster
    than keeping them up to date row by row)."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    kinds = [k for k, _w in KINDS]
    variants = {kind: _variants(kind, rng) for kind in kinds}
    ips = [f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" for _ in range(800)]
    chosen_kinds = rng.choices(kinds, [w for _k, w in KINDS], k=count)
    chosen_people = rng.choices(population.users, k=count)
    chosen_ips = rng.choices(ips, k=count)
    chosen_agents = rng.choices(AGENTS, k=count)
    connection = sqlite3.connect(str(db_path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-200000")
    prev_hash = (connection.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
                 or (GENESIS,))[0]
    indexes = _audit_indexes(connection)
    at = end.astimezone(timezone.utc) - timedelta(days=days)
    mean_gap = days * 86400 / count
    one_microsecond = timedelta(microseconds=1)
    sql = ("INSERT INTO audit_events (at, kind, actor_id, organisation_id, ip, user_agent, target, details,"
           " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    connection.execute("BEGIN")
    for name, _sql in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    batch: list[tuple[object, ...]] = []
    for serial in range(count):
        at += timedelta(seconds=rng.expovariate(1 / mean_gap))
        if not at.microsecond:  # keep the stored text in one shape: always with microseconds
            at += one_microsecond
        kind = chosen_kinds[serial]
        user_id, organisation_id, login_id = chosen_people[serial]
        target, details = variants[kind][serial % 40]
        entry = SimpleNamespace(at=at, kind=kind, actor_id=user_id, organisation_id=organisation_id,
                                ip=chosen_ips[serial], user_agent=chosen_agents[serial],
                                target=target or login_id, details=details)
        entry_hash = _digest(prev_hash, entry)
        # The text SQLAlchemy's SQLite DateTime stores: UTC without the zone, with microseconds.
        batch.append((at.isoformat(" ")[:-6], kind, user_id, organisation_id, entry.ip, entry.user_agent,
                      entry.target, details, prev_hash, entry_hash))
        prev_hash = entry_hash
        if len(batch) >= BATCH:
            connection.executemany(sql, batch)
            batch.clear()
    if batch:
        connection.executemany(sql, batch)
    for _name, index_sql in indexes:
        connection.execute(index_sql)
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - started

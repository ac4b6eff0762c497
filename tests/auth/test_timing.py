"""No user enumeration by the clock: an unknown ID, a wrong password, a locked, a suspended and
a not-yet-activated account all cost one real argon2 verification.

Argon2 is made deliberately expensive here, so a path that skipped the verification would answer
many times faster; the bounds are loose enough for a busy test machine."""
from __future__ import annotations

import time

from tests.auth.steps import submit_password
from tests.conftest import TEST_PASSWORD
from webapp.extensions import db

SLOW_HASHING = {"PORTAL_ARGON2_TIME_COST": 2, "PORTAL_ARGON2_MEMORY_KIB": 32768, "PORTAL_IP_FAILURE_LIMIT": 1000}


def fastest_seconds(client, attempts: dict[str, tuple[str, str]], rounds: int = 4) -> dict[str, float]:
    """The fastest of a few tries of each attempt, taken in turns: other work on the machine only
    ever adds time, and taking turns spreads a busy moment over all of them instead of one.
    Four rounds: a fifth wrong password would lock the account."""
    samples: dict[str, list[float]] = {name: [] for name in attempts}
    for _round in range(rounds):
        for name, (login_id, password) in attempts.items():
            started = time.perf_counter()
            response = submit_password(client, login_id, password)
            samples[name].append(time.perf_counter() - started)
            assert response.status_code == 401
    return {name: min(values) for name, values in samples.items()}


def test_every_refusal_costs_about_the_same(make_app):
    app = make_app(**SLOW_HASHING)
    with app.app_context():
        from tests.support.world import build_world
        from webapp.orgs import service as orgs

        world = build_world()
        world.grid_operator2.locked_at = world.grid_operator2.created_at
        world.city_operator.status = "suspended"
        never_activated = orgs.create_user(world.grid, name="未 有効", email="never@test.example")
        db.session.commit()
        client = app.test_client()
        submit_password(client, "warm-up", "warm-up")
        fastest = fastest_seconds(client, {
            "wrong password": (world.grid_operator.login_id, "a wrong passphrase, surely"),
            "unknown id": ("u2345678", TEST_PASSWORD),
            "locked": (world.grid_operator2.login_id, TEST_PASSWORD),
            "suspended": (world.city_operator.login_id, TEST_PASSWORD),
            "not activated": (never_activated.login_id, TEST_PASSWORD),
        })
        baseline = fastest.pop("wrong password")
        for name, seconds in fastest.items():
            assert 0.5 < seconds / baseline < 2.0, f"{name}: {seconds:.3f} s vs wrong password {baseline:.3f} s"

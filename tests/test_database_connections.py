"""Each request keeps one pooled connection for all its transactions and gives it back at the
end, whatever happened: a connection kept by mistake would, request after request, exhaust the
pool and leave every later visitor waiting for the pool's timeout."""
from __future__ import annotations

from tests.auth.steps import post_form, sign_in_with_code, submit_password
from webapp.extensions import db


def test_every_request_gives_its_connection_back(app, world, smtp):
    client = app.test_client()
    sign_in_with_code(client, smtp, world.grid_operator)  # several transactions per request
    assert client.get("/dashboard").status_code == 200
    submit_password(app.test_client(), world.grid_operator2.login_id, "wrong password, surely")
    refused = post_form(app.test_client(), "/login", {"login_id": "\x00", "password": "x"})
    assert refused.status_code == 400
    assert db.engine.pool.checkedout() == 0


def test_more_requests_than_the_pool_holds_never_wait_for_a_connection(app, world):
    pool = db.engine.pool
    client = app.test_client()
    for _ in range(pool.size() + 20):  # more than the pool and its overflow together
        assert client.get("/login").status_code == 200
    assert pool.checkedout() == 0

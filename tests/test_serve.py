"""`portal serve` as an operator starts it: behind a reverse proxy the portal sees the client's
address when PORTAL_TRUSTED_PROXIES says how many proxies there are, and only then."""
from __future__ import annotations

import http.client
import json
import re
import sqlite3
import urllib.parse

import pytest

from tests.support.served import portal, portal_env, served

CLIENT = "198.51.100.7"


def _failed_sign_in(base: str, login_id: str) -> None:
    """A wrong password for a known account, as sent through a proxy that names the client."""
    host = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    forwarded = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "http"}
    connection.request("GET", "/login", headers=forwarded)
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"login_id": login_id, "password": "not the password of this account",
                                   "csrf_token": token})
    connection.request("POST", "/login", body=body, headers={
        **forwarded, "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert connection.getresponse().status == 401
    connection.close()


@pytest.mark.parametrize("proxies, recorded", [("1", CLIENT), ("0", "127.0.0.1")])
def test_the_client_address_comes_from_a_trusted_proxy_only(tmp_path, proxies, recorded):
    database = tmp_path / "portal.db"
    env = portal_env(database, PORTAL_TRUSTED_PROXIES=proxies)
    assert portal(env, "init").returncode == 0
    login_id = json.loads(portal(env, "demo", "--json").stdout)[0]["login_id"]
    with served(env) as (base, _server):
        _failed_sign_in(base, login_id)
    with sqlite3.connect(database) as db:
        addresses = {ip for (ip,) in db.execute("SELECT ip FROM audit_events WHERE kind = 'login.failed'")}
    assert addresses == {recorded}


def test_a_port_out_of_range_or_taken_is_refused_with_a_message(tmp_path):
    env = portal_env(tmp_path / "portal.db")
    assert portal(env, "init").returncode == 0
    out_of_range = portal(env, "serve", "--port", "99999")
    assert out_of_range.returncode == 2 and "99999" in out_of_range.stderr
    for threads in ("-3", "0"):  # found by an operator trial: -3 served nothing, ever
        no_threads = portal(env, "serve", "--threads", threads)
        assert no_threads.returncode == 2 and "--threads" in no_threads.stderr
    with served(env) as (base, _server):
        taken = portal(env, "serve", "--port", base.rsplit(":", 1)[1])
    assert taken.returncode == 1
    assert "error: cannot listen on 127.0.0.1" in taken.stderr and "Traceback" not in taken.stderr


def test_a_production_portal_serves_its_pages_at_once(tmp_path):
    """The start-up checks of production read the database: they must not leave SQLite's write
    lock held by the command while requests wait for it (every page hung, then failed)."""
    import urllib.request

    env = portal_env(tmp_path / "portal.db", PORTAL_ENV="production", PORTAL_MAIL_BACKEND="smtp",
                     PORTAL_BASE_URL="https://sekisho.example.jp", PORTAL_DATABASE_BUSY_SECONDS="3")
    assert portal(env, "init").returncode == 0
    with served(env) as (base, _server):
        for path in ("/login", "/terms", "/hours"):  # a held lock answers 503 after 3 s
            with urllib.request.urlopen(base + path, timeout=30) as answer:
                assert answer.status == 200


def test_links_in_mail_lead_to_the_port_the_portal_serves_on(tmp_path):
    """Found by an operator trial: with PORTAL_BASE_URL unset, `portal serve --port P` mailed links
    to port 8000, where nothing answered."""
    database = tmp_path / "portal.db"
    env = portal_env(database, PORTAL_IP_FAILURE_LIMIT="3")
    assert portal(env, "init").returncode == 0
    login_id = json.loads(portal(env, "demo", "--json").stdout)[0]["login_id"]
    with served(env) as (base, server):
        for _ in range(3):  # the limit reached alerts the system administrators by mail
            _failed_sign_in(base, login_id)
    assert f"Sekisho on {base}/" in server.stdout.read()
    with sqlite3.connect(database) as db:
        bodies = [body for (body,) in db.execute("SELECT body_text FROM outbox_mail WHERE template LIKE 'alert%'")]
    assert bodies and all(f"{base}/alerts" in body for body in bodies)


def test_the_answers_waitress_gives_itself_carry_the_security_headers(tmp_path):
    """An attacker's review: a bad Content-Length, a malformed header or an unknown Transfer-Encoding
    are answered by waitress before the portal sees them, and those answers had no CSP, nosniff,
    frame or cache headers."""
    import socket

    env = portal_env(tmp_path / "portal.db")
    assert portal(env, "init").returncode == 0
    malformed = [b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                 b"GET /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
                 b"GET /login HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"]
    with served(env) as (base, _server):
        host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
        for request in malformed:
            answer = b""
            with socket.create_connection((host, port), timeout=10) as connection:
                connection.sendall(request)
                while chunk := connection.recv(65536):
                    answer += chunk
            head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
            status = head.split(" ", 2)[1]
            assert status in {"400", "501"}, head
            assert "Content-Security-Policy: default-src 'self'" in head and "frame-ancestors 'none'" in head
            assert "X-Content-Type-Options: nosniff" in head and "X-Frame-Options: DENY" in head

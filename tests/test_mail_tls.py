"""Mail over TLS: STARTTLS or TLS from the first byte, with the server's certificate and name
checked (a sign-in code read by whoever sits on the path is a password step away from an
account), and the mail server's login only ever inside TLS."""
from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Iterator

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.auth.steps import is_signed_in, login_error, submit_code, submit_password
from tests.support.smtp import SmtpSink
from tests.support.world import build_world
from webapp import create_app
from webapp.config import ConfigError

SMTP_USER, SMTP_PASSWORD = "sekisho-relay", "relay secret 2026"


class Relay:
    """A mail relay on loopback with a certificate from a private CA and a login of its own."""

    def __init__(self, tmp_path: Path, implicit_tls: bool) -> None:
        self.ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1").configure_cert(server_context)
        self.ca_file = tmp_path / "relay-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.implicit_tls = implicit_tls
        self.logins: list[tuple[str, bool]] = []
        tls: dict[str, Any] = ({"ssl_context": server_context} if implicit_tls else
                               {"tls_context": server_context, "require_starttls": True})
        # aiosmtpd offers AUTH inside STARTTLS only when asked to; over TLS from the start it
        # does not count the connection as TLS, so _authenticate records what the socket is.
        self.sink = SmtpSink(**tls, authenticator=self._authenticate, auth_require_tls=not implicit_tls)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode(), auth_data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
        inside_tls = server.transport.get_extra_info("ssl_object") is not None
        self.logins.append((auth_data.login.decode(), inside_tls))
        return AuthResult(success=ok)


@pytest.fixture(params=["starttls", "tls"])
def relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Relay]:
    server = Relay(tmp_path, implicit_tls=request.param == "tls")
    server.sink.start()
    yield server
    server.sink.stop()


def tls_settings(relay: Relay, **overrides: Any) -> dict[str, Any]:
    return {"PORTAL_MAIL_PORT": relay.sink.port, "PORTAL_MAIL_USE_TLS": not relay.implicit_tls,
            "PORTAL_MAIL_USE_SSL": relay.implicit_tls,
            "PORTAL_MAIL_USERNAME": SMTP_USER, "PORTAL_MAIL_PASSWORD": SMTP_PASSWORD,
            "PORTAL_MAIL_CA_FILE": str(relay.ca_file), **overrides}


def test_the_code_travels_over_verified_tls_and_the_relay_login_only_inside_it(make_app, relay):
    app = make_app(**tls_settings(relay))
    with app.app_context():
        operator = build_world().grid_operator
        browser = app.test_client()
        assert submit_password(browser, operator.login_id).headers["Location"] == "/login/code"
        code = relay.sink.code_for(operator.email)
        assert submit_code(browser, code).headers["Location"] == "/dashboard"
    assert relay.logins and relay.logins[0] == (SMTP_USER, True), "logged in to the relay, inside TLS"


def test_a_certificate_the_portal_does_not_trust_gets_no_code(make_app, relay):
    """Without the private CA (the system's store does not know it) the portal refuses the relay:
    the user is told the mail could not be sent, nothing reaches the relay, and the mail waits."""
    app = make_app(**tls_settings(relay, PORTAL_MAIL_CA_FILE=None))
    with app.app_context():
        operator = build_world().grid_operator
        response = submit_password(app.test_client(), operator.login_id)
        assert response.status_code == 503
        message = login_error(response)
        assert "could not be sent" in message or "送信できません" in message
    assert relay.sink.mails == [] and relay.logins == [], "no password and no code went to an unverified server"


def test_a_certificate_for_another_name_is_refused(make_app, tmp_path):
    """The relay's certificate is valid but names another host: a man in the middle with a real
    certificate of their own looks exactly like this."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.other.example").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    sink = SmtpSink(tls_context=context, require_starttls=True).start()
    try:
        app = make_app(PORTAL_MAIL_PORT=sink.port, PORTAL_MAIL_USE_TLS=True, PORTAL_MAIL_CA_FILE=str(ca_file))
        with app.app_context():
            operator = build_world().grid_operator
            browser = app.test_client()
            assert submit_password(browser, operator.login_id).status_code == 503
            assert not is_signed_in(browser)
        assert sink.mails == []
    finally:
        sink.stop()


@pytest.mark.parametrize("settings, says", [
    ({"PORTAL_MAIL_USE_TLS": True, "PORTAL_MAIL_USE_SSL": True}, "exclude each other"),
    ({"PORTAL_MAIL_CA_FILE": "/nonexistent/ca.pem"}, "no such file"),
])
def test_contradictory_or_missing_tls_settings_stop_the_start(tmp_path, settings, says):
    with pytest.raises(ConfigError, match=says):
        create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SECRET_KEY": "k",
                    "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **settings})


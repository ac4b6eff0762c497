"""An authenticator app (TOTP) on a personal device instead of the e-mailed code.

Enrolment shows the secret as a QR code to scan (inline SVG, drawn by segno: no
script, no image request), as text and as an otpauth:// URI. It is switched on only after
the app has produced a matching code, and both switching on and off ask for
the current password, so a borrowed session cannot swap the second factor.
"""
from __future__ import annotations

from urllib.parse import quote

import pyotp
import segno
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from webapp import clock
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import credentials, service
from webapp.auth.models import User
from webapp.extensions import db
from webapp.mail import outbox

ISSUER = "Sekisho"


class AuthenticatorRefused(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def is_valid_secret(secret: object) -> bool:
    return isinstance(secret, str) and len(secret) == 32 and all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in secret)


def grouped(secret: str) -> str:
    """Blocks of four, easier to type into a phone."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    label = f"{ISSUER}:{user.login_id}"
    return f"otpauth://totp/{quote(label)}?secret={secret}&issuer={quote(ISSUER)}&digits=6&period=30"


def qr_svg(uri: str, title: str) -> Markup:
    """The setup address as a QR code, dark on a light square (readable in a dark theme too)."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="totp-qr")
    return Markup(svg)  # noqa: S704 - segno writes only paths and the escaped title


def may_use_email(user: User) -> bool:
    return not user.organisation.require_totp


def enable(user: User, secret: str, password: str, code: str, origin: Origin) -> None:
    """Switch the user to the app once its code matches the secret shown to them."""
    credentials.confirm_current_password(user, password, origin, "enable_authenticator")
    cleaned = service.clean_code(code)
    step = service.totp_step(secret, cleaned) if cleaned and is_valid_secret(secret) else None
    if step is None:
        audit.record("account.totp_enrol_failed", origin=origin, actor_id=user.id,
                     organisation_id=user.organisation_id)
        db.session.commit()
        raise AuthenticatorRefused([_(
            "The code does not match. Check that the app shows the Sekisho entry you just added and that the "
            "phone's clock is correct, then enter the current code.")])
    replaced = user.totp_secret is not None
    user.totp_secret = secret
    user.mfa_method = "totp"
    user.totp_last_counter = step  # the code just typed cannot be replayed at the next sign-in
    audit.record("account.totp_enabled", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=user.login_id, replaced=replaced)
    outbox.enqueue(user.email, _l("Sekisho: your sign-in method was changed"), "authenticator_changed",
                   user=user, enabled=True, at=clock.now_jst(), ip=origin.ip)
    db.session.commit()


def disable(user: User, password: str, origin: Origin) -> None:
    """Back to the e-mailed code, unless the organisation requires the app."""
    if not may_use_email(user):
        raise AuthenticatorRefused([_("Your organisation requires an authenticator app; it cannot be switched off.")])
    credentials.confirm_current_password(user, password, origin, "disable_authenticator")
    user.totp_secret = None
    user.mfa_method = "email"
    user.totp_last_counter = 0
    audit.record("account.totp_disabled", origin=origin, actor_id=user.id, organisation_id=user.organisation_id,
                 target=user.login_id)
    outbox.enqueue(user.email, _l("Sekisho: your sign-in method was changed"), "authenticator_changed",
                   user=user, enabled=False, at=clock.now_jst(), ip=origin.ip)
    db.session.commit()


def reset(user: User, *, actor_id: int | None, origin: Origin, reason: str = "") -> None:
    """A lost or replaced device: back to e-mailed codes, decided by someone else (an approved
    application or a system administrator). If the organisation requires the app, the person is
    sent to set up a new one right after the next e-mailed code. The caller commits."""
    user.totp_secret = None
    user.mfa_method = "email"
    user.totp_last_counter = 0
    audit.record("account.totp_reset", origin=origin, actor_id=actor_id, organisation_id=user.organisation_id,
                 target=user.login_id, reason=reason[:200])
    outbox.enqueue(user.email, _l("Sekisho: your sign-in method was changed"), "authenticator_changed",
                   user=user, enabled=False, at=clock.now_jst(), ip=origin.ip)

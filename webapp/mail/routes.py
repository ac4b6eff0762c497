"""Development-only list of the local outbox, so demo users can read their codes (with the smtp
backend, of the mail sent, whose codes and links are blanked once delivered)."""
from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webapp.extensions import db
from webapp.guard import public
from webapp.mail.models import OutboxMail


_PROXY_HEADERS = {"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"}
STATE_LABELS = {"queued": _l("waiting to be sent"), "sent": _l("sent"), "kept": _l("kept here (not sent)"),
                "failed": _l("given up"), "outdated": _l("not sent: its code could no longer be used")}


def make_blueprint() -> Blueprint:
    bp = Blueprint("mail", __name__, url_prefix="/dev")

    @bp.get("/mail")
    @public
    def outbox() -> str:
        # Every code and link of every user is on this page: never in production, and in
        # development only to the machine itself: not over the LAN (`portal serve --host
        # 0.0.0.0`), nor through a reverse proxy on the same host, whose requests come from
        # loopback too (it says so in its forwarding headers).
        if (current_app.config["PORTAL_ENV"] != "development" or not _from_this_machine(request.remote_addr)
                or _PROXY_HEADERS & set(request.headers.keys())):
            abort(404)
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50)).all()
        return render_template("mail/outbox.html", mails=mails, mail_state_labels=STATE_LABELS)

    return bp


def _from_this_machine(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False

"""Development-only list of the local outbox, so demo users can read their codes."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from webapp.extensions import db
from webapp.guard import public
from webapp.mail.models import OutboxMail


def make_blueprint() -> Blueprint:
    bp = Blueprint("mail", __name__, url_prefix="/dev")

    @bp.get("/mail")
    @public
    def outbox() -> str:
        if current_app.config["PORTAL_ENV"] != "development":
            abort(404)
        mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(50)).all()
        return render_template("mail/outbox.html", mails=mails)

    return bp

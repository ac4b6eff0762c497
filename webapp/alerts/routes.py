"""/alerts: system administrators see every alert, responsible people their organisation's."""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.alerts import service
from webapp.alerts.forms import CloseForm
from webapp.alerts.labels import KIND_LABELS, STATE_LABELS
from webapp.alerts.models import ALERT_STATES
from webapp.auth.models import User
from webapp.forms import FormErrors, problems_of, validation_problems
from webapp.guard import requires_role
from webapp.listing import page_number
from webapp.web import origin, redirect_to

SHOWN = {"active": ("open", "acknowledged"), "closed": ("closed",), "all": ALERT_STATES}


def _page(shown: str, problems: Any = (), status: int = 200, number: int = 1, sent: str = "") -> tuple[str, int]:
    """`sent`: the refused form ("close-<alert id>"), whose comment is marked."""
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return render_template("alerts/index.html", page=service.visible(user, SHOWN[shown], number), shown=shown,
                           errors=FormErrors("alert-error", problems, sent), kind_labels=KIND_LABELS,
                           state_labels=STATE_LABELS,
                           may_handle=lambda alert: service.may_handle(user, alert),
                           may_acknowledge=lambda alert: service.may_acknowledge(user, alert)), status


def _act(change: Callable[[User], object], done: str, refused_status: int,
         sent: str = "") -> BaseResponse | tuple[str, int]:
    """Apply a state change as the signed-in person: 404 for an alert they may not see, the
    page with the service's message when the change does not apply."""
    try:
        change(current_user._get_current_object())  # type: ignore[attr-defined]
    except service.NotFound:
        abort(404)
    except service.AboutThemselves as refused:
        return _page("active", problems_of(refused), 403, sent=sent)
    except service.Invalid as refused:
        return _page("active", problems_of(refused), refused_status, sent=sent)
    flash(done, "info")
    return redirect_to(url_for("alerts.index"))


def make_blueprint() -> Blueprint:
    bp = Blueprint("alerts", __name__)

    @bp.get("/alerts")
    @requires_role("sysadmin", "responsible")
    def index() -> tuple[str, int]:
        shown = request.args.get("show", "active")
        return _page(shown if shown in SHOWN else "active", number=page_number(request.args))

    @bp.post("/alerts/<int:alert_id>/acknowledge")
    @requires_role("sysadmin", "responsible")
    def acknowledge(alert_id: int) -> BaseResponse | tuple[str, int]:
        return _act(lambda user: service.acknowledge(user, alert_id, origin()), _("The alert was acknowledged."), 409)

    @bp.post("/alerts/<int:alert_id>/close")
    @requires_role("sysadmin", "responsible")
    def close(alert_id: int) -> BaseResponse | tuple[str, int]:
        form = CloseForm()
        if not form.validate():  # the CSRF token was checked before the view (CSRFProtect)
            return _page("active", validation_problems(form), 400, sent=f"close-{alert_id}")
        comment = form.comment.data or ""
        return _act(lambda user: service.close(user, alert_id, comment, origin()), _("The alert was closed."), 400,
                    f"close-{alert_id}")

    return bp

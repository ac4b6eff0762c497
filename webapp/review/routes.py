"""/reviews: responsible people see and sign their organisation's reviews; system administrators see all."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from webapp.applications.labels import USER_STATUS_LABELS
from webapp.auth.forms import first_error
from webapp.auth.models import User
from webapp.guard import requires_role
from webapp.audit.kinds import KIND_LABELS
from webapp.review import service
from webapp.review.report import DETAIL_LIMIT
from webapp.review.forms import SignOffForm
from webapp.review.labels import SHOWN_LABELS, STATE_LABELS
from webapp.review.models import AccessReview
from webapp.ui import ROLE_LABELS
from webapp.web import origin, redirect_to


def _viewer() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _show(review: AccessReview, form: SignOffForm | None = None, error: str | None = None,
          status: int = 200, comment_wrong: bool = False) -> tuple[str, int]:
    viewer = _viewer()
    return render_template(
        "review/show.html", review=review, report=service.report_of(review), state=service.state(review),
        may_sign=service.may_sign(viewer, review), form=form or SignOffForm(), error=error,
        comment_wrong=comment_wrong,
        state_labels=STATE_LABELS, role_names=ROLE_LABELS, status_labels=USER_STATUS_LABELS,
        max_comment=service.MAX_COMMENT), status


def _find(review_id: int) -> AccessReview:
    try:
        return service.find(_viewer(), review_id)
    except service.NotFound:
        abort(404)


def make_blueprint() -> Blueprint:
    bp = Blueprint("reviews", __name__)

    @bp.get("/reviews")
    @requires_role("sysadmin", "responsible")
    def index() -> str:
        shown = request.args.get("show", "open")
        shown = shown if shown in service.SHOWN else "open"
        reviews = service.visible(_viewer(), shown)
        on = service.today()
        return render_template("review/index.html", reviews=reviews, shown=shown, shown_labels=SHOWN_LABELS,
                               states={r.id: service.state(r, on) for r in reviews}, state_labels=STATE_LABELS)

    @bp.get("/reviews/<int:review_id>")
    @requires_role("sysadmin", "responsible")
    def show(review_id: int) -> tuple[str, int]:
        return _show(_find(review_id))

    @bp.get("/reviews/<int:review_id>/people/<login_id>")
    @requires_role("sysadmin", "responsible")
    def person(review_id: int, login_id: str) -> str:
        try:
            detail = service.person_detail(_viewer(), review_id, login_id, origin())
        except service.NotFound:
            abort(404)
        return render_template("review/person.html", detail=detail, kind_labels=KIND_LABELS,
                               limit=DETAIL_LIMIT)

    @bp.post("/reviews/<int:review_id>/sign")
    @requires_role("sysadmin", "responsible")
    def sign(review_id: int) -> BaseResponse | tuple[str, int]:
        review = _find(review_id)  # another organisation's review is a 404 before anything else
        form = SignOffForm()
        if not form.validate():  # the CSRF token was checked before the view (CSRFProtect)
            return _show(review, form, first_error(form), 400, comment_wrong=True)
        try:
            service.sign_off(_viewer(), review_id, form.comment.data or "", origin())
        except service.NotFound:
            abort(404)
        except service.Forbidden:
            return _show(review, form, _("Only a responsible person of the organisation can sign off its review."),
                         403)
        except service.AlreadySigned as refused:
            return _show(service.find(_viewer(), review_id), None, str(refused), 409)
        except service.Invalid as refused:
            return _show(review, form, str(refused), 400, comment_wrong=True)
        flash(_("The review was signed off."), "info")
        return redirect_to(url_for("reviews.show", review_id=review_id))

    return bp

"""Deny by default: one guard decides for every request.

Public endpoints are marked with @public. Everything else passes, in order,
the registered gates (signed in, open hours, password age, consent, ...).
A gate may exempt endpoints that must stay reachable while it refuses
(the consent page under the consent gate, logout under all of them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Callable

from flask import Flask, abort, current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

ViewFunc = Callable[..., Any]
GateCheck = Callable[[Any], BaseResponse | None]


def public(view: ViewFunc) -> ViewFunc:
    """Reachable without signing in (login, /hours, /terms, static files...)."""
    view.sekisho_public = True  # type: ignore[attr-defined]
    return view


def exempt_from(*gate_names: str) -> Callable[[ViewFunc], ViewFunc]:
    """Reachable by a signed-in user even while the named gates would refuse."""

    def mark(view: ViewFunc) -> ViewFunc:
        existing = getattr(view, "sekisho_exempt", frozenset())
        view.sekisho_exempt = frozenset(existing) | frozenset(gate_names)  # type: ignore[attr-defined]
        return view

    return mark


def record_refusal(kind: str, **details: object) -> None:
    """Audit a signed-in person refused a page or an action (ASVS V7: failed access-control
    decisions are logged): a holder of one organisation's account probing for more shows here."""
    from webapp.audit import service as audit
    from webapp.extensions import db
    from webapp.web import origin

    db.session.rollback()  # a refusal changes nothing: what the view had begun is not committed with it
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if not user.is_authenticated:
        return
    query = request.query_string.decode("utf-8", "replace")  # ?org=2: which organisation was tried
    audit.record(kind, origin=origin(), actor_id=user.id, organisation_id=user.organisation_id,
                 target=(request.path + (f"?{query}" if query else ""))[:200], method=request.method, **details)
    db.session.commit()
    g.refusal_recorded = True


def record_object_refusal(code: int) -> None:
    """A 403 or 404 from a view that exists: an object the person may not see or change (another
    organisation's application, user, alert...), which reads like an unknown ID on purpose."""
    if g.get("refusal_recorded") or request.url_rule is None or request.endpoint == "static":
        return
    record_refusal("access.object_refused" if code == 404 else "access.denied")


def requires_role(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """The signed-in user must hold one of the roles; everyone else gets 403."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(403)
            if not current_user.has_role(*roles):
                record_refusal("access.denied")
                abort(403)
            return view(*args, **kwargs)

        wrapper.sekisho_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorate


# Gates run in this order; a feature's gate takes its slot by name.
GATE_ORDER = {"signed_in": 10, "hours": 20, "password_age": 30, "consent": 40}


@dataclass
class Gate:
    name: str
    check: GateCheck


@dataclass
class Guard:
    gates: list[Gate] = field(default_factory=list)

    def add(self, name: str, check: GateCheck) -> None:
        self.gates.append(Gate(name, check))
        self.gates.sort(key=lambda g: GATE_ORDER.get(g.name, 50))


def view_for(endpoint: str | None) -> ViewFunc | None:
    if endpoint is None:
        return None
    return current_app.view_functions.get(endpoint)


def is_public(endpoint: str | None) -> bool:
    if endpoint == "static":
        return True
    view = view_for(endpoint)
    return bool(view is not None and getattr(view, "sekisho_public", False))


def install(app: Flask) -> Guard:
    guard = Guard()
    app.extensions["sekisho.guard"] = guard

    @app.before_request
    def run_gates() -> BaseResponse | None:
        if request.endpoint is None:  # 404/405 are answered by the error handlers
            return None
        if is_public(request.endpoint):
            return None
        exempt = getattr(view_for(request.endpoint), "sekisho_exempt", frozenset())
        user = current_user._get_current_object()  # type: ignore[attr-defined]  # once, not per gate and attribute
        for gate in guard.gates:
            if gate.name in exempt:
                continue
            response = gate.check(user)
            if response is not None:
                return response
        return None

    return guard


def add_gate(app: Flask, name: str, check: GateCheck) -> None:
    """Add a gate every non-public request passes (see GATE_ORDER for where it runs)."""
    app.extensions["sekisho.guard"].add(name, check)

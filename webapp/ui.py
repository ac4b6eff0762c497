"""What the base layout shows: navigation per role, banners, role labels.

Features register their entries here instead of editing base.html.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp import agents
from webapp.i18n import join_names
from webapp.clock import JST
from webapp.web import current_path


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # lazy string
    roles: frozenset[str] = frozenset()  # empty: every signed-in user
    shown_to: Callable[[Any], bool] | None = None  # a further condition on the signed-in user


@dataclass(frozen=True)
class Banner:
    kind: str
    text: str
    attrs: dict[str, str] = field(default_factory=dict)


NAV_ITEMS: list[NavItem] = [
    NavItem("main.dashboard", _l("Dashboard")),
    NavItem("auth.my_sessions", _l("My account")),
]
BANNER_PROVIDERS: list[Callable[[], Banner | None]] = []
# Shown above the login form (e.g. "closed now, opens at ..."), provided by features.
LOGIN_NOTICE_PROVIDERS: list[Callable[[], Banner | None]] = []
# Extra links on the "My account" page: (endpoint, label).
ACCOUNT_LINKS: list[tuple[str, Any]] = []

ROLE_LABELS = {
    "operator": _l("Operator"),
    "org_admin": _l("Administrator"),
    "responsible": _l("Responsible person"),
    "sysadmin": _l("System administrator"),
}


def add_nav(endpoint: str, label: Any, *roles: str, shown_to: Callable[[Any], bool] | None = None) -> None:
    if all(item.endpoint != endpoint for item in NAV_ITEMS):
        NAV_ITEMS.append(NavItem(endpoint, label, frozenset(roles), shown_to))


def format_jst(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Every time a person reads is Japan time."""
    if value is None:
        return ""
    return value.astimezone(JST).strftime(fmt)


def current_locale() -> str:
    return str(get_locale() or "ja")


def install(app: Flask) -> None:
    app.add_template_filter(format_jst, "jst")
    app.add_template_filter(agents.describe, "agent")
    app.add_template_global(current_path, "current_path")
    # A global, not a context variable: macros imported without context mark their words with it too.
    app.add_template_global(current_locale, "current_locale")

    @app.context_processor
    def layout_helpers() -> dict[str, Any]:
        def nav_items() -> list[dict[str, str]]:
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            if not user.is_authenticated:
                return []
            return [
                {"url": url_for(item.endpoint), "label": str(item.label)}
                for item in NAV_ITEMS
                if (not item.roles or user.has_role(*item.roles)) and item.endpoint in app.view_functions
                and (item.shown_to is None or item.shown_to(user))
            ]

        def banners() -> list[Banner]:
            shown = []
            for provider in BANNER_PROVIDERS:
                banner = provider()
                if banner is not None:
                    shown.append(banner)
            return shown

        def login_notices() -> list[Banner]:
            return [n for n in (provider() for provider in LOGIN_NOTICE_PROVIDERS) if n is not None]

        def account_links() -> list[dict[str, str]]:
            return [{"url": url_for(e), "label": str(label)} for e, label in ACCOUNT_LINKS if e in app.view_functions]

        def role_labels(user: Any) -> str:
            return join_names(ROLE_LABELS[r] for r in ("sysadmin", "responsible", "org_admin", "operator")
                              if r in user.role_set)

        return {
            "nav_items": nav_items,
            "banners": banners,
            "role_labels": role_labels,
            "login_notices": login_notices,
            "account_links": account_links,
        }

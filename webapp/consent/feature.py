"""Terms of use, privacy policy, consent items and the consent gate (SPEC §3)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from webapp import demo, ui
from webapp.consent.cli import terms_group
from webapp.consent.routes import make_blueprint, require_consent
from webapp.consent.texts import category_labels, kind_label
from webapp.guard import add_gate
from webapp.main.routes import DASHBOARD_PANELS

SAMPLES = Path(__file__).parent / "samples"
DASHBOARD_PANEL = "consent/_dashboard_upcoming.html"


def load_sample_documents(_accounts: Any = None) -> None:
    """Demo data: the sample documents, version 1.0, in force from today (joined to the demo transaction)."""
    from sqlalchemy import select

    from webapp import clock
    from webapp.consent import publishing
    from webapp.consent.models import DocumentVersion
    from webapp.extensions import db

    # An operator may have published their own documents before loading the demo: theirs stay,
    # and a sample of the same kind (its version "1.0" possibly taken) is left out.
    own_kinds = set(db.session.scalars(select(DocumentVersion.kind).distinct()))
    today = clock.now_jst().date().isoformat()
    samples = [
        ("terms", "terms_of_use.md", True, "制定"),
        ("privacy", "privacy_policy.md", False, "制定"),
        ("items", "consent_items.md", False, "制定"),
    ]
    for kind, filename, must_read, summary in samples:
        if kind in own_kinds:
            continue
        body = (SAMPLES / filename).read_text(encoding="utf-8")
        publishing.publish_new(publishing.DraftInput(kind, "1.0", today, summary, body, must_read),
                               notify=False, commit=False)


def _upcoming() -> list[Any]:
    if not current_user.is_authenticated:
        return []
    from webapp.consent.acceptance import upcoming_versions

    return upcoming_versions()


def init_app(app: Flask) -> None:
    app.register_blueprint(make_blueprint())
    add_gate(app, "consent", require_consent)
    app.cli.add_command(terms_group)
    app.context_processor(lambda: {"consent_upcoming": _upcoming})
    # Globals, not context: the macros in consent/_macros.html are imported without context.
    app.jinja_env.globals.update(consent_kind_label=kind_label, category_labels=category_labels)
    ui.add_nav("consent.admin_documents", _l("Terms and policies"), "sysadmin")
    ui.add_nav("consent.report_index", _l("Consent status"), "sysadmin", "responsible", "org_admin")
    if all(endpoint != "consent.history" for endpoint, _label in ui.ACCOUNT_LINKS):
        ui.ACCOUNT_LINKS.append(("consent.history", _l("My consents")))
    if DASHBOARD_PANEL not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(DASHBOARD_PANEL)
    if load_sample_documents not in demo.DEMO_LOADERS:
        demo.DEMO_LOADERS.append(load_sample_documents)

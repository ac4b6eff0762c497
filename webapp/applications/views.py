"""What the decision page shows: the before/after table of an application."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from webapp.applications.labels import FIELD_LABELS, USER_STATUS_LABELS
from webapp.applications.models import Application
from webapp.auth.models import User
from webapp.i18n import join_names
from webapp.orgs.service import email_holder
from webapp.ui import ROLE_LABELS

PROFILE = ("name", "department", "email", "emergency_phone", "roles")
STATUS_AFTER = {"remove": "closed", "suspend": "suspended", "resume": "active"}


@dataclass(frozen=True)
class Row:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _show(field: str, value: object) -> str:
    if field == "roles":
        return join_names(ROLE_LABELS.get(r, r) for r in (value or []))  # type: ignore[union-attr]
    if field == "status":
        return str(USER_STATUS_LABELS.get(str(value), value or ""))
    if field == "locked":
        return _("Locked") if value else _("Not locked")
    return str(value or "")


def before_after(application: Application) -> list[Row]:
    before, after = application.snapshot, application.proposed
    if application.kind == "add":
        return [Row(str(FIELD_LABELS[f]), "", _show(f, after.get(f))) for f in PROFILE]
    rows = [Row(str(FIELD_LABELS[f]), _show(f, before.get(f)), _show(f, after.get(f, before.get(f))))
            for f in PROFILE]
    kind = application.kind
    if kind in STATUS_AFTER:
        rows.append(Row(str(FIELD_LABELS["status"]), _show("status", before.get("status")),
                        _show("status", STATUS_AFTER[kind])))
    elif kind == "unlock":
        rows.append(Row(str(FIELD_LABELS["locked"]), _show("locked", before.get("locked")), _show("locked", False)))
    elif kind == "reissue":
        rows.append(Row(_("Password"), _("Current password"),
                        _("Stops working at once; the user sets a new one through a one-time link; "
                          "the user's sessions end")))
    return rows


def address_holder(application: Application, viewer: User) -> User | None:
    """For the system administrators only (it names another organisation's person): the open
    account that already holds the address an open application proposes (of another organisation,
    or taken since filing)."""
    email = application.proposed.get("email") if application.is_open and viewer.is_sysadmin else None
    return email_holder(email, except_user_id=application.target_user_id) if email else None

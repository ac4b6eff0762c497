from flask_babel import lazy_gettext as _l

STATE_LABELS = {"due": _l("Awaiting sign-off"), "overdue": _l("Overdue"), "signed": _l("Signed off")}
SHOWN_LABELS = {"open": _l("Not signed off"), "signed": _l("Signed off"), "all": _l("All")}

from flask_babel import lazy_gettext as _l

STATE_LABELS = {"open": _l("Open"), "acknowledged": _l("Acknowledged"), "closed": _l("Resolved")}
KIND_LABELS = {
    "login.failure_burst": _l("Failed sign-ins from one address"),
    "audit.log_altered": _l("Audit log cut or rewritten"),
    "login.failures_sustained": _l("Many failed sign-ins from one address in a day"),
    "account.dormant_suspended": _l("Dormant account suspended"),
    "account.sharing": _l("Possible account sharing"),
    "session.browser_changed": _l("Session used by another browser"),
    "login.outside_networks": _l("Sign-in from outside the allowed networks"),
    "records.bulk_export": _l("Bulk export of facility records"),
    "login.outside_country": _l("Sign-in from outside Japan"),
    "application.address_held_elsewhere": _l("Application with another organisation's address"),
}

"""Display names of kinds, states and transitions (codes are data; labels are translated)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "add": _l("Add user"),
    "change": _l("Change user"),
    "remove": _l("Remove user"),
    "suspend": _l("Suspend user"),
    "resume": _l("Resume user"),
    "unlock": _l("Unlock user"),
    "reissue": _l("Password reissue"),
}

STATE_LABELS = {
    "submitted": _l("Submitted"),
    "approved": _l("Completed"),
    "returned": _l("Returned"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}

TRANSITION_LABELS = {
    "submitted": _l("Submitted"),
    "resubmitted": _l("Resubmitted"),
    "approved": _l("Approved and executed"),
    "returned": _l("Returned for correction"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}

FIELD_LABELS = {
    "name": _l("Full name"),
    "department": _l("Department and title"),
    "email": _l("E-mail"),
    "roles": _l("Roles"),
    "emergency_phone": _l("Emergency phone"),
    "status": _l("Account status"),
    "locked": _l("Locked"),
}

USER_STATUS_LABELS = {
    "pending": _l("Awaiting activation"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "closed": _l("Closed"),
}

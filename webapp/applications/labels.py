"""Display names of kinds, states and transitions (codes are data; labels are translated)."""
from __future__ import annotations

from flask_babel import gettext as _
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
    "submitted": _l("Filed"),
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


def decision_message(state: str, application_id: int) -> str:
    """What the person who decided is told, by the application's state after the decision."""
    if state == "approved":
        return _("Application No. %(id)d has been approved and carried out.", id=application_id)
    if state == "returned":
        return _("Application No. %(id)d has been returned to the applicant for correction.", id=application_id)
    if state == "rejected":
        return _("Application No. %(id)d has been rejected; the applicant is told why.", id=application_id)
    return _("Application No. %(id)d: %(state)s.", id=application_id, state=STATE_LABELS[state])

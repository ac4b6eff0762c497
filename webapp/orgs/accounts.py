"""Users as administrators see them: scoped lookup and list, immediate suspension, direct unlock."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from webapp import clock, listing
from webapp.applications import notify, policy
from webapp.applications.queries import PAGE_SIZE, Page
from webapp.audit import service as audit
from webapp.audit.service import Origin
from webapp.auth import credentials, lookup
from webapp.auth.models import USER_STATUSES, ActivationToken, User
from webapp.auth.service import normalise_login_id
from webapp.auth.sessions import end_all_sessions
from webapp.database import change_if
from webapp.extensions import db
from webapp.forms import about
from webapp.orgs.errors import Invalid, NotFound
from webapp.orgs.models import Organisation

MAX_REASON = 2000
SAME_LINK_WITHIN = timedelta(minutes=1)


def can_see_user(viewer: User, user: User) -> bool:
    if viewer.is_sysadmin:
        return True
    return viewer.has_role("org_admin", "responsible") and user.organisation_id == viewer.organisation_id


def find_visible(viewer: User, login_id: str) -> User:
    normalised = normalise_login_id(login_id or "")
    user = None
    if normalised and len(normalised) <= 40:
        user = db.session.scalar(select(User).where(User.login_id == normalised))
    if user is None or not can_see_user(viewer, user):
        raise NotFound()
    return user


def can_suspend_now(viewer: User, user: User) -> bool:
    if viewer.id == user.id or user.status not in {"active", "pending"}:
        return False
    if viewer.is_sysadmin:
        return True
    return viewer.has_role("responsible") and viewer.organisation_id == user.organisation_id and not user.is_sysadmin


def suspend_now(actor: User, login_id: str, reason: str, origin: Origin) -> User:
    """A responsible person (or a system administrator) stops an account at once: transfer, suspected leak."""
    user = find_visible(actor, login_id)
    if not (actor.is_sysadmin or actor.has_role("responsible")):
        raise NotFound()
    if user.id == actor.id:
        raise Invalid(_l("You cannot suspend your own account."))
    if not can_suspend_now(actor, user):
        raise Invalid(_l("Only an active account can be suspended."))
    if not reason:
        raise Invalid(about("reason", _l("Give the reason for the suspension.")))
    if len(reason) > MAX_REASON:
        raise Invalid(about("reason", _l("Please enter at most %(n)d characters.", n=MAX_REASON)))
    # Two responsible people acting at once: one suspends, mails and is audited; the other is told.
    if not change_if(db.session, user, User.status.in_(("active", "pending")), status="suspended",
                     suspended_by="sysadmin" if actor.is_sysadmin else "organisation"):
        raise Invalid(_l("Only an active account can be suspended."))
    ended = end_all_sessions(user.id)
    audit.record("account.suspended_immediately", origin=origin, actor_id=actor.id,
                 organisation_id=user.organisation_id, target=user.login_id, reason=reason, ended_sessions=ended)
    notify.suspended_now(user, actor, reason, [a for a in policy.active_sysadmins() if a.id != actor.id])
    db.session.commit()
    return user


def unlock_now(actor: User, login_id: str, origin: Origin) -> User:
    """A system administrator lifts a lockout without an application (SPEC §2.4)."""
    user = find_visible(actor, login_id)
    if not actor.is_sysadmin:
        raise NotFound()
    if not user.is_locked:
        raise Invalid(_l("This account is not locked."))
    if not change_if(db.session, user, User.locked_at.is_not(None), locked_at=None, failed_logins=0):
        raise Invalid(_l("This account is not locked."))
    audit.record("account.unlocked", origin=origin, actor_id=actor.id, organisation_id=user.organisation_id,
                 target=user.login_id, by="sysadmin")
    notify.account_mail(user.email, user, notify.unlocked_headline())
    db.session.commit()
    return user


def resume_now(actor: User, login_id: str, reason: str, origin: Origin) -> User:
    """A system administrator lifts a suspension without an application: an organisation whose
    only administrator is suspended (by a sweep, a detector, its responsible person) could file
    none. A password link follows when the account has no password (see credentials.renew_link)."""
    user = find_visible(actor, login_id)
    if not actor.is_sysadmin:
        raise NotFound()
    if user.status != "suspended":
        raise Invalid(_l("Only a suspended account can be resumed."))
    if not reason:
        raise Invalid(about("reason", _l("Give the reason for resuming the account.")))
    if len(reason) > MAX_REASON:
        raise Invalid(about("reason", _l("Please enter at most %(n)d characters.", n=MAX_REASON)))
    resumed = "active" if user.password_hash else "pending"
    if not change_if(db.session, user, User.status == "suspended", status=resumed, resumed_at=clock.now(),
                     suspended_by=None):
        raise Invalid(_l("Only a suspended account can be resumed."))
    audit.record("account.resumed", origin=origin, actor_id=actor.id, organisation_id=user.organisation_id,
                 target=user.login_id, by="sysadmin", reason=reason)
    notify.account_mail(user.email, user, notify.resumed_headline(), reason)
    lookup.lock_account(user.id)
    newest = db.session.scalar(select(func.max(ActivationToken.created_at)).where(ActivationToken.user_id == user.id))
    if newest is not None and clock.now() - newest < SAME_LINK_WITHIN:
        # The button pressed twice (or by two administrators at once): each mail would void the
        # link before it, so the person would get several links of which only the last works.
        db.session.commit()
        return user
    credentials.renew_link(user, origin, actor.id)
    db.session.commit()
    return user


def send_new_link(actor: User, login_id: str, origin: Origin) -> User:
    """A system administrator mails a fresh link to set the password of an account that has none
    (its link ran out: an organisation's first administrator cannot be onboarded twice)."""
    user = find_visible(actor, login_id)
    if not actor.is_sysadmin:
        raise NotFound()
    if user.password_hash or user.status not in ("pending", "active"):
        raise Invalid(_l("Only an account waiting for its password gets a new link."))
    if not user.organisation.is_active:
        raise Invalid(_l("The organisation is suspended: a link could not be used. Resume the organisation "
                         "first; its people without a password then get a new link."))
    lookup.lock_account(user.id)
    newest = db.session.scalar(select(func.max(ActivationToken.created_at)).where(ActivationToken.user_id == user.id))
    if newest is not None and clock.now() - newest < SAME_LINK_WITHIN:
        # The button pressed twice (or by two administrators at once): each mail would void the
        # link before it, so the person would get several links of which only the last works.
        db.session.commit()
        return user
    credentials.renew_link(user, origin, actor.id)
    db.session.commit()
    return user


def set_hours_exemption(actor: User, login_id: str, exempt: bool, reason: str, origin: Origin) -> User:
    """A system administrator lets an account work outside the hours, or stops it (SPEC §2:
    system administrators by default; an on-call operator, say, too). Audited with the reason."""
    user = find_visible(actor, login_id)
    if not actor.is_sysadmin:
        raise NotFound()
    if not reason:
        raise Invalid(about("reason", _l("Give the reason for the change.")))
    if len(reason) > MAX_REASON:
        raise Invalid(about("reason", _l("Please enter at most %(n)d characters.", n=MAX_REASON)))
    if not change_if(db.session, user, User.hours_exempt.is_(not exempt), hours_exempt=exempt):
        raise Invalid(_l("The account is already so."))
    audit.record("account.hours_exemption_changed", origin=origin, actor_id=actor.id,
                 organisation_id=user.organisation_id, target=user.login_id, exempt=exempt, reason=reason)
    db.session.commit()
    return user


def needs_new_link(user: User) -> bool:
    return user.password_hash is None and user.status in ("pending", "active") and user.organisation.is_active


@dataclass
class UserFilter:
    status: str = ""
    role: str = ""
    q: str = ""
    organisation: int | None = None
    sort: str = "name"
    page: int = 1

    SORTS = {"name": User.name, "login_id": User.login_id, "status": User.status,
             "last_login": User.last_login_at, "created": User.created_at}

    @classmethod
    def from_args(cls, args: Any) -> "UserFilter":
        status, role, sort = args.get("status", ""), args.get("role", ""), args.get("sort", "name")
        return cls(
            status=status if status in USER_STATUSES or status == "locked" else "",
            role=role if role in {"operator", "org_admin", "responsible", "sysadmin"} else "",
            q=listing.search_text(args),
            organisation=listing.optional_id(args, "organisation"),
            sort=sort if sort.lstrip("-") in cls.SORTS else "name",
            page=listing.page_number(args),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for links that keep the filters (empty ones left out)."""
        values = {key: getattr(self, key) for key in ("status", "role", "q", "organisation", "sort")}
        values.update(changes)
        return listing.link_args(values, {"sort": "name", "page": 1})

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.status == "locked":
            query = query.where(User.locked_at.is_not(None))
        elif self.status:
            query = query.where(User.status == self.status)
        if self.role:
            # Roles are a space-separated word list: match whole words only.
            padded = " " + User.roles + " "
            query = query.where(padded.like(f"% {self.role} %"))
        if self.q:
            query = query.where(listing.contains_text((User.name, User.login_id, User.email, User.department), self.q))
        column = self.SORTS[self.sort.lstrip("-")]
        order = column.desc() if self.sort.startswith("-") else column.asc()
        return query.order_by(order, User.id)


def list_users(viewer: User, flt: UserFilter) -> Page[User]:
    query = select(User)
    if not viewer.is_sysadmin:
        query = query.where(User.organisation_id == viewer.organisation_id)
    elif flt.organisation is not None:
        query = query.where(User.organisation_id == flt.organisation)
    query = flt.apply(query)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = db.session.scalars(query.limit(PAGE_SIZE).offset((flt.page - 1) * PAGE_SIZE)).unique().all()
    return Page(items, total, flt.page)


def organisations_with_counts() -> list[tuple[Organisation, int]]:
    counts = dict(db.session.execute(
        select(User.organisation_id, func.count()).where(User.status != "closed").group_by(User.organisation_id)).all())
    return [(org, counts.get(org.id, 0))
            for org in db.session.scalars(select(Organisation).order_by(Organisation.category, Organisation.name))]

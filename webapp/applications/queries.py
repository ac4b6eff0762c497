"""Reading applications: scoped lists with filters, sorting and pages; the dashboard's counts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Sequence, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from webapp import listing
from webapp.applications.models import KINDS, STATES, Application, ApplicationEvent
from webapp.auth.models import User
from webapp.extensions import db

PAGE_SIZE = 20
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The row number of the page's first item (1-based), 0 on an empty page."""
        return (self.page - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.size + len(self.items)


@dataclass
class ApplicationFilter:
    state: str = ""
    kind: str = ""
    q: str = ""
    organisation: int | None = None
    sort: str = "-submitted"
    page: int = 1

    SORTS = {
        "submitted": Application.submitted_at, "kind": Application.kind, "state": Application.state,
        "subject": Application.subject_name, "id": Application.id,
    }

    @classmethod
    def from_args(cls, args: Any) -> "ApplicationFilter":
        """Unknown values fall back to the defaults: a tampered query string shows the plain list."""
        state = args.get("state", "")
        kind = args.get("kind", "")
        sort = args.get("sort", "-submitted")
        return cls(
            state=state if state in STATES or state == "open" else "",
            kind=kind if kind in KINDS else "",
            q=listing.search_text(args),
            organisation=listing.optional_id(args, "organisation"),
            sort=sort if sort.lstrip("-") in cls.SORTS else "-submitted",
            page=listing.page_number(args),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for links that keep the filters (empty ones left out)."""
        values = {key: getattr(self, key) for key in ("state", "kind", "q", "organisation", "sort")}
        values.update(changes)
        return listing.link_args(values, {"sort": "-submitted", "page": 1})

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.state == "open":
            query = query.where(Application.state.in_(("submitted", "returned")))
        elif self.state:
            query = query.where(Application.state == self.state)
        if self.kind:
            query = query.where(Application.kind == self.kind)
        if self.q:
            target = aliased(User)
            query = query.outerjoin(target, Application.target_user_id == target.id).where(listing.contains_text(
                (Application.subject_name, Application.subject_email, Application.note, target.login_id), self.q))
        column = self.SORTS[self.sort.lstrip("-")]
        order = column.desc() if self.sort.startswith("-") else column.asc()
        return query.order_by(order, Application.id.desc())


def scoped(viewer: User, organisation: int | None = None) -> Select[Any]:
    query = select(Application)
    if not viewer.is_sysadmin:
        return query.where(Application.organisation_id == viewer.organisation_id)
    if organisation is not None:
        query = query.where(Application.organisation_id == organisation)
    return query


def list_applications(viewer: User, flt: ApplicationFilter) -> Page[Application]:
    query = flt.apply(scoped(viewer, flt.organisation))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = db.session.scalars(query.limit(PAGE_SIZE).offset((flt.page - 1) * PAGE_SIZE)).unique().all()
    return Page(items, total, flt.page)


def awaiting_decision(viewer: User) -> Select[Any]:
    """Submitted applications this person is the one to decide."""
    query = select(Application).where(
        Application.state == "submitted", Application.applicant_id != viewer.id,
        or_(Application.target_user_id.is_(None), Application.target_user_id != viewer.id))
    if viewer.is_sysadmin:
        return query.where(Application.requires_sysadmin.is_(True))
    return query.where(Application.organisation_id == viewer.organisation_id,
                       Application.requires_sysadmin.is_(False))


def dashboard_counts(viewer: User) -> dict[str, int]:
    counts = {"awaiting": 0, "returned": 0, "open_mine": 0}
    if viewer.is_sysadmin or viewer.has_role("responsible"):
        query = awaiting_decision(viewer)
        counts["awaiting"] = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if viewer.has_role("org_admin"):
        mine = select(Application.state, func.count()).where(
            Application.applicant_id == viewer.id, Application.state.in_(("submitted", "returned"))
        ).group_by(Application.state)
        for state, number in db.session.execute(mine):
            counts["returned" if state == "returned" else "open_mine"] += number
    return counts


def timeline(application: Application) -> Sequence[ApplicationEvent]:
    return db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == application.id)
                              .order_by(ApplicationEvent.id)).all()


def for_user(user: User, limit: int = 20) -> Sequence[Application]:
    return db.session.scalars(select(Application).where(Application.target_user_id == user.id)
                              .order_by(Application.id.desc()).limit(limit)).all()

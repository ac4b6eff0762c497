"""Detectors that watch the sign-in (SPEC §7); the failure-burst one lives in auth.ratelimit."""
from __future__ import annotations

import ipaddress
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from iptocc import country_code
from sqlalchemy import bindparam, select

from webapp import agents, clock
from webapp.alerts import service as alerts
from webapp.audit.service import Origin
from webapp.auth.models import ServerSession, User
from webapp.extensions import db
from webapp.orgs import networks

# Runs at every completed sign-in: built once.
_OTHER_LIVE_SESSIONS = select(ServerSession.ip, ServerSession.user_agent).where(
    ServerSession.user_id == bindparam("user_id"),
    ServerSession.authenticated_at.is_not(None),
    ServerSession.id != bindparam("session_id"),
    ServerSession.last_seen_at >= bindparam("since"),
)


def account_sharing(user: User, session_id: str, origin: Origin) -> None:
    """Another live session of this account from another address or browser: possibly shared."""
    if not current_app.config["PORTAL_DETECT_ACCOUNT_SHARING"]:
        return
    since = clock.now() - timedelta(minutes=current_app.config["PORTAL_SESSION_IDLE_MINUTES"])
    others = db.session.execute(_OTHER_LIVE_SESSIONS, {"user_id": user.id, "session_id": session_id,
                                                       "since": since}).all()
    elsewhere = [o for o in others if o.ip != origin.ip[:64] or o.user_agent != origin.user_agent[:300]]
    if not elsewhere:
        return
    other = elsewhere[0]
    if other.ip == origin.ip[:64]:
        summary = _l("%(name)s (%(login_id)s) signed in from %(ip)s in another browser while a session of the "
                     "account in a different browser from the same address was still active.",
                     name=user.name, login_id=user.login_id, ip=origin.ip[:64] or "?")
    else:
        summary = _l("%(name)s (%(login_id)s) signed in from %(ip)s while a session from another address, "
                     "%(other_ip)s, was still active.",
                     name=user.name, login_id=user.login_id, ip=origin.ip[:64] or "?", other_ip=other.ip or "?")
    alerts.raise_alert("account.sharing", alerts.in_both_languages(summary),
        organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin, other_sessions=len(elsewhere))


def outside_allowed_networks(user: User, _session_id: str, origin: Origin) -> None:
    """A sign-in from outside the networks the organisation registered (its password step, then
    its completion: the alert is raised once)."""
    organisation = user.organisation
    if networks.allows(organisation.allowed_networks, origin.ip):
        return
    alerts.raise_alert("login.outside_networks", alerts.in_both_languages(_l(
        "The right password for %(name)s (%(login_id)s) was entered from %(ip)s, outside the networks registered "
        "for %(organisation)s.",
        name=user.name, login_id=user.login_id, ip=origin.ip[:64] or "?", organisation=organisation.name)),
        organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin)


def outside_allowed_countries(user: User, _session_id: str, origin: Origin) -> None:
    """A sign-in (its password step, then its completion) from a public address registered outside
    Japan (PORTAL_ALLOWED_COUNTRIES), by the
    Regional Internet Registries' allocations that the iptocc package ships (no network lookup)."""
    allowed = {c.strip().upper() for c in current_app.config["PORTAL_ALLOWED_COUNTRIES"].split(",") if c.strip()}
    try:
        address = ipaddress.ip_address(origin.ip)
    except ValueError:
        return
    if not allowed or not address.is_global:  # private, loopback and documentation ranges have no country
        return
    country = country_code(str(address)) or "?"
    if country in allowed:
        return
    alerts.raise_alert("login.outside_country", alerts.in_both_languages(_l(
        "The right password for %(name)s (%(login_id)s) was entered from %(ip)s, an address registered in "
        "%(country)s, outside the allowed countries.", name=user.name, login_id=user.login_id, ip=str(address), country=country)),
        organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin, country=country)


def session_used_elsewhere(user_id: int, origin: Origin) -> None:
    """A signed-in session's cookie sent by another browser: copied or stolen (the session ends)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    alerts.raise_alert("session.browser_changed", alerts.in_both_languages(_l(
        "A session of %(name)s (%(login_id)s) was used from %(ip)s by another kind of browser (%(browser)s) than "
        "the one that signed in; the session was ended.", name=user.name, login_id=user.login_id,
        ip=origin.ip[:64] or "?", browser=agents.browser_of(origin.user_agent) or "?")),
        organisation_id=user.organisation_id, user_id=user.id, ip=origin.ip, origin=origin,
        browser=origin.user_agent)

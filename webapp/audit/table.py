"""The rows of the audit log page, written in one pass (as the facility records' table is).

A page is 50 entries of eight cells with links, titles and times; through the template that
was a quarter of the request. Every value from the log is escaped here.
"""
from __future__ import annotations

from html import escape
from typing import Sequence

from markupsafe import Markup

from webapp.audit.kinds import label
from webapp.audit.queries import AuditRow
from webapp.ui import format_jst

AGENT_SHOWN = 24  # characters of the user agent in the cell; the whole one in its title


def _agent(agent: str) -> str:
    if not agent:
        return ""
    shown = agent if len(agent) <= AGENT_SHOWN else agent[:AGENT_SHOWN - 1] + "…"
    return f'<small title="{escape(agent)}">{escape(shown)}</small>'


def _code(text: str) -> str:
    return f'<code class="wrap">{escape(text)}</code>' if text else ""


def _kind(kind: str) -> str:
    words = label(kind)
    code = f"<code>{escape(kind)}</code>"
    return f"{escape(words)}<br><small>{code}</small>" if words else code


def _row(e: AuditRow) -> str:
    actor = f"{escape(e.actor_name)} <small>({escape(e.actor_login_id)})</small>" if e.actor_login_id else ""
    details = _code(e.details) if e.details != "{}" else ""
    return (f'<tr data-entry-id="{e.id}">'
            f'<td><time datetime="{e.at.isoformat()}">{format_jst(e.at, "%Y-%m-%d %H:%M:%S")}</time></td>'
            f"<td>{_kind(e.kind)}</td><td>{actor}</td><td>{escape(e.organisation_name)}</td>"
            f"<td>{escape(e.ip)}</td><td>{_agent(e.user_agent)}</td>"
            f'<td>{_code(e.target)}</td><td>{details}</td></tr>\n')


def rows_html(rows: Sequence[AuditRow]) -> Markup:
    return Markup("".join(_row(e) for e in rows))  # noqa: S704 - every value is escaped in _row

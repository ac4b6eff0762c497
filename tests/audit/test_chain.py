"""The log cannot be changed unnoticed (SPEC §7: append-only, hash-chained, a command that names
the first broken entry). Found by a monitoring review: the database accepted UPDATE and DELETE,
and cutting the newest entries or rewriting the chain from one entry on passed `audit verify`."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from webapp.alerts.models import Alert
from webapp.audit import service as audit
from webapp.audit.models import AuditEvent
from webapp.audit.service import _digest
from webapp.extensions import db


def _write_entries(count: int) -> None:
    for n in range(count):
        audit.record("notice.posted", target=f"お知らせ{n}", title=f"第{n}報")
    db.session.commit()


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _as_the_database_owner(statements: list[tuple[str, dict]]) -> None:
    """What someone with the schema owner's rights can do: drop the triggers, then change rows."""
    db.session.rollback()
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
        for statement, values in statements:
            connection.execute(text(statement), values)


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET target = 'nothing happened' WHERE id = 2",
                                       "DELETE FROM audit_events WHERE id = 2"])
def test_the_database_itself_refuses_to_change_or_remove_an_entry(app, statement):
    _write_entries(3)
    db.session.rollback()
    with pytest.raises(Exception, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(statement))
    assert _verify(app).exit_code == 0


def test_an_edited_entry_is_named(app):
    _write_entries(5)
    _as_the_database_owner([("UPDATE audit_events SET target = 'nothing happened' WHERE id = 3", {})])
    result = _verify(app)
    assert result.exit_code == 1 and "broken: entry 3" in result.output


def test_entries_cut_from_the_end_are_noticed(app):
    _write_entries(6)
    assert "ok: 6 entries" in _verify(app).output  # the head (entry 6) is recorded outside the database
    _as_the_database_owner([("DELETE FROM audit_events WHERE id > 3", {})])
    result = _verify(app)
    assert result.exit_code == 1 and "ends before entry 6" in result.output


def test_a_chain_rewritten_and_hashed_anew_is_noticed(app):
    _write_entries(6)
    assert _verify(app).exit_code == 0
    columns = ("id", "at", "kind", "actor_id", "organisation_id", "ip", "user_agent", "target", "details")
    rows = [SimpleNamespace(**{c: getattr(e, c) for c in columns})
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    prev, changes = "0" * 64, []
    for entry in rows:
        if entry.id == 2:
            entry.target = "書き換えた内容"
        digest = _digest(prev, entry)
        changes.append(("UPDATE audit_events SET target = :target, prev_hash = :prev, hash = :hash WHERE id = :id",
                        {"target": entry.target, "prev": prev, "hash": digest, "id": entry.id}))
        prev = digest
    _as_the_database_owner(changes)
    result = _verify(app)
    assert result.exit_code == 1 and "entry 6 is not the one recorded" in result.output


def test_the_scheduler_raises_an_alert_when_the_recorded_entry_is_gone(app, world, smtp):
    from pathlib import Path

    from webapp import scheduler
    from webapp.audit.watch import watch_anchor

    assert "audit-anchor" in [name for name, _job in scheduler.JOBS]
    _write_entries(3)
    watch_anchor(app)  # records the head
    assert (Path(app.instance_path) / "audit-anchor.json").is_file()
    _as_the_database_owner([("DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)", {})])
    smtp.clear()
    watch_anchor(app)  # its next run (the scheduler runs it every five minutes)
    outbox_flush = app.test_cli_runner().invoke(args=["mail", "flush"])
    assert outbox_flush.exit_code == 0
    db.session.rollback()
    [alert] = [a for a in db.session.query(Alert) if a.kind == "audit.log_altered"]
    assert "改ざん" in alert.summary
    assert "監査ログ" in smtp.last_to(world.sysadmin.email).text


def test_an_anchor_of_another_log_is_named_as_such(app, tmp_path):
    """Found by review: after restoring an older backup (or another database under the same
    instance folder) the anchor was taken for a cut log, and the scheduler alerted again and again."""
    import json
    from pathlib import Path

    from webapp.audit.watch import watch_anchor

    _write_entries(3)
    assert _verify(app).exit_code == 0
    anchor_file = Path(app.instance_path) / "audit-anchor.json"
    assert oct(anchor_file.stat().st_mode & 0o777) == "0o644"  # readable by the portal whoever verified
    stored = json.loads(anchor_file.read_text())
    anchor_file.write_text(json.dumps({**stored, "first_hash": "f" * 64}))  # another log's
    result = _verify(app)
    assert result.exit_code == 1 and "names another first entry" in result.output and "restored" in result.output
    # A restore and a log rewritten from its first entry look the same: alerted (once), never silent
    # (found by review: deleting entry 1 as well silenced the alert).
    watch_anchor(app)
    watch_anchor(app)
    db.session.rollback()
    assert [a.kind for a in db.session.query(Alert)] == ["audit.log_altered"]
    anchor_file.unlink()  # the operator's step after a restore
    assert _verify(app).exit_code == 0


def test_the_same_damage_is_alerted_once(app, world, smtp):
    from webapp.audit.watch import watch_anchor

    _write_entries(3)
    watch_anchor(app)
    _as_the_database_owner([("DELETE FROM audit_events WHERE id = (SELECT MAX(id) FROM audit_events)", {})])
    watch_anchor(app)
    db.session.rollback()
    [alert] = [a for a in db.session.query(Alert) if a.kind == "audit.log_altered"]
    alert.state = "closed"  # handled: compared with a backup
    db.session.commit()
    watch_anchor(app)  # five minutes later: the anchor still shows the same damage
    db.session.rollback()
    assert len([a for a in db.session.query(Alert) if a.kind == "audit.log_altered"]) == 1

"""`portal backup PATH` (SPEC §9, §10): an online copy an operator can restore from."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.auth.steps import is_signed_in, sign_in_with_code
from webapp.audit.models import AuditEvent
from webapp.extensions import db


def _backup(app, path):
    return app.test_cli_runner().invoke(args=["backup", str(path)])


def _on_sqlite(app) -> bool:
    return app.config["PORTAL_DATABASE_URL"].startswith("sqlite")


def test_a_backup_taken_while_serving_restores_to_a_working_portal(app, world, smtp, make_app, tmp_path):
    if not _on_sqlite(app):
        pytest.skip("restoring a pg_dump file needs pg_restore; the dump itself is checked below")
    signed_in = app.test_client()
    sign_in_with_code(signed_in, smtp, world.grid_operator)  # the portal is in use meanwhile
    copy = tmp_path / "backups" / "sekisho-2026-11-29.db"
    copy.parent.mkdir()
    result = _backup(app, copy)
    assert result.exit_code == 0, result.output
    assert f"backup written: {copy}" in result.output
    assert copy.stat().st_mode & 0o077 == 0, "a backup holds password hashes: only its owner may read it"

    restored = make_app(PORTAL_DATABASE_URL=f"sqlite:///{copy}")
    with restored.app_context():
        client = restored.test_client()
        sign_in_with_code(client, smtp, world.grid_operator)
        assert is_signed_in(client)
        verified = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and "chain intact" in verified.output


def test_a_postgresql_backup_is_a_pg_dump_archive(app, world, tmp_path):
    if _on_sqlite(app) or shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL with its client tools only")
    copy = tmp_path / "sekisho.dump"
    result = _backup(app, copy)
    assert result.exit_code == 0, result.output
    assert copy.read_bytes()[:5] == b"PGDMP"


def test_a_backup_never_overwrites_a_file(app, world, tmp_path):
    existing = tmp_path / "important.db"
    existing.write_bytes(b"an earlier backup")
    result = _backup(app, existing)
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert existing.read_bytes() == b"an earlier backup"


def test_a_missing_directory_is_named_and_nothing_is_left_behind(app, world, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    result = _backup(app, backups / "no-such-dir" / "copy.db")
    assert result.exit_code == 2
    assert "no-such-dir" in result.output and "does not exist" in result.output
    assert list(backups.iterdir()) == []


@pytest.mark.parametrize("typed, said", [("new/", "new/ names a directory: add the backup file's name"),
                                          ("", "no PATH given: name the backup file")])
def test_a_path_that_names_no_file_is_refused_and_nothing_is_written(app, world, tmp_path, monkeypatch, typed, said):
    """Found by a contract check: `portal backup DIR/` wrote a file named DIR, and an empty PATH
    was refused as ". already exists"."""
    backups = tmp_path / "backups"
    backups.mkdir()
    monkeypatch.chdir(backups)
    result = _backup(app, typed)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert list(backups.iterdir()) == []


def test_a_directory_that_cannot_be_written_is_one_line(app, world):
    """Found by an operator trial: a traceback from the temporary file's creation."""
    result = _backup(app, Path("/proc/sekisho-backup.db"))
    assert result.exit_code == 2, result.output
    assert "cannot write in /proc" in result.output and "Traceback" not in result.output


def test_every_backup_is_audited(app, world, tmp_path, monkeypatch):
    """The entry names the file where it is, not as typed: a relative path means nothing later."""
    (tmp_path / "backups").mkdir()
    monkeypatch.chdir(tmp_path / "backups")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "backup.created"))
    assert _backup(app, "../copy").exit_code == 0
    entries = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "backup.created")).all()
    assert len(entries) == before + 1
    assert entries[-1].target == str((tmp_path / "copy").resolve())


def test_a_failed_copy_leaves_no_partial_file(app, tmp_path):
    from webapp.backup.service import BackupError, backup_to

    backups = tmp_path / "backups"
    backups.mkdir()
    with pytest.raises(BackupError, match="does not exist"):
        backup_to(backups / "copy.db", f"sqlite:///{tmp_path / 'gone' / 'sekisho.db'}")
    assert list(backups.iterdir()) == []


def test_the_leftovers_of_a_killed_backup_are_removed_by_the_next_one(app, world, tmp_path):
    """A fault review: `kill -9` on a backup left its hidden 162 MB partial file and journal, and no
    later backup removed them: repeated, they fill the disk unnoticed."""
    import subprocess

    backups = tmp_path / "backups"
    backups.mkdir()
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process id that no longer runs, as the killed backup's
    killed = backups / f".nightly.db.pid{gone.pid}.x1y2.partial"
    killed.write_bytes(b"half a copy")
    Path(f"{killed}-journal").write_bytes(b"its journal")
    running = backups / f".other.db.pid{os.getpid()}.z3w4.partial"  # a backup still being written
    running.write_bytes(b"in progress")

    result = _backup(app, backups / "nightly.db")
    assert result.exit_code == 0, result.output
    assert not killed.exists() and not Path(f"{killed}-journal").exists()
    assert running.exists(), "another backup's file is left alone while it runs"
    assert f"removed {killed}: left by an interrupted backup" in result.stderr
    assert sorted(p.name for p in backups.iterdir()) == sorted(["nightly.db", running.name])


def test_verify_after_restoring_an_older_backup_says_what_to_do(app, world, make_app, tmp_path):
    """Found by an operator trial: restored as the README said, `audit verify` called the older log
    a cut one, and the README promised a message that could not come (same log, same first entry)."""
    if not _on_sqlite(app):
        pytest.skip("restoring a pg_dump file needs pg_restore")
    from pathlib import Path as _Path

    from webapp.audit import service as audit

    copy = tmp_path / "older.db"
    assert _backup(app, copy).exit_code == 0
    for n in range(3):
        audit.record("notice.posted", target=f"お知らせ{n}")
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0  # the anchor moves on
    restored = make_app(PORTAL_DATABASE_URL=f"sqlite:///{copy}", INSTANCE_PATH=app.instance_path)
    with restored.app_context():
        told = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert told.exit_code == 1
        anchor_file = _Path(restored.instance_path) / "audit-anchor.json"
        assert f"unless an older backup was restored on purpose: then remove {anchor_file} and" in told.output
        anchor_file.unlink()  # the README's restore step
        again = restored.test_cli_runner().invoke(args=["audit", "verify"])
        assert again.exit_code == 0 and "chain intact" in again.output


def test_a_full_disk_is_one_line_and_leaves_nothing_behind(tmp_path):
    """An operator trial: a traceback, and a `-journal` file beside the target, when the copy did
    not fit (here a file size limit stands in for the full disk)."""
    import resource
    import subprocess

    from tests.support.served import PORTAL, ROOT, portal, portal_env

    if not portal_env(tmp_path / "x.db")["PORTAL_DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a SQLite copy")
    env = portal_env(tmp_path / "sekisho.db")
    assert portal(env, "init").returncode == 0
    assert portal(env, "demo").returncode == 0
    assert (tmp_path / "sekisho.db").stat().st_size > 300_000
    backups = tmp_path / "backups"
    backups.mkdir()

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    result = subprocess.run([PORTAL, "backup", str(backups / "copy.db")], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120, preexec_fn=small_files)
    assert result.returncode == 2, result.stderr
    assert "the copy could not be written" in result.stderr and "Traceback" not in result.stderr
    assert list(backups.iterdir()) == []


def test_the_database_password_is_not_on_pg_dumps_command_line(app, tmp_path, monkeypatch):
    """An operator trial: `ps` showed postgresql://user:password@... while a backup ran. A stand-in
    pg_dump on PATH writes down what it was given."""
    from webapp.backup.service import backup_to

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "seen"
    stand_in = bin_dir / "pg_dump"
    stand_in.write_text('#!/bin/sh\necho "$@" > "%s.args"\necho "$PGPASSWORD" > "%s.env"\n'
                        'for a in "$@"; do case "$a" in --file=*) echo dump > "${a#--file=}";; esac; done\n'
                        % (seen, seen))
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    backup_to(tmp_path / "copy.dump", "postgresql+psycopg://sekisho:S3cretPw@db.example:5432/sekisho")
    args = Path(f"{seen}.args").read_text()
    assert "S3cretPw" not in args and "postgresql://sekisho@db.example:5432/sekisho" in args
    assert Path(f"{seen}.env").read_text().strip() == "S3cretPw"
    # Written as a query parameter, as libpq also takes it (a review)
    backup_to(tmp_path / "copy2.dump", "postgresql+psycopg://sekisho@db.example/sekisho?password=p%40ss+w")
    args = Path(f"{seen}.args").read_text()
    assert args.split()[-1] == "postgresql://sekisho@db.example/sekisho"
    assert Path(f"{seen}.env").read_text().strip() == "p@ss w"

"""Online backup (SPEC §9): a consistent copy while the portal keeps serving.

SQLite: the library's online backup API copies a single snapshot page by page,
WAL included, without stopping writers. PostgreSQL: `pg_dump` in its custom
format (restore with `pg_restore`). Either way the copy is written beside the
target and renamed into place only when complete, so a crash or a full disk
never leaves a half-written file under the name an operator will restore from.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import make_url

from webapp.audit import service as audit
from webapp.extensions import db


class BackupError(Exception):
    """Why no backup was written; the message is for the operator."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    kind: str  # "sqlite" or "pg_dump"
    leftovers_removed: tuple[Path, ...] = ()


def backup_to(target: str | os.PathLike[str], database_url: str) -> Backup:
    typed = os.fspath(target)
    # Path() drops a trailing slash: "backups/" became a file named "backups", and "" the folder ".".
    if not typed.strip():
        raise BackupError("no PATH given: name the backup file, e.g. backups/sekisho.db")
    if typed.endswith(("/", os.sep)):
        raise BackupError(f"{typed} names a directory: add the backup file's name, e.g. {typed}sekisho.db")
    path = Path(typed).expanduser()
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name (a backup never overwrites)")
    if not path.parent.is_dir():
        raise BackupError(f"directory {path.parent} does not exist")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = url.database
        if not source or source == ":memory:":
            raise BackupError("the database is in memory: there is nothing on disk to back up")
        backup = _write_atomically(path, lambda partial: _sqlite_copy(Path(source), partial), "sqlite")
    elif url.get_backend_name() == "postgresql":
        backup = _write_atomically(path, lambda partial: _pg_dump(database_url, partial), "pg_dump")
    else:
        raise BackupError(f"no backup method for {url.get_backend_name()} databases")
    # Absolute and resolved: a path relative to wherever the command was run means nothing later.
    audit.record("backup.created", target=str(backup.path.resolve()), size=backup.size, method=backup.kind)
    db.session.commit()
    return backup


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another account's process
        return True
    return True


def _remove_leftovers(directory: Path) -> tuple[Path, ...]:
    """The partial files of backups that were killed (kill -9, a power cut) stay hidden beside the
    targets: repeated, they fill the disk unnoticed. Each names the process that wrote it; one whose
    process is gone is removed, one of a backup still running is left alone."""
    removed = []
    for leftover in directory.glob(".*.partial"):
        parts = leftover.name.split(".")
        writer = parts[-3] if len(parts) >= 5 else ""
        if not writer.startswith("pid") or not writer[3:].isdigit() or _process_alive(int(writer[3:])):
            continue
        for stale in (leftover, Path(f"{leftover}-journal")):
            try:
                stale.unlink()
            except FileNotFoundError:
                continue
            except OSError:
                break
            removed.append(stale)
    return tuple(removed)


def _write_atomically(path: Path, write: Callable[[Path], None], kind: str) -> Backup:
    removed = _remove_leftovers(path.parent)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.pid{os.getpid()}.", suffix=".partial", dir=path.parent)
    except OSError as refused:  # read-only, not writable by this account, a pseudo file system
        raise BackupError(f"cannot write in {path.parent}: {refused.strerror or refused}") from None
    os.close(handle)
    partial = Path(name)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=path, size=path.stat().st_size, kind=kind, leftovers_removed=removed)


def _sqlite_copy(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(f"database file {source} does not exist; run `portal init` first")
    try:
        with closing(sqlite3.connect(source, timeout=15)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)
            # The copy is a plain database, readable without the WAL file beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
            verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as failed:  # the disk is full, a file size limit...
        raise BackupError(f"the copy could not be written: {failed}") from None
    finally:
        Path(f"{partial}-journal").unlink(missing_ok=True)
    if verdict != "ok":
        raise BackupError(f"the copy failed SQLite's integrity check: {verdict}")


def _pg_dump(database_url: str, partial: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not installed (PostgreSQL client tools, e.g. Debian's postgresql-client)")
    url = make_url(database_url).set(drivername="postgresql")
    # The password goes in pg_dump's environment: on its command line every local account would
    # read it in the process list (written as the URL's password or as ?password=).
    password = url.password or url.query.get("password")
    env = {**os.environ, "PGPASSWORD": str(password)} if password else None
    bare = url._replace(password=None).difference_update_query(["password"])
    result = subprocess.run(
        [program, "--format=custom", "--no-owner", f"--file={partial}",
         bare.render_as_string(hide_password=False)],
        capture_output=True, text=True, timeout=3600, env=env,
    )
    if result.returncode != 0:
        raise BackupError("pg_dump failed: " + (result.stderr.strip().splitlines() or ["no message"])[-1])

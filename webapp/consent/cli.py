"""`portal terms ...`: publish and list document versions from scripts."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from webapp.consent.documents import ITEMS_FORMAT_HELP, DocumentError
from webapp.consent.models import KINDS

MAX_FILE_BYTES = 1024 * 1024


@click.group("terms")
def terms_group() -> None:
    """Terms of use, privacy policy and consent items."""


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _read(path: str) -> str:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            _fail(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        return file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    return ""  # unreachable: _fail exits


# "\b" keeps click from re-wrapping each paragraph of the format description.
_EPILOG = "\n\n".join("\b\n" + paragraph for paragraph in ITEMS_FORMAT_HELP.strip().split("\n\n"))


@terms_group.command("publish", epilog=_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kind", required=True, type=click.Choice(KINDS), help="Which document FILE is.")
@click.option("--version", "version", required=True, help="Version number, e.g. 3.2 (higher than every published one).")
@click.option("--effective", required=True, help="Japan date it takes effect (from 00:00 JST), YYYY-MM-DD, not in the past.")
@click.option("--summary", required=True, help="Revision-history summary of what changed (改版履歴).")
@click.option("--require-scroll", is_flag=True, help="Users must scroll to the end of the text before ticking its boxes.")
@with_appcontext
def publish_command(file: str, kind: str, version: str, effective: str, summary: str, require_scroll: bool) -> None:
    """Publish FILE (UTF-8 Markdown; for --kind items the format below) as a new version.

    Every active user is mailed the summary, the effective date and a link to
    the comparison with the previous version (queued in the outbox; the
    scheduler or `portal mail flush` delivers). On any error nothing is stored.
    """
    from webapp.consent import publishing
    from webapp.consent.texts import document_error
    from webapp.mail.links import assumed_base_note

    text = _read(file)
    data = publishing.DraftInput(kind=kind, version=version, effective_on=effective, summary=summary,
                                 body=text, must_read_to_end=require_scroll)
    try:
        result = publishing.publish_new(data)
    except DocumentError as error:
        with force_locale("en"):
            _fail(document_error(error.code, error.details))
        return
    row = result.version
    click.echo(f"published {row.kind} {row.version} effective {row.effective_on.isoformat()} (00:00 JST); "
               f"notice queued for {result.mails_queued} active users")
    note = assumed_base_note("the links in the queued notices lead to") if result.mails_queued else None
    if note:
        click.echo(note, err=True)


@terms_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every version: kind, version, state, effective date, summary."""
    from sqlalchemy import select

    from webapp.consent.models import DocumentVersion
    from webapp.extensions import db

    rows = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.kind, DocumentVersion.effective_at,
                                                               DocumentVersion.id)).all()
    for row in rows:
        first_line = row.summary.split("\n", 1)[0]
        click.echo(f"{row.kind:<8} {row.version:<8} {row.state:<10} {row.effective_on.isoformat()}  {first_line}")

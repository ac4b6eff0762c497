"""The `portal` command (also `flask --app wsgi ...`): thin over the services."""
from __future__ import annotations

import functools
import json
import logging
import os
import sys
import warnings
from typing import Any, Callable, Iterator, NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

from webapp.database import is_busy


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the database, or migrate it to the current schema."""
    from webapp import migrate

    try:
        _refuse_unwritable()
        migrate.upgrade()
    except migrate.NewerSchema as newer:  # Alembic's "Can't locate revision" traceback otherwise
        click.echo(f"portal: {newer.explanation()}", err=True)
        sys.exit(1)
    except DBAPIError as unusable:  # unreachable, or a file that is no database; as `portal` says it
        _database_unusable(unusable)
    click.echo("database ready: " + current_app.config["PORTAL_DATABASE_URL"].split("@")[-1])
    _warn_doubts()


def _warn_doubts() -> None:
    from webapp.config import doubts, is_development
    from webapp.consent.acceptance import kinds_not_in_force
    from webapp.extensions import db
    from webapp.hours.cli import profile_doubts

    production = not is_development(current_app.config)
    found = doubts(current_app.config)
    try:
        # The admin screen's choice of hours lives in the database, so it is weighed here.
        found += profile_doubts(production)
        missing = kinds_not_in_force() if production else []
    finally:
        # On SQLite every transaction holds the write lock: one left open in the command's
        # context would keep every request of `portal serve` waiting for it.
        db.session.close()
    for doubt in found:
        click.echo(f"warning: {doubt}", err=True)
    if missing:
        documents = {"terms": "terms of use", "privacy": "privacy policy", "items": "consent items"}
        names = ", ".join(documents[kind] for kind in missing)
        click.echo(f"warning: not in force: {names}. Until they are, signed-in users reach the data without "
                   "the consent gate; publish them with `portal terms publish`", err=True)


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print the demo accounts as JSON.")
@with_appcontext
def demo_command(as_json: bool) -> None:
    """Load demo data when the database has none; print the demo accounts."""
    from webapp import demo

    if demo.is_loaded():
        already = "Demo data is already loaded; its passwords were shown when it was loaded."
        if as_json:  # standard output stays JSON for scripts; the reason for the empty list goes beside it
            click.echo("[]")
            click.echo(f"note: {already}", err=True)
        else:
            click.echo(already)
        return
    accounts = demo.load()
    if as_json:
        click.echo(json.dumps(demo.as_dicts(accounts), ensure_ascii=False, indent=2))
        return
    click.echo("Demo accounts (passwords are generated now and shown only once):")
    click.echo(f"{'login_id':<10} {'password':<30} {'role':<12} {'email':<34} organisation")
    for a in accounts:
        click.echo(f"{a.login_id:<10} {a.password:<30} {a.role:<12} {a.email:<34} {a.organisation}")
    if current_app.config["PORTAL_MAIL_BACKEND"] == "outbox":
        base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
        click.echo(f"Mail (one-time codes) is printed on this console and listed at {base}/dev/mail")


@click.command("create-sysadmin")
@click.option("--login-id", required=True)
@click.option("--name", required=True)
@click.option("--email", required=True)
@with_appcontext
def create_sysadmin_command(login_id: str, name: str, email: str) -> None:
    """Create a system administrator and print the activation URL."""
    from webapp.accounts_cli import create_sysadmin
    from webapp.mail.links import assumed_base_note

    try:
        url = create_sysadmin(login_id, name, email)
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(url)
    note = assumed_base_note("this link assumes the portal is at")
    if note:  # standard output stays the URL alone for scripts
        click.echo(note, err=True)


# waitress 3 writes each answer's head and body to the socket separately, from the request's thread
# (send_bytes=1). Gathering up to 18,000 bytes (waitress 2's default) lets a page leave in one write:
# ~2 ms less CPU per sign-in, a tenth of what is not argon2, and lower p50/p95 (make bench, 2026-12-01).
# Longer answers (a CSV export) still leave while they are written, 18,000 bytes at a time.
RESPONSE_SEND_BYTES = 18_000


def default_threads() -> int:
    """Enough threads to overlap waits (SMTP, the database lock) without more Python threads
    than the cores can run: on 2 cores, 8 threads contending for the GIL cost ~15% more CPU
    per sign-in than 4 (make bench)."""
    return min(8, max(4, 2 * (os.cpu_count() or 1)))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=None, type=click.IntRange(1, 64),
              help="Worker threads (default: twice the cores, at least 4 and at most 8).")
@with_appcontext
def serve_command(host: str, port: int, threads: int | None) -> None:
    """Serve with waitress (one process; the scheduler runs inside unless PORTAL_SCHEDULER=0)."""
    import waitress

    from webapp import scheduler
    from webapp.config import LOOPBACK_HOSTS, served_at
    from webapp.headers import fixed_headers
    from webapp.waitress_errors import add_headers_to_errors
    from webapp.memory import tune_allocator

    tune_allocator()
    _refuse_unwritable()
    threads = threads or default_threads()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["PORTAL_BASE_URL_GIVEN"]:  # the links in mail lead where this server listens
        app.config["PORTAL_BASE_URL"] = served_at(host, port)
        app.config["PORTAL_BASE_URL_GIVEN"] = True  # by --host and --port: nothing left to note
    _warn_doubts()
    if app.config["PORTAL_ENV"] == "development" and host not in LOOPBACK_HOSTS:
        local_mail = "mail stays in the local outbox and " if app.config["PORTAL_MAIL_BACKEND"] == "outbox" else ""
        click.echo(f"warning: development mode on {host}: {local_mail}the session cookie is not Secure; "
                   "set PORTAL_ENV=production to serve other machines", err=True)
    socket_map: dict[Any, Any] = {}
    logging.basicConfig()  # as waitress.serve does: its warnings and the app's reach standard error
    try:
        # Forwarding headers reach the app untouched: ProxyFix trusts exactly PORTAL_TRUSTED_PROXIES
        # hops of them and ignores them when it is 0 (waitress's own clearing would drop them always).
        with warnings.catch_warnings():  # send_bytes is marked deprecated in waitress 3, pinned here
            warnings.simplefilter("ignore", DeprecationWarning)
            server = waitress.create_server(app, socket_map, host=host, port=port, threads=threads, ident="sekisho",
                                            clear_untrusted_proxy_headers=False, send_bytes=RESPONSE_SEND_BYTES)
    except (OSError, ValueError) as refused:  # taken, not an address of this machine, no such host
        reason = getattr(refused, "strerror", None) or refused
        click.echo(f"error: cannot listen on {host}:{port}: {reason}", err=True)
        sys.exit(1)
    add_headers_to_errors(socket_map, fixed_headers(app.config["PORTAL_ENV"] != "development"))
    from webapp.extensions import db

    db.session.close()  # nothing of the command's own context may stay open while requests run
    if app.config["PORTAL_SCHEDULER"]:
        scheduler.start(app)
    click.echo(f"Sekisho on {served_at(host, port)}/ ({app.config['PORTAL_ENV']})")
    server.run()


@click.group("mail")
def mail_group() -> None:
    """Outgoing mail."""


@mail_group.command("flush")
@with_appcontext
def mail_flush_command() -> None:
    """Deliver every queued mail now, also mail waiting to be tried again (the relay is back).
    Exit status 1 while any stays undelivered (every run, for cron's alerting), 0 otherwise."""
    from webapp.mail import outbox
    from webapp.ui import format_jst

    flushed = outbox.flush()
    left = flushed.left
    click.echo(f"delivered {flushed.delivered}")
    if flushed.given_up:
        click.echo(f"given up {flushed.given_up}: the relay refused them for good (audit entries mail.failed)")
    if left.waiting:
        click.echo(f"still queued {left.waiting} ({left.reason}); the scheduler tries again from "
                   f"{format_jst(left.next_attempt_at)} (Japan time), the next flush at once")
    if left.held:
        click.echo(f"being sent by another process: {left.held}")
    if flushed.given_up or left.waiting:
        sys.exit(1)


@click.group("jobs")
def jobs_group() -> None:
    """The periodic work of the in-process scheduler, for cron when it is off."""


@jobs_group.command("run")
@with_appcontext
def jobs_run_command() -> None:
    """Run every periodic job once: mail, expiry of applications, hours, dormant accounts,
    access reviews, pruning of sessions and sign-in records, the audit anchor's watch."""
    from webapp import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    failed = scheduler.run_once(app)
    for name, _job in scheduler.JOBS:
        click.echo(f"{name}: {failed.get(name, 'done')}")
    if failed:
        sys.exit(1)


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


def _restored_hint() -> str:
    """A backup of this very database restored on purpose looks the same as a cut log: the file
    still names the newest entry of the log that the backup replaced."""
    from webapp.audit import anchor

    return f" - unless an older backup was restored on purpose: then remove {anchor.file_path()} and run verify again"


@audit_group.command("verify")
@with_appcontext
def audit_verify_command() -> None:
    """Check the hash chain and the last entry recorded outside the database; name the first broken entry."""
    from webapp.audit import anchor
    from webapp.audit.service import verify_chain

    try:
        recorded = anchor.read()
        anchor.check_same_log(recorded)
    except (anchor.AnchorUnreadable, anchor.OtherLog) as unusable:
        click.echo(f"portal: {unusable}", err=True)
        sys.exit(1)
    report = verify_chain(recorded)
    if report.first_broken_id is not None:
        click.echo(f"broken: entry {report.first_broken_id} does not match the chain ({report.checked} entries before it are intact)")
        sys.exit(1)
    if report.anchor_missing is not None:
        click.echo(f"broken: the log ends before entry {report.anchor_missing}, which was recorded in "
                   f"{anchor.FILE_NAME}: entries were removed from its end ({report.checked} entries are intact)"
                   f"{_restored_hint()}")
        sys.exit(1)
    if report.anchor_differs is not None:
        click.echo(f"broken: entry {report.anchor_differs} is not the one recorded in {anchor.FILE_NAME}: the log "
                   f"was rewritten up to there ({report.checked} entries before it chain together){_restored_hint()}")
        sys.exit(1)
    if report.last is not None:
        anchor.move_to(*report.last)
    click.echo(f"ok: {report.checked} entries, chain intact")


def register(app: Flask) -> None:
    from webapp.backup.cli import backup_command

    for command in (init_command, demo_command, create_sysadmin_command, serve_command, mail_group, jobs_group,
                    audit_group, backup_command):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from webapp import create_app

    return create_app()


SCHEMA_FREE = frozenset({"init"})
_GUARDED = "_sekisho_guarded"


def guard_commands(app: Flask) -> None:
    """Every command but `init`, through `portal` or `flask --app wsgi` alike: without the schema
    this code expects, one line saying to run `portal init` instead of a failure half-way (a
    backup file left, a traceback); a database that cannot be reached is one line too."""
    def leaves(group: click.Group) -> Iterator[click.Command]:
        for command in group.commands.values():
            if isinstance(command, click.Group):
                yield from leaves(command)
            elif command.name not in SCHEMA_FREE:
                yield command

    for command in leaves(app.cli):
        if command.callback is not None and not getattr(command.callback, _GUARDED, False):
            command.callback = _with_schema(command.callback)


def _refuse_undecodable(arguments: dict[str, Any]) -> None:
    """A file name or a text that is not UTF-8 (a Shift_JIS name from a Windows archive) cannot be
    recorded in the audit log: said before any work is done, not as a traceback after it."""
    for name, value in arguments.items():
        try:
            str(value).encode("utf-8")
        except UnicodeEncodeError:
            shown = str(value).encode("utf-8", "replace").decode("utf-8")
            click.echo(f"portal: {name.replace('_', '-')} is not UTF-8 text ({shown!r}); rename the file or retype "
                       "the text", err=True)
            sys.exit(2)


def _with_schema(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        from flask.cli import ScriptInfo

        from webapp import migrate
        from webapp.mail.links import forget_assumed_links, unsaid_assumed_base_note

        _refuse_undecodable(kwargs)
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        try:
            with app.app_context():
                revision = migrate.current_revision()
            problem = migrate.problem_of(revision)
            if problem == "newer":  # not "older": `portal init` cannot help
                click.echo(f"portal: {migrate.NewerSchema(str(revision)).explanation()}", err=True)
                sys.exit(1)
            if problem:
                state = "has no Sekisho schema yet" if problem == "uninitialised" else "has an older schema"
                click.echo(f"portal: the database {state}: run `portal init` first", err=True)
                sys.exit(1)
            with app.app_context():
                forget_assumed_links()  # what requests of this process built is not the command's
            try:
                return callback(*args, **kwargs)
            finally:
                with app.app_context():
                    note = unsaid_assumed_base_note()
                if note:
                    click.echo(note, err=True)
        except Exception as failed:
            if is_busy(failed):
                click.echo(f"portal: the database is busy: another process held it longer than "
                           f"PORTAL_DATABASE_BUSY_SECONDS ({app.config['PORTAL_DATABASE_BUSY_SECONDS']} s); "
                           "nothing was done, try again", err=True)
                sys.exit(1)
            if not isinstance(failed, SQLAlchemyError):
                raise
            orig = getattr(failed, "orig", None)
            reason = str(orig or failed).strip().splitlines()[0]
            unusable = isinstance(failed, (OperationalError, InterfaceError)) or type(failed) is DatabaseError
            if unusable and "no such table" not in reason:  # unreachable, or a file that is no database
                _database_unusable(failed)
            if isinstance(failed, IntegrityError):  # another process wrote the same rows meanwhile
                click.echo(f"portal: another process wrote the same data at the same time ({reason}); the "
                           "command stopped without its last change: run it again", err=True)
            else:  # a table missing or not as expected: a schema that was changed by hand or not migrated
                click.echo(f"portal: the database is not ready ({reason}); run `portal init`", err=True)
            sys.exit(1)

    setattr(run, _GUARDED, True)
    return run


def main() -> None:
    """`portal`: a wrong setting or a database that cannot be reached is one line on standard
    error and exit status 2 or 1, not a stack trace."""
    from webapp.config import ConfigError

    cli = FlaskGroup(create_app=_create_app, add_default_commands=False, add_version_option=False,
                     load_dotenv=False, help="Sekisho (関所) portal commands.")
    try:
        cli.main(prog_name="portal")
    except ConfigError as wrong:
        click.echo(f"portal: configuration error: {wrong}", err=True)
        sys.exit(2)
    except (OperationalError, InterfaceError) as unreachable:
        _database_unusable(unreachable)


def _database_unusable(failed: BaseException,
                       advice: str = "check PORTAL_DATABASE_URL and that the database server is running") -> NoReturn:
    orig = getattr(failed, "orig", None)
    reason = str(orig or failed).strip().splitlines()[0]
    click.echo(f"portal: the database cannot be used ({reason}); {advice}", err=True)
    sys.exit(1)


def _refuse_unwritable() -> None:
    """A database this process may read but not write (a read-only file, folder or mount) would
    let the portal start and answer its pages until the first change, then fail each one."""
    from webapp.database import write_refusal
    from webapp.extensions import db

    refused = write_refusal(db.engine)
    if refused is not None:
        _database_unusable(refused, "check that the account running the portal may write the database file, "
                                    "its folder and the disk it is on")

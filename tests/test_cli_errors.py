"""An operator's mistake in the settings or the database URL is one clear line from `portal`,
with a failing exit status, never a stack trace."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.served import portal_env
from tests.support.served import portal as run_portal
from tests.support.smtp import free_port


def portal(tmp_path: Path, *args: str, **settings: str):  # type: ignore[no-untyped-def]
    return run_portal(portal_env(tmp_path / "portal.db", **settings), *args)


@pytest.mark.parametrize("args, settings, status, said", [
    (("init",), {"PORTAL_ENV": "staging"}, 2, "configuration error: PORTAL_ENV must be development or production"),
    (("init",), {"PORTAL_MAIL_PORT": "twenty-five"}, 2, "PORTAL_MAIL_PORT must be a whole number"),
    (("init",), {"PORTAL_DATABASE_URL": "sqlite:////nonexistent-folder/portal.db"}, 1,
     "the database cannot be used (unable to open database file); check PORTAL_DATABASE_URL"),
    (("demo", "--json"), {"PORTAL_DATABASE_URL": f"postgresql://sekisho@127.0.0.1:{free_port()}/sekisho"}, 1,
     "the database cannot be used (connection failed"),
    (("init",), {"PORTAL_DATABASE_URL": "bogus://x"}, 2, "PORTAL_DATABASE_URL is not a database address"),
    (("hours", "status"), {"PORTAL_DATABASE_URL": "not a url"}, 2, "PORTAL_DATABASE_URL is not a database address"),
    # Known to SQLAlchemy but not supported (found by an operator trial: a missing driver's traceback)
    (("audit", "verify"), {"PORTAL_DATABASE_URL": "mysql://x@y/z"}, 2, "mysql is not supported"),
    (("init",), {"PORTAL_DATABASE_URL": "oracle://x@y/z"}, 2, "oracle is not supported"),
    # Found by an operator trial: each of these was taken without a word ("ture" meant no STARTTLS,
    # and codes went out in clear text; a wrong sender or port failed only when mail was sent)
    (("hours", "status"), {"PORTAL_MAIL_USE_TLS": "ture"}, 2, "PORTAL_MAIL_USE_TLS must be 1, true, yes or on"),
    (("init",), {"PORTAL_MAIL_PORT": "0"}, 2, "PORTAL_MAIL_PORT must be between 1 and 65535"),
    (("init",), {"PORTAL_MAIL_PORT": "70000"}, 2, "PORTAL_MAIL_PORT must be between 1 and 65535"),
    (("init",), {"PORTAL_MAIL_SENDER": "notanaddress"}, 2, "PORTAL_MAIL_SENDER must be an e-mail address"),
    (("init",), {"PORTAL_MAIL_SENDER": ""}, 2, "PORTAL_MAIL_SENDER must be an e-mail address"),
    (("init",), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_SERVER": " "}, 2, "PORTAL_MAIL_SERVER is empty"),
    # Found by a contract check: a relay written as host:port or as a URL was taken, and then every
    # code mail failed ("Name or service not known"), so nobody could sign in
    (("init",), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_SERVER": "127.0.0.1:25"}, 2,
     "PORTAL_MAIL_SERVER must be the mail relay's host name or IP address, not '127.0.0.1:25' "
     "(the port goes in PORTAL_MAIL_PORT)"),
    (("serve",), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_SERVER": "smtp://mail.example.jp"}, 2,
     "not 'smtp://mail.example.jp' (a host name, not a URL)"),
    (("hours", "status"), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_SERVER": "mail relay"}, 2,
     "PORTAL_MAIL_SERVER must be the mail relay's host name or IP address, not 'mail relay'"),
    # Found by a contract check: half of the relay's login was dropped without a word, and a relay
    # that wants one refused every mail (530 Authentication required)
    (("init",), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_USERNAME": "sekisho"}, 2,
     "PORTAL_MAIL_USERNAME is set without PORTAL_MAIL_PASSWORD: the mail relay is signed in to with both"),
    (("serve",), {"PORTAL_MAIL_BACKEND": "smtp", "PORTAL_MAIL_PASSWORD": "secret"}, 2,
     "PORTAL_MAIL_PASSWORD is set without PORTAL_MAIL_USERNAME"),
    (("init",), {"PORTAL_SESSION_IDLE_MINUTES": "-5"}, 2, "PORTAL_SESSION_IDLE_MINUTES must be between 1 and"),
    # Found by a fault review: a misspelt kind suspended nobody; "JPN" suspended people signing in
    # from Japan; a session of 99999999999 hours answered every request with a 500
    (("init",), {"PORTAL_ALERT_SUSPEND": "records.bulk_exprot"}, 2,
     "PORTAL_ALERT_SUSPEND: no alert kind 'records.bulk_exprot'; the kinds are: login.failure_burst"),
    (("init",), {"PORTAL_ALLOWED_COUNTRIES": "JP,JPN"}, 2,
     "PORTAL_ALLOWED_COUNTRIES must list two-letter country codes (ISO 3166-1 alpha-2, e.g. JP), not 'JPN'"),
    (("init",), {"PORTAL_SESSION_ABSOLUTE_HOURS": "99999999999"}, 2,
     "PORTAL_SESSION_ABSOLUTE_HOURS must be between 1 and 87672, not 99999999999"),
    (("accounts", "sweep-dormant", "--dry-run"), {"PORTAL_DORMANT_DAYS": "99999999"}, 2,
     "PORTAL_DORMANT_DAYS must be between 1 and 3653"),
])
def test_a_wrong_setting_or_an_unreachable_database_is_one_clear_line(tmp_path, args, settings, status, said):
    result = portal(tmp_path, *args, **settings)
    assert result.returncode == status
    assert said in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_development_needs_no_mail_server(tmp_path):
    """The outbox keeps development mail local: an empty PORTAL_MAIL_SERVER is no mistake there."""
    assert portal(tmp_path, "init", PORTAL_MAIL_SERVER="").returncode == 0


@pytest.mark.parametrize("server", ["smtp.example.jp", "mail_relay", "::1", "メール.example.jp"])
def test_a_relay_named_by_host_name_or_address_is_taken(tmp_path, server):
    assert portal(tmp_path, "init", PORTAL_MAIL_BACKEND="smtp", PORTAL_MAIL_SERVER=server).returncode == 0


def test_with_the_setting_put_right_the_same_command_works(tmp_path):
    assert portal(tmp_path, "init", PORTAL_ENV="staging").returncode == 2
    assert portal(tmp_path, "init", PORTAL_ENV="development").returncode == 0


def flask_wsgi(tmp_path: Path, *args: str, **settings: str):  # type: ignore[no-untyped-def]
    """The same commands as `flask --app wsgi ...` (SPEC §10: also reachable that way)."""
    import subprocess
    import sys

    from tests.support.served import ROOT

    flask = str(Path(sys.executable).parent / "flask")
    return subprocess.run([flask, "--app", "wsgi", *args], env=portal_env(tmp_path / "portal.db", **settings),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("run", [portal, flask_wsgi], ids=["portal", "flask --app wsgi"])
@pytest.mark.parametrize("args", [("demo", "--json"), ("audit", "verify"), ("mail", "flush"), ("backup", "copy.db"),
                                  ("records", "generate", "1"), ("serve", "--port", "1"), ("create-sysadmin", "--login-id",
                                  "ops", "--name", "運用 太郎", "--email", "ops@example.jp")])
def test_before_portal_init_every_command_says_to_run_it_and_leaves_nothing(tmp_path, run, args):
    args = tuple(str(tmp_path / a) if a == "copy.db" else a for a in args)
    result = run(tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.strip() == "portal: the database has no Sekisho schema yet: run `portal init` first"
    assert not (tmp_path / "copy.db").exists()
    assert portal(tmp_path, "init").returncode == 0
    assert portal(tmp_path, "audit", "verify").returncode == 0


def test_flask_wsgi_says_a_wrong_setting_in_one_line_too(tmp_path):
    result = flask_wsgi(tmp_path, "hours", "status", PORTAL_HOURS_PROFILE="bogus")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "portal: configuration error: PORTAL_HOURS_PROFILE must be one of always, capacity, renewable"


def test_an_address_the_server_cannot_listen_on_is_one_line(tmp_path):
    assert portal(tmp_path, "init").returncode == 0
    result = portal(tmp_path, "serve", "--host", "256.1.1.1", "--port", "8111")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: cannot listen on 256.1.1.1:8111" in result.stderr


def test_a_database_held_by_another_process_is_one_line(tmp_path):
    import sqlite3

    assert portal(tmp_path, "init").returncode == 0
    holder = sqlite3.connect(tmp_path / "portal.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = portal(tmp_path, "mail", "flush", PORTAL_DATABASE_BUSY_SECONDS="1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("portal: the database is busy")


def test_flask_wsgi_init_says_an_unreachable_database_in_one_line_too(tmp_path):
    """Found by an operator trial: `portal init` said it in one line, `flask --app wsgi init` in 131."""
    result = flask_wsgi(tmp_path, "init", PORTAL_DATABASE_URL="sqlite:////nonexistent-folder/portal.db")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the database cannot be used (unable to open database file)" in result.stderr


@pytest.mark.parametrize("text, said", [
    ("PORTAL_HOURS_PROFILE = \n", "config.py, line 1: invalid syntax"),
    ("PORTAL_TRUSTED_PROXIES = None\n", "PORTAL_TRUSTED_PROXIES must be a whole number, not None"),
    ("import os\nPORTAL_MAIL_SERVER = os.environ['NO_SUCH_VARIABLE']\n", "cannot be read: KeyError"),
    ("PORTAL_SCHEDULER = 'maybe'\n", "PORTAL_SCHEDULER must be 1, true, yes or on"),
])
def test_a_mistake_in_instance_config_py_is_a_configuration_error(tmp_path, text, said):
    """Found by an operator trial: these were tracebacks (a configuration error is one line, status 2)."""
    from webapp.config import ConfigError, load_config

    (tmp_path / "config.py").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=None) as raised:
        load_config(tmp_path)
    assert said in str(raised.value)


def test_what_instance_config_py_wrote_before_the_checks_still_works(tmp_path):
    """The stricter checks refuse mistakes, not the ways operators already wrote their settings."""
    from webapp.config import load_config

    (tmp_path / "config.py").write_text("from pathlib import Path\nPORTAL_SESSION_IDLE_MINUTES = 30.0\n"
                                        "PORTAL_SCHEDULER = None\nPORTAL_MAIL_SENDER = '関所 事務局 <sekisho@example.jp>'\n"
                                        f"PORTAL_MAIL_CA_FILE = Path({str(tmp_path / 'config.py')!r})\n",
                                        encoding="utf-8")
    settings = load_config(tmp_path)
    assert settings["PORTAL_SESSION_IDLE_MINUTES"] == 30 and settings["PORTAL_SCHEDULER"] is False
    assert settings["PORTAL_MAIL_CA_FILE"] == str(tmp_path / "config.py")


@pytest.mark.parametrize("args", [("init",), ("hours", "status"), ("audit", "verify")])
def test_a_file_that_is_no_database_is_one_line_that_does_not_send_the_operator_round(tmp_path, args):
    """An operator trial: `init` gave a traceback for a wrong file restored in the database's place,
    and every other command said to run `portal init`."""
    not_a_database = tmp_path / "restored.db"
    not_a_database.write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    result = portal(tmp_path, *args, PORTAL_DATABASE_URL=f"sqlite:///{not_a_database}")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == ("portal: the database cannot be used (file is not a database); check "
                                     "PORTAL_DATABASE_URL and that the database server is running")


def test_two_hosts_running_init_at_once_on_a_fresh_database_both_succeed(tmp_path):
    """An operator trial: on PostgreSQL one of them died with a duplicate-key traceback."""
    import subprocess

    from tests.conftest import database_url
    from tests.support.served import PORTAL, ROOT

    url = database_url(tmp_path)
    if url.startswith("postgresql"):
        import psycopg

        from tests.conftest import _ensure_postgres_database

        url = f"{url}_init"
        _ensure_postgres_database(url)
        with psycopg.connect(url, autocommit=True) as conn:  # fresh: no table, no type
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    env = portal_env(tmp_path / "portal.db", PORTAL_DATABASE_URL=url)
    runs = [subprocess.Popen([PORTAL, "init"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    for run in runs:
        _out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    status = run_portal(env, "hours", "status")
    assert status.returncode == 0 and status.stdout.split()[0] in ("open", "closed")


def test_an_argument_that_is_not_utf8_is_refused_before_any_work(tmp_path):
    """An operator trial: a Shift_JIS file name from a Windows archive made `backup` write its copy
    and then fail with a traceback (the copy was not in the audit log), `records import` too."""
    import os

    env = portal_env(tmp_path / "portal.db")
    assert run_portal(env, "init").returncode == 0
    name = os.fsdecode(str(tmp_path).encode() + b"/\x83f\x81[\x83^.db")  # 「データ」 in Shift_JIS
    result = run_portal(env, "backup", name)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "path is not UTF-8 text" in result.stderr
    assert not os.path.exists(name)


@pytest.mark.parametrize("args", [("init",), ("audit", "verify"), ("hours", "status"), ("backup", "copy.db")])
def test_a_database_of_a_newer_release_is_one_line_that_does_not_send_the_operator_to_init(tmp_path, args):
    """A database upgraded by a newer release (a rollback of the code, or a copy from another host):
    `init` gave Alembic's "Can't locate revision" traceback, every other command said the schema
    was older and to run `portal init`, which could not help."""
    import sqlite3

    assert portal(tmp_path, "init").returncode == 0
    with sqlite3.connect(tmp_path / "portal.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    connection.close()
    args = tuple(str(tmp_path / a) if a == "copy.db" else a for a in args)
    result = portal(tmp_path, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    said = result.stderr.strip()
    assert len(said.splitlines()) == 1
    assert said.startswith("portal: the database was created or upgraded by a newer version of the portal "
                           "(schema revision '0099'")
    assert said.endswith("run that version, or restore a backup made for this one")
    assert "older" not in said and "portal init" not in said
    assert not (tmp_path / "copy.db").exists()
    with sqlite3.connect(tmp_path / "portal.db") as connection:  # `init` left it as it was
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099",)]
    connection.close()

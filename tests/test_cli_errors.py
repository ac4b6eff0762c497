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
])
def test_a_wrong_setting_or_an_unreachable_database_is_one_clear_line(tmp_path, args, settings, status, said):
    result = portal(tmp_path, *args, **settings)
    assert result.returncode == status
    assert said in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_with_the_setting_put_right_the_same_command_works(tmp_path):
    assert portal(tmp_path, "init", PORTAL_ENV="staging").returncode == 2
    assert portal(tmp_path, "init", PORTAL_ENV="development").returncode == 0


@pytest.mark.parametrize("args", [("demo", "--json"), ("audit", "verify"), ("mail", "flush"), ("backup", "copy.db"),
                                  ("records", "generate", "1"), ("serve", "--port", "1"), ("create-sysadmin", "--login-id",
                                  "ops", "--name", "運用 太郎", "--email", "ops@example.jp")])
def test_before_portal_init_every_command_says_to_run_it_and_leaves_nothing(tmp_path, args):
    args = tuple(str(tmp_path / a) if a == "copy.db" else a for a in args)
    result = portal(tmp_path, *args)
    assert result.returncode == 1
    assert result.stderr.strip() == "portal: the database has no Sekisho schema yet: run `portal init` first"
    assert not (tmp_path / "copy.db").exists()
    assert portal(tmp_path, "init").returncode == 0
    assert portal(tmp_path, "audit", "verify").returncode == 0

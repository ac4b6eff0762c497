"""An operator's mistake in the settings or the database URL is one clear line from `portal`,
with a failing exit status, never a stack trace."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[1]
PORTAL = str(Path(sys.executable).parent / "portal")  # the console script of the running environment


def portal(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SECRET_KEY": "k",
           "PORTAL_SCHEDULER": "0", **settings}
    return subprocess.run([PORTAL, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


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

"""PORTAL_INSTANCE_PATH: where the secret key, config.py and the audit anchor live. Found by an
operator trial: `make run` leaves in the project's instance/ an audit anchor of the demo database,
and every `portal` run of `make test` (another database, same folder) then read it as a cut log."""
from __future__ import annotations

import subprocess

from tests.support.served import PORTAL, portal, portal_env


def test_each_instance_folder_keeps_its_own_secret_settings_and_audit_anchor(tmp_path):
    demo = portal_env(tmp_path / "demo.db", PORTAL_INSTANCE_PATH=str(tmp_path / "demo-instance"))
    del demo["PORTAL_SECRET_KEY"]
    assert portal(demo, "init").returncode == 0
    assert portal(demo, "demo", "--json").returncode == 0
    assert portal(demo, "audit", "verify").stdout.startswith("ok: ")
    assert (tmp_path / "demo-instance" / "audit-anchor.json").exists()
    assert (tmp_path / "demo-instance" / "secret_key").exists()

    other = portal_env(tmp_path / "other.db", PORTAL_INSTANCE_PATH=str(tmp_path / "other-instance"))
    (tmp_path / "other-instance").mkdir()
    (tmp_path / "other-instance" / "config.py").write_text('PORTAL_HOURS_PROFILE = "renewable"\n', encoding="utf-8")
    assert portal(other, "init").returncode == 0
    verified = portal(other, "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("ok: "), verified.stdout
    at_night = ("hours", "status", "--at", "2026-01-05T03:00:00+09:00")
    assert portal(other, *at_night).stdout.startswith("closed")  # its config.py's profile
    assert portal(demo, *at_night).stdout.startswith("open")


def test_a_relative_instance_folder_is_taken_from_where_the_command_runs(tmp_path):
    env = portal_env(tmp_path / "x.db", PORTAL_INSTANCE_PATH="state")
    del env["PORTAL_SECRET_KEY"]
    result = subprocess.run([PORTAL, "init"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "state" / "secret_key").exists()

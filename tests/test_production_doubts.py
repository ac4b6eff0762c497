"""`portal init` (and `portal serve`) tell a production operator about settings that work but
would leave users without their mail or with links to the wrong place."""
from __future__ import annotations

import pytest

from webapp import create_app


def fresh_app(tmp_path, **settings):
    """A new installation: `portal init` creates its schema (no test tables made beforehand)."""
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SECRET_KEY": "k",
                       "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SCHEDULER": False,
                       **settings})


@pytest.mark.parametrize("settings, warned", [
    ({}, ["PORTAL_BASE_URL is http://127.0.0.1:8000"]),
    ({"PORTAL_BASE_URL": "http://sekisho.example.jp"}, ["PORTAL_BASE_URL is http://sekisho.example.jp"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_MAIL_BACKEND": "outbox"},
     ["PORTAL_MAIL_BACKEND is outbox"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp"}, []),
])
def test_init_warns_a_production_operator(tmp_path, settings, warned):
    app = fresh_app(tmp_path, PORTAL_ENV="production", **settings)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == len(warned)
    for expected, line in zip(warned, warnings):
        assert expected in line


def test_development_has_nothing_to_warn_about(tmp_path):
    result = fresh_app(tmp_path).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0 and "warning" not in result.output + result.stderr


def test_serving_other_machines_in_development_mode_is_warned_about(tmp_path):
    """`portal serve --host 0.0.0.0` without PORTAL_ENV=production: said on standard error at once."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.support.smtp import free_port

    root = Path(__file__).resolve().parents[1]
    portal = str(Path(sys.executable).parent / "portal")  # the console script of the running environment
    port = free_port()
    env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SECRET_KEY": "k",
           "PORTAL_SCHEDULER": "0", "PORTAL_ENV": "development"}
    env.pop("PORTAL_MAIL_BACKEND", None)
    subprocess.run([portal, "init"], env=env, cwd=root, check=True, capture_output=True)
    server = subprocess.Popen([portal, "serve", "--host", "0.0.0.0", "--port", str(port)],
                              env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=10)
    assert "warning: development mode on 0.0.0.0" in err

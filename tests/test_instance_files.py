"""What a fresh installation writes to disk is readable by the portal's own account only: the
database holds password hashes, personal data and the audit log; the key signs everything."""
from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from webapp import create_app, migrate
from webapp.extensions import db


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_instance_is_private_to_the_portals_account(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "PORTAL_SCHEDULER": False})
    with app.app_context():
        migrate.upgrade()
        with db.engine.connect() as connection:  # a write leaves the -wal file behind while open
            connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            connection.commit()
            assert mode(instance / "sekisho.db-wal") == 0o600
        db.engine.dispose()
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert mode(instance / "sekisho.db") == 0o600


def test_an_existing_database_keeps_the_mode_its_operator_gave_it(tmp_path):
    existing = tmp_path / "shared" / "portal.db"
    existing.parent.mkdir()
    existing.touch(mode=0o640)
    existing.chmod(0o640)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SECRET_KEY": "k",
                      "PORTAL_DATABASE_URL": f"sqlite:///{existing}", "PORTAL_SCHEDULER": False})
    with app.app_context():
        migrate.upgrade()
        db.engine.dispose()
    assert mode(existing) == 0o640


def test_a_database_in_a_folder_that_does_not_exist_is_not_made_up(tmp_path):
    """A typo in the URL must not become a new, empty installation: nothing is created there."""
    target = tmp_path / "no-such-folder" / "portal.db"
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SECRET_KEY": "k",
                      "PORTAL_DATABASE_URL": f"sqlite:///{target}", "PORTAL_SCHEDULER": False})
    assert app.test_client().get("/healthz").status_code == 503
    assert not target.parent.exists()


def test_a_given_secret_key_still_gets_a_fresh_private_instance_folder(tmp_path, monkeypatch):
    """An operator review: with PORTAL_SECRET_KEY set, `portal init` on a fresh checkout could
    not open the default database, because only the key's generation created instance/."""
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "PORTAL_SECRET_KEY": "k" * 48, "PORTAL_SCHEDULER": False})
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert mode(instance) == 0o700
    assert mode(instance / "sekisho.db") == 0o600
    assert not (instance / "secret_key").exists()

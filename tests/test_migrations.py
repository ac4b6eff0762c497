"""`portal init` builds the schema through Alembic; it must match the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import webapp.models  # noqa: F401
from tests.support.schema import drop_schema
from webapp import migrate
from webapp.database import Base
from webapp.extensions import db
from webapp.records.search_index import is_search_index


# The search indexes are not models (webapp/records/search_index.py).
COMPARE = {"compare_type": True, "include_name": lambda name, type_, _parents: not is_search_index(name, type_)}


def _schema_at(revision: str) -> None:
    """The database as an older release left it: empty, then migrated up to that revision only."""
    from alembic import command

    drop_schema()
    config = migrate.alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_migrations_create_exactly_the_models_schema(make_app):
    app = make_app()
    with app.app_context():
        drop_schema()
        migrate.upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts=COMPARE), Base.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_portal_init_is_idempotent_and_keeps_data(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        drop_schema()
    assert runner.invoke(args=["init"]).exit_code == 0
    assert runner.invoke(args=["create-sysadmin", "--login-id", "root-admin", "--name", "運用 管理者",
                               "--email", "root@example.jp"]).exit_code == 0
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        from webapp.auth.service import find_user

        assert find_user("ROOT-ADMIN") is not None


def test_a_database_of_the_first_release_upgrades_and_keeps_its_people(make_app):
    """SPEC §9: an upgrade keeps the data. A database left at revision 0001 (before dormancy,
    notices and alerts) with a person in it goes through `portal init` to the current schema."""
    from sqlalchemy import text

    app = make_app()
    with app.app_context():
        _schema_at("0001")
        with db.engine.begin() as connection:
            _insert_old_organisation(connection)
            connection.execute(text(
                "INSERT INTO users (login_id, organisation_id, name, department, email, emergency_phone, roles,"
                " status, hours_exempt, failed_logins, mfa_method, totp_last_counter, created_at)"
                " SELECT 'old-user', id, '旧 利用者', '', 'old@example.jp', '', 'operator', 'active', false, 0,"
                " 'email', 0, '2025-01-01 00:00:00' FROM organisations"))
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from webapp.auth.service import find_user

        user = find_user("old-user")
        assert user is not None and user.name == "旧 利用者" and user.dormancy_warned_at is None
        db.session.commit()  # end the read, or SQLite's write lock keeps the next connection waiting
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts=COMPARE), Base.metadata)
        assert diff == []


def test_facility_ids_stored_full_width_are_read_as_the_importer_reads_them(make_app):
    """Found by review: the importer reads IDs in NFKC now; one stored earlier as 「ＡＢ０１」 would
    have become a second facility at the next import of AB01. One already taken stays as it was."""
    from sqlalchemy import text

    app = make_app()
    with app.app_context():
        _schema_at("0012")
        row = ("INSERT INTO facility_records (facility_id, operator_name, representative_name, operator_address,"
               " certified_on, energy_source, capacity_kw, prefecture, location_address, plant_name, supply_area,"
               " panel_maker, panel_model, updated_at) VALUES (:fid, '会社', '', '', '2019-04-01', 'solar', 10,"
               " '東京都', '', '', 'tokyo', '', '', '2025-01-01 00:00:00')")
        with db.engine.begin() as connection:
            for facility_id in ("ＡＢ０１", "CD02", "ＣＤ０２", "EF03"):
                connection.execute(text(row), {"fid": facility_id})
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with app.app_context(), db.engine.connect() as connection:
        ids = sorted(r[0] for r in connection.execute(text("SELECT facility_id FROM facility_records")))
    assert ids == ["AB01", "CD02", "EF03", "ＣＤ０２"]


def test_accounts_suspended_before_the_upgrade_keep_who_suspended_them(make_app):
    """Migration 0014 reads who stopped each suspended account from the audit log: a system
    administrator's suspension must not become one the organisation may lift (a review)."""
    from sqlalchemy import text

    app = make_app()
    with app.app_context():
        _schema_at("0013")
        with db.engine.begin() as connection:
            _insert_old_organisation(connection)
            for login_id, roles, status in (("admin-sys", "sysadmin", "active"), ("by-sys", "operator", "suspended"),
                                            ("by-rule", "operator", "suspended"), ("by-org", "operator", "suspended"),
                                            ("unknown", "operator", "suspended"), ("fine", "operator", "active")):
                connection.execute(text(
                    "INSERT INTO users (login_id, organisation_id, name, department, email, emergency_phone, roles,"
                    " status, hours_exempt, failed_logins, mfa_method, totp_last_counter, created_at)"
                    " SELECT :login_id, id, '旧', '', :email, '', :roles, :status, false, 0, 'email', 0,"
                    " '2025-01-01 00:00:00' FROM organisations"),
                    {"login_id": login_id, "email": f"{login_id}@example.jp", "roles": roles, "status": status})
            for kind, target, actor in (("account.suspended_immediately", "by-sys", "admin-sys"),
                                        ("account.suspended_by_detector", "by-rule", None),
                                        ("account.suspended", "by-org", "admin-sys")):
                connection.execute(text(
                    "INSERT INTO audit_events (at, kind, actor_id, ip, user_agent, target, details, prev_hash, hash)"
                    " VALUES ('2025-02-01 00:00:00', :kind, (SELECT id FROM users WHERE login_id = :actor), '', '',"
                    " :target, '{}', '', '')"), {"kind": kind, "target": target, "actor": actor})
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with app.app_context(), db.engine.connect() as connection:
        by = dict(connection.execute(text("SELECT login_id, suspended_by FROM users")).all())
    assert by == {"admin-sys": None, "by-sys": "sysadmin", "by-rule": "detector", "by-org": "organisation",
                  "unknown": None, "fine": None}


def test_a_code_mail_queued_at_the_upgrade_is_still_sent_and_waiting_mail_can_be_woken(make_app):
    """Migration 0016 links each sign-in waiting for its code to its newest code mail: unlinked,
    the mail queued during an outage would count as a replaced code and never be sent."""
    from sqlalchemy import text

    app = make_app()
    with app.app_context():
        _schema_at("0015")
        with db.engine.begin() as connection:
            _insert_old_organisation(connection)
            connection.execute(text(
                "INSERT INTO users (login_id, organisation_id, name, department, email, emergency_phone, roles,"
                " status, hours_exempt, failed_logins, mfa_method, totp_last_counter, created_at)"
                " SELECT 'waiting', id, '旧', '', 'waiting@example.jp', '', 'operator', 'active', false, 0, 'email',"
                " 0, '2025-01-01 00:00:00' FROM organisations"))
            for mail_id, created_at in ((1, "2025-02-01 09:00:00"), (2, "2025-02-01 10:00:00")):
                connection.execute(text(
                    "INSERT INTO outbox_mail (id, recipient, subject, body_text, body_html, template, state, attempts,"
                    " refusals, next_attempt_at, last_error, created_at) VALUES (:id, 'waiting@example.jp', 's',"
                    " 'b', '', 'login_code', 'queued', 1, 0, '2025-02-01 10:00:30', 'down', :created_at)"),
                    {"id": mail_id, "created_at": created_at})
            connection.execute(text(
                "INSERT INTO pending_logins (session_id, user_id, method, code_hash, code_sent_at, expires_at,"
                " attempts, resends, created_at, ip) SELECT 's', id, 'email', 'h', '2025-02-01 10:00:00',"
                " '2025-02-01 10:05:00', 0, 0, '2025-02-01 10:00:00', '' FROM users"))
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SELECT code_mail_id FROM pending_logins")).scalar_one() == 2
        retry = dict(connection.execute(text("SELECT id, retry_at = next_attempt_at FROM outbox_mail")).all())
    assert retry == {1: True, 2: True}


def _insert_old_organisation(connection) -> None:  # type: ignore[no-untyped-def]
    """An organisation as every revision since the first stores it."""
    from sqlalchemy import text

    connection.execute(text(
        "INSERT INTO organisations (name, category, area, status, security_manager_name,"
        " security_manager_contact, require_totp, allowed_networks, created_at)"
        " VALUES ('旧組織', 'grid', 'tokyo', 'active', '管理 太郎', '03-0000-0000', false, '',"
        " '2025-01-01 00:00:00')"))

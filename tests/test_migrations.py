"""`portal init` builds the schema through Alembic; it must match the models exactly."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import webapp.models  # noqa: F401
from webapp import migrate
from webapp.database import Base
from webapp.extensions import db


def test_migrations_create_exactly_the_models_schema(make_app):
    app = make_app()
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        migrate.upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_portal_init_is_idempotent_and_keeps_data(make_app):
    app = make_app()
    runner = app.test_cli_runner()
    with app.app_context():
        Base.metadata.drop_all(db.engine)
    assert runner.invoke(args=["init"]).exit_code == 0
    assert runner.invoke(args=["create-sysadmin", "--login-id", "root-admin", "--name", "運用 管理者",
                               "--email", "root@example.jp"]).exit_code == 0
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        from webapp.auth.service import find_user

        assert find_user("ROOT-ADMIN") is not None

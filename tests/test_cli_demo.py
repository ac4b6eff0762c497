"""`portal demo --json`: the contract operators' scripts rely on (SPEC §10)."""
import json

from tests.conftest import csrf_from


def _demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_json_lists_every_account_with_a_working_generated_password(app, client, smtp):
    accounts = _demo(app)
    roles = sorted(a["role"] for a in accounts)
    assert roles == sorted(["sysadmin"] + ["org_admin", "responsible", "operator", "operator"] * 2)
    assert {tuple(sorted(a)) for a in accounts} == {("email", "login_id", "organisation", "password", "role")}
    assert len({a["password"] for a in accounts}) == len(accounts)
    operator = next(a for a in accounts if a["role"] == "operator")
    page = client.get("/login")
    response = client.post("/login", data={"login_id": operator["login_id"], "password": operator["password"],
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/code")
    assert smtp.code_for(operator["email"])


def test_passwords_differ_between_installations(make_app, tmp_path):
    first = _demo(make_app())
    second_app = make_app(PORTAL_DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}")
    with second_app.app_context():
        from tests.support.schema import create_current_schema

        create_current_schema()
    second = _demo(second_app)
    assert {a["password"] for a in first}.isdisjoint({a["password"] for a in second})


def test_demo_loads_once_and_alongside_a_hand_made_sysadmin(app):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["create-sysadmin", "--login-id", "ops", "--name", "運用 太郎", "--email", "ops@example.jp"])
    assert created.exit_code == 0 and "/activate/" in created.output
    assert len(_demo(app)) == 9
    again = runner.invoke(args=["demo", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout) == []  # a script reads an empty list...
    assert "already loaded" in again.stderr  # ...and its operator why
    assert "already loaded" in runner.invoke(args=["demo"]).output


def test_create_sysadmin_checks_the_name_and_the_address_as_the_forms_do(app):
    runner = app.test_cli_runner()

    def create(login_id: str, name: str, email: str):
        return runner.invoke(args=["create-sysadmin", "--login-id", login_id, "--name", name, "--email", email])

    for name, said in (("", "full name is required"), ("   ", "full name is required"),
                       ("長" * 201, "at most 200 characters"), ("運用\x00太郎", "cannot be used")):
        refused = create("ops2", name, "ops2@example.jp")
        assert refused.exit_code == 2 and said in refused.output, (name[:5], refused.output)
    assert create("ops", "運用 太郎", "ops@example.jp").exit_code == 0
    twice = create("ops3", "運用 次郎", "ops@example.jp")
    assert twice.exit_code == 2 and "already the address of another open account" in twice.output


def test_demo_after_the_operator_published_their_own_terms_keeps_them(app, tmp_path):
    """An operator review: `terms publish --version 1.0` before `demo` (as `init` suggests) made
    the demo die on the sample's duplicate version, after committing accounts whose passwords
    were never shown."""
    terms = tmp_path / "terms.md"
    terms.write_text("# 当社の利用規約\n\n## 第1条\n\n当社の定める条件で利用する。\n", encoding="utf-8")
    runner = app.test_cli_runner()
    published = runner.invoke(args=["terms", "publish", str(terms), "--kind", "terms", "--version", "1.0",
                                    "--effective", "2026-01-01", "--summary", "初版"])
    assert published.exit_code == 0, published.output
    assert len(_demo(app)) == 9
    from sqlalchemy import select

    from webapp.consent.models import DocumentVersion
    from webapp.extensions import db

    versions = db.session.execute(select(DocumentVersion.kind, DocumentVersion.version)).all()
    assert sorted(versions) == [("items", "1.0"), ("privacy", "1.0"), ("terms", "1.0")]
    summaries = dict(db.session.execute(select(DocumentVersion.kind, DocumentVersion.summary)).all())
    assert summaries["terms"] == "初版"  # the operator's own, not the sample

"""Publishing: `portal terms publish`, the administrator's draft -> preview -> publish, the notice mail."""
from __future__ import annotations

from sqlalchemy import select

from tests.conftest import csrf_from
from tests.consent.helpers import ITEMS_1, TERMS_1, TERMS_2, publish
from tests.support.races import needs_overlapping_writers
from webapp.audit.models import AuditEvent
from webapp.consent.models import ConsentItem, DocumentVersion
from webapp.extensions import db
from webapp.mail.models import OutboxMail


def _cli(app, *args):
    return app.test_cli_runner(mix_stderr=False).invoke(args=list(args)) if _supports_mix_stderr() else \
        app.test_cli_runner().invoke(args=list(args))


def _supports_mix_stderr() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def _versions() -> list[DocumentVersion]:
    db.session.expire_all()
    return list(db.session.scalars(select(DocumentVersion)))


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def test_cli_publishes_and_every_active_user_is_mailed(app, world, smtp, tmp_path):
    from webapp.orgs.service import create_user

    publish("terms", "1.0", TERMS_1)
    world.grid_operator2.status = "closed"
    world.city_admin.status = "suspended"
    pending = create_user(world.city, name="未有効 氏名", email="pending@test.example")
    db.session.commit()
    smtp.clear()
    result = _cli(app, "terms", "publish", _write(tmp_path, "terms.md", TERMS_2), "--kind", "terms",
                  "--version", "1.1", "--effective", "2025-07-15", "--summary", "第2条に電子メールによる通知を明記")
    assert result.exit_code == 0, result.output
    assert "published terms 1.1 effective 2025-07-15" in result.output
    flushed = _cli(app, "mail", "flush")
    assert flushed.exit_code == 0, flushed.output
    active = [world.sysadmin, world.grid_admin, world.grid_responsible, world.grid_operator,
              world.city_responsible, world.city_operator]
    for user in active:
        mail = smtp.last_to(user.email)
        assert "1.1" in mail.subject
        assert "2025-07-15" in mail.text and "第2条に電子メールによる通知を明記" in mail.text
        assert "/terms/compare?kind=terms&old=1.0&new=1.1" in mail.text
    for user in (world.grid_operator2, world.city_admin, pending):
        assert smtp.to(user.email) == []
    assert db.session.scalar(select(OutboxMail.id).where(OutboxMail.state == "queued")) is None


def test_cli_publishes_consent_items_in_the_documented_format(app, tmp_path):
    result = _cli(app, "terms", "publish", _write(tmp_path, "items.md", ITEMS_1), "--kind", "items",
                  "--version", "2.0", "--effective", "2025-06-10", "--summary", "制定")
    assert result.exit_code == 0, result.output
    version = _versions()[0]
    assert [(i.item_key, i.categories) for i in version.items] == [
        ("purpose", ""), ("credentials", ""), ("grid-no-retail", "grid")]
    assert version.body == "次の事項に同意してください。"
    help_text = _cli(app, "terms", "publish", "--help").output
    assert "* ID [grid, municipality]:" in help_text



def test_an_item_with_a_wrong_id_is_named_by_its_line(app, tmp_path):
    """Found by an operator trial: "* BAD ID!: x" was read as preamble, and the error said the file
    had no items at all."""
    result = _cli(app, "terms", "publish", _write(tmp_path, "items.md", "前文です。\n\n* BAD ID!: 同意します。\n"),
                  "--kind", "items", "--version", "2.0", "--effective", "2025-06-10", "--summary", "制定")
    assert result.exit_code != 0 and ("Line 3" in result.output or "3 行目" in result.output), result.output
    assert _versions() == []


def test_cli_errors_are_one_line_and_store_nothing(app, tmp_path):
    publish("terms", "1.0", TERMS_1)
    good = _write(tmp_path, "t.md", TERMS_2)
    cases = [
        ([good, "--kind", "terms", "--version", "1.0", "--effective", "2025-07-01", "--summary", "x"], "1.0"),
        ([good, "--kind", "terms", "--version", "0.9", "--effective", "2025-07-01", "--summary", "x"], "higher"),
        ([good, "--kind", "terms", "--version", "v2", "--effective", "2025-07-01", "--summary", "x"], "version"),
        # 1.05 would read as 1.5: leading zeros make two spellings of one number.
        ([good, "--kind", "terms", "--version", "1.05", "--effective", "2025-07-01", "--summary", "x"], "leading zeros"),
        ([good, "--kind", "terms", "--version", "2.0", "--effective", "2025-06-09", "--summary", "x"], "past"),
        ([good, "--kind", "terms", "--version", "2.0", "--effective", "2025-02-30", "--summary", "x"], "date"),
        ([good, "--kind", "terms", "--version", "2.0", "--effective", "9999-12-31", "--summary", "x"], "2099-12-31"),
        ([good, "--kind", "terms", "--version", "2.0", "--effective", "2025-07-01", "--summary", ""], "summary"),
        ([str(tmp_path / "missing.md"), "--kind", "terms", "--version", "2.0", "--effective", "2025-07-01",
          "--summary", "x"], "cannot read"),
        ([_write(tmp_path, "sjis.md", "利用規約", "shift_jis"), "--kind", "terms", "--version", "2.0",
          "--effective", "2025-07-01", "--summary", "x"], "UTF-8"),
        ([_write(tmp_path, "nul.md", "利用\x00規約"), "--kind", "terms", "--version", "2.0",
          "--effective", "2025-07-01", "--summary", "x"], "characters"),
        ([_write(tmp_path, "bad-items.md", "前文\n\n* purpose: よい\nこれは項目ではない\n"), "--kind", "items",
          "--version", "1.0", "--effective", "2025-07-01", "--summary", "x"], "Line 4"),
        ([_write(tmp_path, "dup-items.md", "* a1: x\n* a1: y\n"), "--kind", "items",
          "--version", "1.0", "--effective", "2025-07-01", "--summary", "x"], "a1"),
        ([_write(tmp_path, "cat-items.md", "* a1 [retail]: x\n"), "--kind", "items",
          "--version", "1.0", "--effective", "2025-07-01", "--summary", "x"], "Line 1"),
        # An unknown category is named, with the ones there are (not only "not in the expected format").
        ([_write(tmp_path, "cat2-items.md", "* a1: x\n* a2 [grid, nosuch]: y\n"), "--kind", "items",
          "--version", "1.0", "--effective", "2025-07-01", "--summary", "x"], "Line 2 of the consent items names "
                                                                               "an unknown organisation category: nosuch"),
    ]
    for args, expected in cases:
        result = _cli(app, "terms", "publish", *args)
        assert result.exit_code != 0, args
        message = (getattr(result, "stderr", "") or result.output).strip()
        assert message.startswith("error: ") and "\n" not in message, message
        assert expected in message, (expected, message)
    assert [v.version for v in _versions()] == ["1.0"]
    assert db.session.scalar(select(OutboxMail.id)) is None


def test_full_width_version_and_date_from_an_ime_are_accepted(app, tmp_path):
    result = _cli(app, "terms", "publish", _write(tmp_path, "t.md", TERMS_1), "--kind", "terms",
                  "--version", "３．２", "--effective", "２０２５-０７-０１", "--summary", "制定")
    assert result.exit_code == 0, result.output
    assert _versions()[0].version == "3.2"


def test_administrator_writes_a_draft_previews_it_and_publishes(app, client, world, sign_in, smtp):
    publish("terms", "1.0", TERMS_1)
    sign_in(client, world.sysadmin)
    from tests.consent.helpers import accept_everything

    accept_everything(client)
    new = client.get("/admin/terms/new?kind=terms").get_data(as_text=True)
    assert "本規約は、本システムの利用条件を定める。" in new  # a revision starts from the current text
    items_page = client.get("/admin/terms/new?kind=items").get_data(as_text=True)
    assert "Consent-items file" not in items_page and "直前の項目の続き" in items_page  # found by a UI review
    response = client.post("/admin/terms/new", data={
        "kind": "terms", "version": "1.1", "effective_on": "2025-07-20", "summary": "通知方法の明確化",
        "body": TERMS_2, "csrf_token": csrf_from(new)})
    assert response.status_code == 303
    draft = [v for v in _versions() if v.version == "1.1"][0]
    assert draft.state == "draft"
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<ins><span class=\"vh\"" in preview and "電子メールで" in preview
    # A draft is not public and nobody is asked to accept it.
    assert client.get("/terms/1.1").status_code == 404
    edit = client.get(f"/admin/terms/{draft.id}/edit").get_data(as_text=True)
    response = client.post(f"/admin/terms/{draft.id}/edit", data={
        "kind": "terms", "version": "1.1", "effective_on": "2025-07-21", "summary": "通知方法の明確化（修正）",
        "body": TERMS_2, "csrf_token": csrf_from(edit)})
    assert response.status_code == 303
    smtp.clear()
    published = client.post(f"/admin/terms/{draft.id}/publish", data={"csrf_token": csrf_from(edit)})
    assert published.status_code == 303
    assert smtp.last_to(world.city_operator.email, timeout=10).subject.count("1.1") == 1
    row = [v for v in _versions() if v.version == "1.1"][0]
    assert row.state == "published" and row.effective_on.isoformat() == "2025-07-21"
    public = client.get("/terms").get_data(as_text=True)
    assert "2025-07-21" in public and "通知方法の明確化（修正）" in public
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent))]
    assert kinds.count("terms.draft_saved") == 2 and "terms.published" in kinds


def test_published_versions_never_change(app, client, world, sign_in):
    import pytest

    version = publish("items", "1.0", ITEMS_1)
    sign_in(client, world.sysadmin)
    accept = client.get("/consent").get_data(as_text=True)
    csrf = csrf_from(accept)
    refused = client.post(f"/admin/terms/{version.id}/edit", data={
        "kind": "items", "version": "1.0", "effective_on": "2025-06-10", "summary": "x", "body": "* a1: x",
        "csrf_token": csrf})
    assert refused.status_code == 303
    assert client.post(f"/admin/terms/{version.id}/delete", data={"csrf_token": csrf}).status_code == 303
    assert client.post(f"/admin/terms/{version.id}/publish", data={"csrf_token": csrf}).status_code == 303
    db.session.expire_all()
    row = db.session.get(DocumentVersion, version.id)
    assert row.summary == "改定" and len(row.items) == 3
    row.body = "書き換え"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    item = db.session.scalars(select(ConsentItem)).first()
    item.text = "書き換え"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_a_new_draft_is_titled_with_its_document(world, browser_for):
    """Found by a browser review: a new draft of the terms and one of the privacy policy were both
    「新しい下書き」, in the tab and in the heading."""
    import re

    from webapp.i18n import LOCALE_COOKIE

    admin = browser_for(world.sysadmin)
    for language, titles in (
        ("ja", {"terms": "利用規約の新しい下書き", "privacy": "プライバシーポリシーの新しい下書き"}),
        ("en", {"terms": "New draft of the Terms of use", "privacy": "New draft of the Privacy policy"}),
    ):
        admin.set_cookie(LOCALE_COOKIE, language)
        for kind, title in titles.items():
            page = admin.get(f"/admin/terms/new?kind={kind}").get_data(as_text=True)
            assert re.search(r"<title>(.*?) - ", page).group(1) == title and f"<h1>{title}</h1>" in page


def test_only_system_administrators_manage_documents(app, client, world, sign_in):
    sign_in(client, world.grid_responsible)
    assert client.get("/admin/terms").status_code == 403
    assert client.get("/admin/terms/new").status_code == 403


def test_bad_form_input_gets_a_message_and_stores_nothing(app, client, world, sign_in):
    sign_in(client, world.sysadmin)
    page = client.get("/admin/terms/new").get_data(as_text=True)
    csrf = csrf_from(page)
    bad = [
        {"kind": "terms", "version": "1.0", "effective_on": "2025-07-01", "summary": "x", "body": ""},
        {"kind": "bogus", "version": "1.0", "effective_on": "2025-07-01", "summary": "x", "body": "y"},
        {"kind": "terms", "version": "1.0'; DROP TABLE users;--", "effective_on": "2025-07-01", "summary": "x",
         "body": "y"},
        {"kind": "terms", "version": "1.0", "effective_on": "2025-07-01", "summary": "x\x00", "body": "y"},
        {"kind": "items", "version": "1.0", "effective_on": "2025-07-01", "summary": "x", "body": "no items here"},
        {"kind": "terms", "version": "1.0", "effective_on": "yesterday", "summary": "x", "body": "y"},
        {"kind": "terms", "version": "1.0", "effective_on": "0001-01-01", "summary": "x", "body": "y"},
        {"kind": "terms", "version": "1.0", "effective_on": "9999-12-31", "summary": "x", "body": "y"},
        {"kind": "terms", "version": "1.0", "effective_on": "2025-07-01", "summary": "x", "body": "y" * 300_000},
    ]
    for data in bad:
        response = client.post("/admin/terms/new", data={**data, "csrf_token": csrf})
        assert response.status_code in (400, 413), data["kind"]
    assert _versions() == []


def test_markdown_is_rendered_safely(app, client):
    publish("terms", "1.0", "# 規約\n\n<script>alert(1)</script>\n\n[危険](javascript:alert(1)) "
                            "[データ](data:text/html,x) [正規](https://example.jp/a) [相対](/privacy)\n\n"
                            "![画像](https://evil.example/x.png)")
    html = client.get("/terms").get_data(as_text=True)
    body = html.split('data-testid="document"')[1]
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert 'href="javascript:' not in body and 'href="data:' not in body
    assert '<a href="https://example.jp/a">正規</a>' in body and '<a href="/privacy">相対</a>' in body
    assert "<img" not in body


def test_two_clicks_on_publish_at_once_mail_everyone_once(app, client, world, sign_in, smtp, monkeypatch):
    """Both clicks read a draft (on PostgreSQL nothing serialises them): one publishes and mails
    every active user, the other is told the version is no longer a draft and mails nobody."""
    from sqlalchemy import update

    from webapp.consent import publishing

    needs_overlapping_writers(app)
    publish("terms", "1.0", TERMS_1)
    sign_in(client, world.sysadmin)
    from tests.consent.helpers import accept_everything

    accept_everything(client)
    new = client.get("/admin/terms/new?kind=terms").get_data(as_text=True)
    client.post("/admin/terms/new", data={"kind": "terms", "version": "1.1", "effective_on": "2030-07-20",
                                          "summary": "通知方法の明確化", "body": TERMS_2, "csrf_token": csrf_from(new)})
    draft_id = [v for v in _versions() if v.version == "1.1"][0].id
    real_check = publishing._check_publishable

    def check_while_the_other_click_publishes(row):  # type: ignore[no-untyped-def]
        real_check(row)
        with db.engine.begin() as other:
            other.execute(update(DocumentVersion).where(DocumentVersion.id == draft_id).values(state="published"))

    monkeypatch.setattr(publishing, "_check_publishable", check_while_the_other_click_publishes)
    queued_before = len(list(db.session.scalars(select(OutboxMail))))
    late = client.post(f"/admin/terms/{draft_id}/publish", data={"csrf_token": csrf_from(new)})
    assert late.status_code == 303 and late.headers["Location"].endswith(f"/admin/terms/{draft_id}")
    assert "変更できるのは下書きのみです" in client.get(late.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert len(list(db.session.scalars(select(OutboxMail)))) == queued_before, "no second round of mail"

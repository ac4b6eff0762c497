"""Japanese is the default language: every text in code and templates must have a translation."""
from webapp import i18n_tools


def test_every_message_has_a_japanese_translation():
    gaps = i18n_tools.missing("ja")
    listing = "\n".join(f"{places[0]}: {msgid}" for msgid, places in sorted(gaps.items(), key=lambda kv: kv[1][0]))
    assert not gaps, f"{len(gaps)} messages lack a Japanese translation (python -m webapp.i18n_tools missing):\n{listing}"


def test_the_catalogs_hold_no_translation_of_a_text_that_is_gone():
    """A text reworded in the code leaves its old translation behind, where nobody maintains it."""
    in_use = i18n_tools.extracted()
    assert sorted(msgid for msgid in i18n_tools.translated("ja") if msgid not in in_use) == []


def test_japanese_translations_keep_their_placeholders():
    import re

    pattern = re.compile(r"%\((\w+)\)[sd]")
    for msgid, msgstr in i18n_tools.translated("ja").items():
        assert set(pattern.findall(msgid)) == set(pattern.findall(msgstr)), msgid


def test_templates_follow_the_visitor_language_and_a_forced_one(app):
    """Pages follow the language cookie; mail rendered under force_locale (announcements in
    Japanese) uses the forced catalog even in a request that already rendered English."""
    from flask import render_template_string
    from flask_babel import force_locale

    from webapp.i18n import LOCALE_COOKIE

    template = '{{ _("Sign out") }}'
    # Each request in an app context of its own, as when serving (g belongs to the app context).
    with app.app_context(), app.test_request_context("/", headers={"Cookie": f"{LOCALE_COOKIE}=en"}):
        assert render_template_string(template) == "Sign out"
        with force_locale("ja"):
            assert render_template_string(template) == "ログアウト"
        assert render_template_string(template) == "Sign out"
    with app.app_context(), app.test_request_context("/"):
        assert render_template_string(template) == "ログアウト"


def test_catalogs_missing_from_a_checkout_are_compiled_at_start(tmp_path):
    """`.mo` files are build output (not in git): an installation started without `make` still
    comes up in Japanese, and a stale catalog is rebuilt after its .po changed."""
    import os
    import shutil

    from babel.support import Translations

    from webapp.i18n import TRANSLATIONS, compile_catalogs

    copy = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo"))
    compiled = compile_catalogs(copy)
    assert len(compiled) == len(list(copy.glob("*/*/LC_MESSAGES/messages.po"))) > 0
    japanese = Translations.load(str(copy / "core"), ["ja"])
    assert japanese.ugettext("Sign out") == "ログアウト"
    assert compile_catalogs(copy) == []  # up to date: nothing to do
    po = copy / "core/ja/LC_MESSAGES/messages.po"
    later = po.with_suffix(".mo").stat().st_mtime + 10
    os.utime(po, (later, later))
    assert compile_catalogs(copy) == [po.with_suffix(".mo")]


def test_every_form_leaves_checking_to_the_portal_and_its_catalog():
    """Found by a UI review: the browser's own bubbles ("Please fill out this field.") showed in the
    browser's language on Japanese pages; the portal's messages came only once they were bypassed."""
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    unchecked = [f"{path.relative_to(templates)}: {tag[:80]}"
                 for path in templates.rglob("*.html")
                 for tag in re.findall(r"<form\b[^>]*>", path.read_text(encoding="utf-8"))
                 if 'method="post"' in tag and "novalidate" not in tag]
    assert unchecked == []


def test_a_persons_roles_are_joined_with_the_readers_punctuation(world, browser_for):
    """Found by a browser review: the English header read "Administrator・Operator" on every page."""
    from webapp.extensions import db
    from webapp.i18n import LOCALE_COOKIE

    world.grid_admin.roles = "org_admin operator"
    db.session.commit()
    admin = browser_for(world.grid_admin)
    for language, joined in (("en", "Administrator, Operator"), ("ja", "管理者・利用者")):
        admin.set_cookie(LOCALE_COOKIE, language)
        assert f'data-testid="signed-in-role">{joined}<' in admin.get("/dashboard").get_data(as_text=True)
        assert f"<dd>{joined}</dd>" in admin.get(f"/users/{world.grid_admin.login_id}").get_data(as_text=True)

"""Japanese is the default language: every text in code and templates must have a translation."""
from webapp import i18n_tools


def test_every_message_has_a_japanese_translation():
    gaps = i18n_tools.missing("ja")
    listing = "\n".join(f"{places[0]}: {msgid}" for msgid, places in sorted(gaps.items(), key=lambda kv: kv[1][0]))
    assert not gaps, f"{len(gaps)} messages lack a Japanese translation (python -m webapp.i18n_tools missing):\n{listing}"


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

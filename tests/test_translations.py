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

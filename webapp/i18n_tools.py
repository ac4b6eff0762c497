"""Catalog checks: every msgid in the code and templates has a Japanese translation.

    python -m webapp.i18n_tools missing [PATH_PREFIX]   # print missing entries as .po text
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
METHODS = [("**.py", "python"), ("**.html", "jinja2"), ("**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "ngettext": (1, 2), "lazy_ngettext": (1, 2),
            "pgettext": ((1, "c"), 2)}


def _key(msgid: str, context: str | None) -> str:
    """A message with a context (the same English, other Japanese) is its own entry, as gettext keys it."""
    return f"{context}\x04{msgid}" if context else msgid


def extracted() -> dict[str, list[str]]:
    """msgid -> source locations, from webapp/ and templates/."""
    found: dict[str, list[str]] = defaultdict(list)
    for folder in ("webapp", "templates"):
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(ROOT / folder), METHODS, keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.do"}},
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found[_key(msgid, context)].append(f"{folder}/{filename}:{lineno}")
    return found


def translated(locale: str = "ja") -> dict[str, str]:
    messages: dict[str, str] = {}
    for po_path in sorted(TRANSLATIONS.glob(f"*/{locale}/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                value = message.string[0] if isinstance(message.string, tuple) else message.string
                messages[_key(key, message.context)] = value
    return messages


def missing(locale: str = "ja", prefix: str = "") -> dict[str, list[str]]:
    have = translated(locale)
    return {
        msgid: places for msgid, places in extracted().items()
        if msgid not in have and any(p.startswith(prefix) for p in places)
    }


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "missing":
        print(__doc__)
        return 2
    prefix = argv[1] if len(argv) > 1 else ""
    gaps = missing(prefix=prefix)
    for key, places in sorted(gaps.items(), key=lambda kv: kv[1][0]):
        context, _sep, msgid = key.rpartition("\x04")
        msgctxt = f"msgctxt \"{_po_escape(context)}\"\n" if context else ""
        print(f"#: {' '.join(places[:3])}\n{msgctxt}msgid \"{_po_escape(msgid)}\"\nmsgstr \"\"\n")
    print(f"# {len(gaps)} missing", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

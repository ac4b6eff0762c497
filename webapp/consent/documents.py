"""Pure helpers for document text: version numbers, the consent-items format, safe Markdown, hashes.

No Flask here: the CLI, the web form and the tests share these rules.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from markdown_it import MarkdownIt

from webapp.forms import BIDI_CONTROLS
from webapp.orgs.models import CATEGORIES

VERSION_PATTERN = re.compile(r"^(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3})){0,3}$")  # no leading zeros: 1.05 would read as 1.5
ITEM_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# The per-document boxes use these as their `item` values, so consent items cannot.
DOCUMENT_BOX_IDS = ("terms", "privacy")
MAX_BODY_CHARS = 200_000
MAX_ITEM_CHARS = 2000
MAX_ITEMS = 50

ITEMS_FORMAT_HELP = """\
Consent-items file (UTF-8 text). Optional preamble in Markdown first; then one
item per line starting with "* ID:" where ID is 2-40 characters of a-z, 0-9
and "-" (stable across versions: it is the value users tick). Restrict an item
to organisation categories with "* ID [grid, municipality]:". Lines indented by
two or more spaces continue the item above. Categories: """ + ", ".join(CATEGORIES) + """.

"""
# The example alone is what the publishing page shows (its rules are in the page's own words).
ITEMS_FORMAT_EXAMPLE = """  本システムの利用に当たり、次の事項に同意してください。

  * purpose: 本システムは定められた目的に限って利用します。
  * grid-no-retail [grid]: 閲覧した設備情報を小売事業に利用しません。
"""
ITEMS_FORMAT_HELP += ITEMS_FORMAT_EXAMPLE


class DocumentError(ValueError):
    """Input a document version cannot be made of: a code and its details (messages.py words it)."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class ItemSpec:
    key: str
    text: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemsDocument:
    preamble: str
    items: tuple[ItemSpec, ...]


def normalise_input(value: str) -> str:
    """Full-width digits and dots typed by Japanese IMEs become ASCII."""
    return unicodedata.normalize("NFKC", value or "").strip()


def parse_version(value: str) -> str:
    text = normalise_input(value)
    if not VERSION_PATTERN.fullmatch(text):
        raise DocumentError("version")
    return text


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def parse_date(value: str) -> date:
    """YYYY-MM-DD, a Japan date."""
    text = normalise_input(value)
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise DocumentError("date")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise DocumentError("date") from exc
    # A mistyped year (0001, 9999) would not fit the clock's range, or would stand before every
    # later version for good: published versions cannot be taken back.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DocumentError("date_range")
    return day


def clean_text(value: str) -> str:
    """One newline style, no trailing spaces; refuses control characters and broken encodings."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if any((ord(ch) < 32 and ch not in "\n\t") or ord(ch) == 127 or ch in BIDI_CONTROLS for ch in text) \
            or "\ufffd" in text:
        raise DocumentError("characters")
    if len(text) > MAX_BODY_CHARS:
        raise DocumentError("length", n=MAX_BODY_CHARS)
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


_ITEM_LINE = re.compile(r"^\*\s+([^\s:\[]+)\s*(?:\[([^\]]*)\])?\s*:\s*(.*)$")
_LOOKS_LIKE_ITEM = re.compile(r"^\*\s+[^:]{1,60}:")


def parse_items(text: str) -> ItemsDocument:
    """The consent-items format (see ITEMS_FORMAT_HELP); errors name the line."""
    preamble: list[str] = []
    items: list[list] = []  # [key, [text lines], categories, line number]
    for number, line in enumerate(clean_text(text).split("\n"), start=1):
        match = _ITEM_LINE.match(line)
        if match:
            items.append([match.group(1), [match.group(3).strip()], _categories(match.group(2), number), number])
        elif not items:
            preamble.append(line)
        elif line.startswith("  ") and line.strip():
            items[-1][1].append(line.strip())
        elif line.strip():
            raise DocumentError("items_line", line=number)
    if not items:
        # An item with a wrong ID ("* BAD ID!: ...") reads as preamble; name its line, not "no items".
        for number, line in enumerate(preamble, start=1):
            if _LOOKS_LIKE_ITEM.match(line):
                raise DocumentError("items_line", line=number)
    specs = tuple(_item(key, "".join(lines), cats, number) for key, lines, cats, number in items)
    _check_items(specs)
    return ItemsDocument("\n".join(preamble).strip(), specs)


def _categories(text: str | None, number: int) -> tuple[str, ...]:
    if text is None:
        return ()
    names = tuple(sorted({c.strip() for c in text.split(",") if c.strip()}))
    unknown = [name for name in names if name not in CATEGORIES]
    if unknown:
        raise DocumentError("items_category", line=number, names=", ".join(unknown),
                            known=", ".join(CATEGORIES))
    if not names:
        raise DocumentError("items_line", line=number)
    return names


def _item(key: str, text: str, categories: tuple[str, ...], number: int) -> ItemSpec:
    if not ITEM_ID_PATTERN.fullmatch(key) or key in DOCUMENT_BOX_IDS:
        raise DocumentError("items_line", line=number)
    if not text or len(text) > MAX_ITEM_CHARS:
        raise DocumentError("items_line", line=number)
    return ItemSpec(key, text, categories)


def _check_items(specs: tuple[ItemSpec, ...]) -> None:
    if not specs:
        raise DocumentError("no_items")
    if len(specs) > MAX_ITEMS:
        raise DocumentError("too_many_items", n=MAX_ITEMS)
    keys = [s.key for s in specs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise DocumentError("duplicate_items", ids=", ".join(duplicates))


def format_items(preamble: str, items: Iterable[ItemSpec]) -> str:
    """The inverse of parse_items: how a stored version is shown in the edit form."""
    lines = [preamble.strip(), ""] if preamble.strip() else []
    for item in items:
        cats = f" [{', '.join(item.categories)}]" if item.categories else ""
        lines.append(f"* {item.key}{cats}: {item.text}")
    return "\n".join(lines)


def items_as_text(preamble: str, items: Iterable[ItemSpec]) -> str:
    """The items as paragraphs: what the comparison table lines up and what the hash covers."""
    paragraphs = [preamble.strip()] if preamble.strip() else []
    for item in items:
        target = f"（{', '.join(item.categories)}）" if item.categories else ""
        paragraphs.append(f"[{item.key}]{target} {item.text}")
    return "\n\n".join(paragraphs)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _safe_link(url: str) -> bool:
    """Only http(s) and same-site links: no javascript:, data:, mailto: or other schemes."""
    target = url.strip().lower()
    scheme = re.match(r"^([a-z][a-z0-9+.-]*):", target)
    return scheme is None or scheme.group(1) in {"http", "https"}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})  # raw HTML is escaped, never passed through
    md.disable("image")  # no remote images (CSP forbids them anyway)
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


_MD = _markdown()


def render_markdown(text: str, heading_offset: int = 2) -> str:
    """HTML for a document body; safe to mark |safe in a template.

    Headings move down (# becomes <h3>) so a document sits under the page's own headings.
    """
    tokens = _MD.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + heading_offset, 6)}"
    return _MD.renderer.render(tokens, _MD.options, {})

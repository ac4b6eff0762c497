"""Compile the translation catalogs as `make translations` does, so a plain pytest run sees Japanese."""
from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "webapp" / "translations"


def compile_stale_catalogs() -> None:
    for po in sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parents[1].name)
        partial = mo.with_name(f"messages.mo.{os.getpid()}.tmp")  # parallel workers: rename is atomic
        with partial.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=True)
        os.replace(partial, mo)

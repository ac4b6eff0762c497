"""Locale choice (Japanese unless the visitor picked English with /lang/<code>) and the
translation callables templates use."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterable

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request
from flask_babel import get_translations, pgettext
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

LOCALES = ("ja", "en")
LOCALE_COOKIE = "sekisho_lang"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(folder: Path = TRANSLATIONS) -> list[Path]:
    """Compile each catalog whose .mo is missing or older than its .po: a checkout started
    without `make` would otherwise show English everywhere (and refuse Japanese CSV headers).
    Returns what it compiled; a folder it may not write to is logged, not fatal."""
    compiled = []
    for po in sorted(folder.glob("*/*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parents[1].name)
            partial = mo.with_name(f".{mo.name}.{os.getpid()}")  # two processes starting at once
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo)
        except OSError as refused:
            logging.getLogger(__name__).warning("cannot compile %s: %s", po, refused)
            continue
        compiled.append(mo)
    return compiled


def select_locale() -> str:
    try:
        chosen = request.cookies.get(LOCALE_COOKIE)
    except RuntimeError:  # outside a request (CLI, scheduler): the default catalog
        return "ja"
    return chosen if chosen in LOCALES else "ja"


def _translations() -> Any:
    """This context's catalog, looked up once per locale instead of on every string.

    A page calls gettext a few dozen times, and Flask-Babel resolves its context, domain and
    locale name each time (half of a page's rendering). The memo is keyed on the locale object
    Flask-Babel keeps for the context, so force_locale() (mail in the recipient's language)
    still switches catalogs.
    """
    state = g.get("_flask_babel")  # where Flask-Babel keeps the context's locale
    memo = g.get("_sekisho_translations")
    locale = getattr(state, "babel_locale", None)
    if memo is None or locale is None or memo[0] is not locale:
        translations = get_translations()
        memo = (getattr(g.get("_flask_babel"), "babel_locale", None), translations)
        g._sekisho_translations = memo
    return memo[1]


def join_list(items: Iterable[Any]) -> str:
    """Items named one after another in a sentence: 「、」 between them in Japanese, ", " in English."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def join_names(items: Iterable[Any]) -> str:
    """Short names side by side (a person's roles): 「・」 between them in Japanese, ", " in English."""
    return pgettext("separator of short names", ", ").join(str(item) for item in items)


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """`_()` in templates, as Jinja's new-style gettext does it (escape-aware, always `%`-formatted)
    but in one call instead of three nested ones: pages call it a few dozen times."""
    translated = _translations().ugettext(string)
    if eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables  # type: ignore[no-any-return]


def install_template_gettext(app: Flask) -> None:
    """Replace the callables Flask-Babel gave Jinja with ones using the memoised catalog."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = _template_gettext

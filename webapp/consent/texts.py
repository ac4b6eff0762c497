"""Names and messages of the consent feature, translated where they are shown."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.i18n import join_list

KIND_LABELS = {
    "terms": _l("Terms of use"),
    "privacy": _l("Privacy policy"),
    "items": _l("Consent items"),
}

# Where each kind is published for everyone to read (also used in mails, outside a request).
PUBLIC_PATHS = {"terms": "/terms", "privacy": "/privacy", "items": "/consent-items"}

CATEGORY_LABELS = {
    "operator": _l("System operator"),
    "certified": _l("Certified operator"),
    "grid": _l("General transmission and distribution operator"),
    "scheme": _l("Scheme administrator"),
    "municipality": _l("Municipality or ministry"),
}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def category_labels(categories: Any) -> str:
    return join_list(CATEGORY_LABELS.get(c, c) for c in sorted(categories))


def document_error(code: str, details: dict[str, Any]) -> str:
    """The message for a DocumentError or PublishRefused code."""
    messages = {
        "kind": lambda: _("Choose the terms of use, the privacy policy or the consent items."),
        "version": lambda: _("The version number must look like 3 or 3.2 (numbers separated by dots, "
                             "without leading zeros)."),
        "date": lambda: _("The effective date must be a date written as YYYY-MM-DD."),
        "date_range": lambda: _("The effective date must lie between 2000-01-01 and 2099-12-31."),
        "characters": lambda: _("The text contains characters that cannot be used."),
        "length": lambda: _("The text is too long (at most %(n)d characters).", n=details.get("n", 0)),
        "items_line": lambda: _(
            "Line %(line)d of the consent items is not in the expected format "
            "(\"* item-id: text\" or \"* item-id [grid]: text\").", line=details.get("line", 0)),
        "items_category": lambda: _(
            "Line %(line)d of the consent items names an unknown organisation category: %(names)s "
            "(the categories are %(known)s).", line=details.get("line", 0), names=details.get("names", ""),
            known=details.get("known", "")),
        "no_items": lambda: _("The consent items contain no item (lines starting with \"* item-id:\")."),
        "too_many_items": lambda: _("At most %(n)d consent items are allowed.", n=details.get("n", 0)),
        "duplicate_items": lambda: _("Item IDs must be unique; used more than once: %(ids)s",
                                     ids=details.get("ids", "")),
        "empty_body": lambda: _("The document text is empty."),
        "summary": lambda: _("Enter a revision-history summary of what changed (at most 1000 characters)."),
        "duplicate_version": lambda: _("Version %(version)s of this document already exists.",
                                       version=details.get("version", "")),
        "not_newer": lambda: _("The version number must be higher than the latest published version %(version)s.",
                               version=details.get("version", "")),
        "past_date": lambda: _("The effective date cannot be in the past (today is %(today)s).",
                               today=details.get("today", "")),
        "before_latest": lambda: _(
            "The effective date cannot be earlier than that of version %(version)s (%(date)s).",
            version=details.get("version", ""), date=details.get("date", "")),
        "not_draft": lambda: _("Only a draft can be changed; published versions never change."),
    }
    return messages.get(code, lambda: _("The document could not be saved."))()

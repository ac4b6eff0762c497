"""A browser's User-Agent in words a person recognises ("Chrome on Windows"), for the pages
that list sessions; the whole string stays available beside it (a title) and in the audit log."""
from __future__ import annotations

import re

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe(agent: str) -> str:
    """"Chrome on Windows"; the part that is known; or the start of the string itself."""
    browser = next((name for marker, name in _BROWSERS if marker in agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in agent), "")
    if browser and system:
        return f"{browser} / {system}"
    if browser or system:
        return browser or system
    shown = re.sub(r"\s+", " ", agent).strip()
    return shown if len(shown) <= 24 else shown[:23] + "…"


def browser_of(agent: str) -> str:
    """The browser's name alone ("Chrome"), or the whole description when it is not one we know."""
    return next((name for marker, name in _BROWSERS if marker in agent), "") or describe(agent)

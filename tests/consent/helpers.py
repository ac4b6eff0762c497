"""Publishing documents and filling in the consent form the way a user's browser does."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from webapp import clock
from webapp.consent import publishing
from webapp.consent.models import ConsentAcceptance
from webapp.extensions import db

TERMS_1 = """# 利用規約

## 第1条（目的）

本規約は、本システムの利用条件を定める。

## 第2条（変更）

運営者は、30日前までに通知して本規約を変更することができる。
"""

TERMS_2 = TERMS_1.replace("30日前までに通知して", "30日前までに電子メールで通知して")

PRIVACY_1 = """# プライバシーポリシー

運営者は、利用者の氏名及び電子メールアドレスを、本人確認のために利用する。
"""

ITEMS_1 = """次の事項に同意してください。

* purpose: 本システムを目的の範囲内でのみ利用します。
* credentials: IDとパスワードを他人と共用しません。
* grid-no-retail [grid]: 閲覧した設備情報を小売事業に利用しません。
"""


def publish(kind: str, version: str, body: str, *, effective: str | None = None, summary: str = "改定",
            notify: bool = False, must_read: bool = False) -> Any:
    """Publish through the same service the CLI and the web form use."""
    day = effective or clock.now_jst().date().isoformat()
    data = publishing.DraftInput(kind, version, day, summary, body, must_read)
    return publishing.publish_new(data, notify=notify).version


def publish_all() -> dict[str, Any]:
    return {
        "terms": publish("terms", "1.0", TERMS_1),
        "privacy": publish("privacy", "1.0", PRIVACY_1),
        "items": publish("items", "1.0", ITEMS_1),
    }


def form_values(html: str) -> tuple[list[str], list[str]]:
    """The version ids (hidden fields) and item values (checkboxes) the consent page shows."""
    versions = re.findall(r'name="version" value="([^"]+)"', html)
    items = re.findall(r'name="item" value="([^"]+)"', html)
    return versions, items


def submit(client: Any, versions: list[str], items: list[str], csrf: str, **headers: str) -> Any:
    return client.post("/consent", data={"version": versions, "item": items, "csrf_token": csrf},
                       headers=headers)


def accept_everything(client: Any) -> Any:
    from tests.conftest import csrf_from

    html = client.get("/consent").get_data(as_text=True)
    versions, items = form_values(html)
    return submit(client, versions, items, csrf_from(html))


def acceptance_count() -> int:
    db.session.expire_all()
    return db.session.query(ConsentAcceptance).count()


class _Languages(HTMLParser):
    """The language (the nearest lang attribute) of each piece of text in a page."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str | None]] = []
        self.texts: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs).get("lang")))

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if data.strip():
            lang = next((lang for _tag, lang in reversed(self.stack) if lang), None)
            self.texts.append((data.strip(), lang))


def language_of(html: str, text: str) -> list[str | None]:
    """The language of every piece of the page's text that contains `text`."""
    parser = _Languages()
    parser.feed(html)
    return [lang for data, lang in parser.texts if text in data]

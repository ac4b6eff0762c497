"""The base layout: who is signed in (name, organisation, role) on every page, a skip link,
and forms a screen reader and a keyboard can use (every field has a label)."""
from __future__ import annotations

from html.parser import HTMLParser

from tests.auth.steps import submit_password


class FormAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labelled_ids: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.label_depth = 0
        self.first_link: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and self.first_link is None:
            self.first_link = a.get("href")
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.labelled_ids.add(a["for"] or "")
        if tag in {"input", "select", "textarea"} and a.get("type") not in {"hidden", "submit"}:
            self.inputs.append({**a, "_wrapped": "yes" if self.label_depth else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self) -> list[str]:
        return [str(i.get("name")) for i in self.inputs if not i["_wrapped"] and i.get("id") not in self.labelled_ids]


def audit(html: str) -> FormAudit:
    parser = FormAudit()
    parser.feed(html)
    return parser


def test_header_names_the_person_their_organisation_and_role(client, world, sign_in):
    sign_in(client, world.grid_responsible)
    for path in ("/dashboard", "/account/sessions", "/no/such/page"):
        html = client.get(path).get_data(as_text=True)
        assert f'data-testid="signed-in-as">{world.grid_responsible.name}<' in html, path
        assert f'data-testid="signed-in-organisation">{world.grid.name}<' in html, path
        assert ("システム利用責任者" in html) or ("Responsible person" in html), path


def test_skip_link_comes_first_and_every_field_has_a_label(client, world, sign_in, smtp, clock):
    pages = {"/login": client.get("/login").get_data(as_text=True)}
    submit_password(client, world.grid_operator.login_id)
    pages["/login/code"] = client.get("/login/code").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": _token(pages["/login/code"])})
    clock.advance(seconds=61)  # the next code mail may go
    sign_in(client, world.grid_operator)
    for path in ("/dashboard", "/account/sessions", "/account/password", "/account/authenticator"):
        pages[path] = client.get(path).get_data(as_text=True)
    for path, html in pages.items():
        parsed = audit(html)
        assert parsed.first_link == "#main", f"{path}: the skip link must be the first link"
        assert 'id="main"' in html, path
        assert not parsed.unlabelled(), f"{path}: fields without a label: {parsed.unlabelled()}"


def _token(html: str) -> str:
    from tests.conftest import csrf_from

    return csrf_from(html)

"""`portal demo` publishes the sample documents, so a demo user meets the consent page first."""
from __future__ import annotations

import json

from tests.consent.helpers import accept_everything, form_values


def test_demo_users_are_asked_to_consent_on_first_login(app, sign_in):
    result = app.test_cli_runner().invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    grid_operator = next(a for a in accounts if a["role"] == "operator" and "送配電" in a["organisation"])
    listing = app.test_cli_runner().invoke(args=["terms", "list"]).output
    assert [line.split()[:3] for line in listing.splitlines()] == [
        ["items", "1.0", "published"], ["privacy", "1.0", "published"], ["terms", "1.0", "published"]]

    class DemoUser:
        login_id = grid_operator["login_id"]
        email = grid_operator["email"]

    client = app.test_client()
    sign_in(client, DemoUser, grid_operator["password"])
    assert client.get("/dashboard").headers["Location"] == "/consent"
    html = client.get("/consent").get_data(as_text=True)
    assert "第11条（準拠法及び管轄裁判所）" in html
    _versions, items = form_values(html)
    assert items == ["terms", "privacy", "purpose", "no-other-use", "security-policy", "credentials",
                     "leak-report", "personnel-change", "grid-no-retail"]
    assert "data-must-read-to-end" in html  # the sample terms must be read to the end
    accept_everything(client)
    assert client.get("/dashboard").status_code == 200

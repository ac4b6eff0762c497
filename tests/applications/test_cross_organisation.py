"""An attacker holding a valid account of ANOTHER organisation: forged IDs in URLs, fields and htmx requests."""
from __future__ import annotations

import json
import unicodedata

import pytest

from tests.applications import steps
from tests.applications.steps import add_user_fields, decide, file, filed_id, post, text_of

HTMX = {"HX-Request": "true"}


def test_a_target_of_another_organisation_reads_like_an_unknown_id(world, browser_for):
    admin = browser_for(world.grid_admin)
    foreign = file(admin, kind="suspend", target=world.city_operator.login_id)
    unknown = file(admin, kind="suspend", target="u0000000")
    assert foreign.status_code == unknown.status_code == 400
    assert "no user with this user ID in your organisation" in steps.errors_of(foreign)
    assert steps.errors_of(foreign) == steps.errors_of(unknown)
    via_htmx = post(admin, "/applications/new", {"kind": "remove", "target": world.city_operator.login_id},
                    headers=HTMX)
    assert via_htmx.status_code == 400
    assert steps.count_applications() == 0
    assert steps.user(world.city_operator.login_id).status == "active"
    tried = [json.loads(entry.details)["tried"] for entry in steps.audit_entries("access.object_refused")]
    assert tried == [world.city_operator.login_id, "u0000000", world.city_operator.login_id]  # on the record


def test_full_width_login_id_is_the_same_user(world, browser_for):
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in world.grid_operator.login_id.upper())
    assert unicodedata.normalize("NFKC", wide).casefold() == world.grid_operator.login_id
    application_id = filed_id(file(browser_for(world.grid_admin), kind="suspend", target=wide))
    assert steps.application(application_id).target_user_id == world.grid_operator.id


def test_resubmission_cannot_swap_in_a_target_of_another_organisation(world, browser_for):
    admin = browser_for(world.grid_admin)
    application_id = filed_id(file(admin, kind="change", target=world.grid_operator.login_id, name="変更 後"))
    assert decide(browser_for(world.grid_responsible), application_id, "return", "部署も記入").status_code == 303
    forged = post(admin, f"/applications/{application_id}/edit",
                  {"target": world.city_operator.login_id, "name": "乗っ取り"})
    assert forged.status_code == 400
    kept = steps.application(application_id)
    assert kept.state == "returned" and kept.target_user_id == world.grid_operator.id


def test_objects_of_another_organisation_are_not_found(world, browser_for):
    city_application = filed_id(file(browser_for(world.city_admin), kind="suspend", target=world.city_operator.login_id))
    responsible = browser_for(world.grid_responsible)
    for headers in ({}, HTMX):
        assert responsible.get(f"/applications/{city_application}", headers=headers).status_code == 404
        assert decide(responsible, city_application, "approve", headers=headers).status_code == 404
        assert responsible.get(f"/users/{world.city_operator.login_id}", headers=headers).status_code == 404
        assert post(responsible, f"/users/{world.city_operator.login_id}/suspend", {"reason": "漏えいの疑い"},
                    headers=headers).status_code == 404
    assert post(browser_for(world.grid_admin), f"/applications/{city_application}/withdraw").status_code == 404
    assert steps.application(city_application).state == "submitted"
    assert steps.user(world.city_operator.login_id).status == "active"


def test_lists_show_only_the_own_organisation_whatever_the_query_says(world, browser_for):
    filed_id(file(browser_for(world.city_admin), **add_user_fields(email="city-new@test.example", name="市役所 新人")))
    filed_id(file(browser_for(world.grid_admin), **add_user_fields(email="grid-new@test.example", name="送配電 新人")))
    responsible = browser_for(world.grid_responsible)
    page = text_of(responsible.get(f"/applications?organisation={world.city.id}"))
    assert "送配電 新人" in page and "市役所 新人" not in page
    users = text_of(responsible.get(f"/users?organisation={world.city.id}&q=operator"))
    assert world.grid_operator.login_id in users and world.city_operator.login_id not in users
    sysadmin = browser_for(world.sysadmin)
    only_city = text_of(sysadmin.get(f"/applications?organisation={world.city.id}"))
    assert "市役所 新人" in only_city and "送配電 新人" not in only_city


def test_the_same_story_for_the_system_administrator_is_allowed(world, browser_for):
    city_application = filed_id(file(browser_for(world.city_admin), kind="suspend", target=world.city_operator.login_id))
    sysadmin = browser_for(world.sysadmin)
    assert sysadmin.get(f"/applications/{city_application}").status_code == 200
    assert sysadmin.get(f"/users/{world.city_operator.login_id}").status_code == 200


def test_whether_an_address_is_in_use_is_told_only_to_a_complete_application_and_recorded(world, browser_for):
    """Found by review: an incomplete form (no natural-person box) answered "already used", filed
    nothing and left no trace: a silent probe. (Of the organisation's own people: see below.)"""
    from tests.auth.steps import audit_events

    admin = browser_for(world.grid_admin)
    probe = add_user_fields(email=world.grid_responsible.email)
    del probe["natural_person"]
    incomplete = file(admin, **probe)
    assert incomplete.status_code == 400 and "already used" not in text_of(incomplete)
    assert audit_events("application.address_refused") == []
    complete = file(admin, **add_user_fields(email=world.grid_responsible.email))
    assert complete.status_code == 400 and "already used by another account" in text_of(complete)
    (entry,) = audit_events("application.address_refused")
    assert entry.actor_id == world.grid_admin.id and entry.target == world.grid_responsible.email
    assert steps.count_applications() == 0


def _alerts_of(kind: str) -> list:
    from sqlalchemy import select

    from webapp.alerts.models import Alert
    from webapp.extensions import db

    db.session.expire_all()
    return list(db.session.scalars(select(Alert).where(Alert.kind == kind)))


@pytest.mark.parametrize("holder", ["city_responsible", "sysadmin"])
def test_an_address_held_in_another_organisation_is_not_told_to_the_applicant(app, world, browser_for, smtp, holder):
    """Found by review: "already used by another account" for any address told an organisation's
    administrator who has an account anywhere (the system administrators too), one form at a time.
    Now such an address files like a free one; only the system administrators are alerted, and the
    approval waits until the address is settled."""
    held = getattr(world, holder)
    admin = browser_for(world.grid_admin)
    smtp.clear()
    probe, free = (file(admin, **add_user_fields(email=held.email.upper())),
                   file(admin, **add_user_fields(email="nobody.yet@test.example", name="別の 人")))
    assert probe.status_code == free.status_code == 303
    probe_id = filed_id(probe)
    page = text_of(admin.get(f"/applications/{probe_id}"))
    assert "used by another account" not in page and held.login_id not in page
    [alert] = _alerts_of("application.address_held_elsewhere")
    assert alert.organisation_id is None and alert.user_id == world.grid_admin.id
    assert held.login_id in alert.summary_en and f"No. {probe_id}" in alert.summary_en
    # Its mail leaves after the answer: sending it first made a held address's answer slower (a review)
    assert smtp.to(world.sysadmin.email) == []
    assert app.test_cli_runner().invoke(args=["mail", "flush"]).exit_code == 0
    [alert_mail] = smtp.to(world.sysadmin.email)  # the alert; nobody of either organisation is told of it
    assert alert_mail.subject == "【Sekisho】アラート：他組織のアドレスを含む申請"  # not a summary cut mid-sentence
    for person in (world.grid_responsible, world.city_responsible, world.grid_admin):
        assert not [m for m in smtp.to(person.email) if held.login_id in m.text]
    assert held.login_id not in text_of(browser_for(world.grid_responsible).get("/alerts"))

    refused = decide(browser_for(world.grid_responsible), probe_id, "approve")
    assert refused.status_code == 400 and "a system administrator's check" in steps.errors_of(refused)
    assert "used by another account" not in text_of(refused) and held.login_id not in text_of(refused)
    assert steps.application(probe_id).state == "submitted"
    assert steps.user(held.login_id).email == held.email  # nothing changed, no second account
    assert "address-held" in browser_for(world.sysadmin).get(f"/applications/{probe_id}").get_data(as_text=True)
    assert "address-held" not in browser_for(world.grid_responsible).get(f"/applications/{probe_id}").get_data(
        as_text=True)


@pytest.mark.parametrize("app_settings", [{"PORTAL_ALERT_SUSPEND": "application.address_held_elsewhere"}])
def test_the_held_address_alert_cannot_be_made_to_suspend(tmp_path, app_settings):
    """Found by a review: with the kind in PORTAL_ALERT_SUSPEND the applicant's suspension mail named
    the holder. Listing it is refused (it was ignored silently at first: a second review)."""
    from webapp.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="cannot list application.address_held_elsewhere"):
        load_config(tmp_path, app_settings)


def test_every_held_address_is_its_own_alert(world, browser_for, smtp):
    """Found by a review: a second probe within the hour raised nothing (one alert per hour)."""
    admin = browser_for(world.grid_admin)
    for held in (world.city_operator, world.city_responsible):
        filed_id(file(admin, **add_user_fields(email=held.email, name="探り 入れ")))
    alerts = _alerts_of("application.address_held_elsewhere")
    assert len(alerts) == 2 and world.city_responsible.login_id in alerts[1].summary_en
    assert steps.user(world.grid_admin.login_id).status == "active"
    assert not [m for m in smtp.to(world.grid_admin.email) if world.city_operator.login_id in m.text]


def test_once_the_other_account_is_closed_the_held_address_can_be_approved(world, browser_for):
    """A person moving between organisations: the old account is closed, then the new one is approved."""
    probe_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email=world.city_operator.email)))
    closing = filed_id(file(browser_for(world.city_admin), kind="remove", target=world.city_operator.login_id))
    assert decide(browser_for(world.city_responsible), closing, "approve").status_code == 303
    assert decide(browser_for(world.grid_responsible), probe_id, "approve").status_code == 303
    added = steps.application(probe_id)
    assert added.state == "approved" and steps.user_by_email(world.city_operator.email).organisation_id == world.grid.id


def test_a_change_to_an_address_held_in_another_organisation_files_and_waits(world, browser_for):
    admin = browser_for(world.grid_admin)
    response = file(admin, kind="change", target=world.grid_operator.login_id, email=world.city_operator.email, natural_person="y")
    application_id = filed_id(response)
    assert [a.user_id for a in _alerts_of("application.address_held_elsewhere")] == [world.grid_admin.id]
    refused = decide(browser_for(world.grid_responsible), application_id, "approve")
    assert refused.status_code == 400
    assert steps.user(world.grid_operator.login_id).email != world.city_operator.email


def test_a_pending_application_of_another_organisation_reserves_no_address(world, browser_for):
    """Found by review: one organisation could block another's registration of a person by filing
    first with their address. Whoever is approved first gets it; the other approval is refused."""
    grid_admin, city_admin = browser_for(world.grid_admin), browser_for(world.city_admin)
    grid_id = filed_id(file(grid_admin, **add_user_fields(email="future.clerk@test.example")))
    city_id = filed_id(file(city_admin, **add_user_fields(email="future.clerk@test.example", name="市 職員")))
    assert decide(browser_for(world.city_responsible), city_id, "approve").status_code == 303
    late = decide(browser_for(world.grid_responsible), grid_id, "approve")
    assert late.status_code == 400 and "a system administrator's check" in steps.errors_of(late)
    assert "used by another account" not in text_of(late)
    assert steps.application(grid_id).state == "submitted"
    # Nobody was alerted at filing (the address was free then): the refusal alerts, as its message says.
    [alert] = _alerts_of("application.address_held_elsewhere")
    assert alert.user_id == world.grid_responsible.id and f"No. {grid_id}" in alert.summary_en


def test_probing_objects_of_another_organisation_is_audited_as_the_prober(world, browser_for):
    """Each refused ID is a failed access-control decision (ASVS V7) under the prober's name: a
    holder of one organisation's account walking another's IDs shows in the audit log."""
    city_application = filed_id(file(browser_for(world.city_admin), kind="suspend", target=world.city_operator.login_id))
    responsible = browser_for(world.grid_responsible)
    probes = [f"/applications/{city_application}", f"/users/{world.city_operator.login_id}",
              f"/applications/999999?org={world.city.id}"]  # the query names what was tried
    for path in probes:
        assert responsible.get(path).status_code == 404
    assert decide(responsible, city_application, "approve", headers=HTMX).status_code == 404
    refused = steps.audit_entries("access.object_refused")
    assert sorted(entry.target for entry in refused) == sorted(probes + [f"/applications/{city_application}"])
    assert [json.loads(entry.details)["method"] for entry in refused].count("POST") == 1
    assert {(entry.actor_id, entry.organisation_id) for entry in refused} == {(world.grid_responsible.id,
                                                                               world.grid.id)}
    assert responsible.get("/no/such/page").status_code == 404  # no view: nothing to probe, nothing recorded
    assert len(steps.audit_entries("access.object_refused")) == len(refused)



@pytest.mark.parametrize("kind", ["add", "change"])
def test_approving_with_an_address_held_in_another_organisation_does_not_tell_the_responsible_person(
        world, browser_for, smtp, kind):
    """Found by a review: filing kept quiet about an address held elsewhere, but the approval said
    "used by another account": one administrator filing and one responsible person approving could
    still learn who has an account in another organisation. The approver is now told only that a
    system administrator has to check it; nothing changes, and the refusal is recorded."""
    held = world.city_operator
    admin = browser_for(world.grid_admin)
    fields = (add_user_fields(email=held.email) if kind == "add" else
              {"kind": "change", "target": world.grid_operator.login_id, "email": held.email, "natural_person": "y"})
    application_id = filed_id(file(admin, **fields))
    before = steps.application(application_id)
    responsible = browser_for(world.grid_responsible)
    for headers in ({}, HTMX):
        refused = decide(responsible, application_id, "approve", headers=headers)
        assert refused.status_code == 400
        assert "needs a system administrator's check before it can be approved" in steps.errors_of(refused)
        for secret in ("used by another account", held.login_id, held.name, world.city.name):
            assert secret not in text_of(refused)
        for path in (f"/applications/{application_id}", "/applications", "/applications?state=submitted"):
            for page_headers in ({}, HTMX):
                page = text_of(responsible.get(path, headers=page_headers))
                assert held.login_id not in page and world.city.name not in page and "used by another" not in page
    after = steps.application(application_id)
    assert (after.state, after.decided_by_id, after.decided_at, after.decision_reason, after.updated_at) == (
        "submitted", None, None, "", before.updated_at)
    assert steps.timeline(application_id) == ["submitted"]
    assert steps.user(held.login_id).email == held.email and steps.user(held.login_id).status == "active"
    assert steps.user(world.grid_operator.login_id).email == world.grid_operator.email
    assert steps.audit_entries("application.approved", application_id=application_id) == []
    refusals = steps.audit_entries("application.approval_refused", application_id=application_id,
                                   address_held_by=held.login_id, reason_withheld=True)
    assert [r.actor_id for r in refusals] == [world.grid_responsible.id] * 2
    # The system administrators hear of the approver's attempt (once, not at every click); only they do.
    approvals = [a for a in _alerts_of("application.address_held_elsewhere") if a.user_id == world.grid_responsible.id]
    assert len(approvals) == 1 and held.login_id in approvals[0].summary_en
    assert held.login_id not in text_of(responsible.get("/alerts"))
    assert not [m for m in smtp.to(world.grid_responsible.email) + smtp.to(world.grid_admin.email)
                if held.login_id in m.text or world.city.name in m.text]


def test_a_system_administrator_approving_is_told_that_the_address_is_held(world, browser_for):
    held = world.city_operator
    application_id = filed_id(file(browser_for(world.grid_admin), **add_user_fields(email=held.email)))
    refused = decide(browser_for(world.sysadmin), application_id, "approve")
    assert refused.status_code == 400 and "used by another account" in steps.errors_of(refused)
    assert "address-held" in refused.get_data(as_text=True)  # and by whom, as before
    assert steps.application(application_id).state == "submitted"
    assert steps.user_by_email(held.email).login_id == held.login_id
    [refusal] = steps.audit_entries("application.approval_refused", application_id=application_id)
    assert refusal.actor_id == world.sysadmin.id and '"reason_withheld": false' in refusal.details
    # No alert of the system administrator's own refusal: only the one raised at filing.
    assert [a.user_id for a in _alerts_of("application.address_held_elsewhere")] == [world.grid_admin.id]

"""A system administrator onboards an organisation with its first administrator and responsible person."""
from __future__ import annotations

from tests.applications import steps
from tests.applications.steps import post, text_of
from webapp.orgs.models import Organisation

PASSWORD = "the first administrator's own passphrase"


def onboarding(**overrides):
    fields = {
        "name": "北陸みらい送配電株式会社", "category": "grid", "supply_area": "hokuriku", "prefecture": "",
        "hours_profile": "renewable", "security_manager_name": "保安 一郎", "security_manager_contact": "076-000-0000",
        "admin_name": "管理 初代", "admin_department": "託送部 課長", "admin_email": "first.admin@hokuriku.example",
        "responsible_name": "責任 初代", "responsible_department": "託送部長",
        "responsible_email": "first.responsible@hokuriku.example", "responsible_phone": "090-1111-2222",
    }
    fields.update(overrides)
    return fields


def organisation_named(name):
    from sqlalchemy import select

    with steps.reading() as session:
        return session.scalar(select(Organisation).where(Organisation.name == name))


def test_onboarding_issues_both_accounts_and_they_activate_from_the_mail(app, world, smtp, browser_for, sign_in):
    sysadmin = browser_for(world.sysadmin)
    assert sysadmin.get("/admin/organisations/new").status_code == 200
    response = post(sysadmin, "/admin/organisations/new", onboarding())
    assert response.status_code == 303, text_of(response)[:1000]
    organisation = organisation_named("北陸みらい送配電株式会社")
    assert (organisation.category, organisation.area, organisation.hours_profile) == ("grid", "hokuriku", "renewable")
    assert organisation.security_manager_name == "保安 一郎"
    admin = steps.user_by_email("first.admin@hokuriku.example")
    responsible = steps.user_by_email("first.responsible@hokuriku.example")
    assert admin.role_set == {"org_admin"} and responsible.role_set == {"responsible"}
    assert admin.status == responsible.status == "pending"
    assert responsible.emergency_phone == "090-1111-2222"
    [entry] = steps.audit_entries("organisation.onboarded")
    assert entry.actor_id == world.sysadmin.id and admin.login_id in entry.details

    assert steps.activate_from_mail(app.test_client(), smtp, admin.email, PASSWORD).status_code == 303
    sign_in(app.test_client(), steps.user(admin.login_id), PASSWORD)
    assert "/activate/" in smtp.link_for(responsible.email)

    detail = text_of(sysadmin.get(f"/admin/organisations/{organisation.id}"))
    assert admin.login_id in detail and responsible.login_id in detail
    assert "Renewable energy: business days 9:00-21:00" in detail  # the calendar in words, not its code


def test_the_same_organisation_is_onboarded_only_once(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    assert post(sysadmin, "/admin/organisations/new", onboarding()).status_code == 303
    again = post(sysadmin, "/admin/organisations/new", onboarding(
        name="北陸みらい送配電株式会社 ", admin_email="second@hokuriku.example",
        responsible_email="second.r@hokuriku.example"))
    assert again.status_code == 400 and "onboarded only once" in steps.errors_of(again)
    assert steps.user_by_email("second@hokuriku.example") is None


def test_onboarding_checks_scope_people_and_addresses(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    cases = [
        (onboarding(supply_area=""), "supply area"),
        (onboarding(category="municipality", supply_area="", prefecture="Atlantis"), "prefecture"),
        (onboarding(category="operator"), "category"),
        (onboarding(hours_profile="never"), "calendar profile"),
        (onboarding(responsible_phone=""), "emergency phone"),
        (onboarding(responsible_email="first.admin@hokuriku.example"), "two people"),
        (onboarding(admin_email=world.grid_operator.email), "already used"),
        (onboarding(security_manager_contact=""), "security manager"),
        (onboarding(name="\x00"), "cannot be used"),
        (onboarding(name="長" * 201), "at most"),
    ]
    for fields, message in cases:
        response = post(sysadmin, "/admin/organisations/new", fields)
        assert response.status_code == 400, message
        assert message in steps.errors_of(response), (message, steps.errors_of(response))
    assert organisation_named("北陸みらい送配電株式会社") is None


def test_municipality_onboarding_keeps_the_prefecture(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    response = post(sysadmin, "/admin/organisations/new", onboarding(
        name="金沢みらい市", category="municipality", supply_area="", prefecture="石川県", hours_profile=""))
    assert response.status_code == 303
    organisation = organisation_named("金沢みらい市")
    assert organisation.area == "石川県" and organisation.hours_profile is None


def test_editing_an_organisation_is_audited(world, browser_for):
    sysadmin = browser_for(world.sysadmin)
    page = sysadmin.get(f"/admin/organisations/{world.grid.id}/edit")
    assert page.status_code == 200 and world.grid.name in page.get_data(as_text=True)
    response = post(sysadmin, f"/admin/organisations/{world.grid.id}/edit", {
        "name": world.grid.name, "category": "grid", "supply_area": "kansai", "hours_profile": "capacity",
        "security_manager_name": "新任 保安", "security_manager_contact": "06-0000-0000"})
    assert response.status_code == 303
    edited = organisation_named(world.grid.name)
    assert (edited.area, edited.hours_profile, edited.security_manager_name) == ("kansai", "capacity", "新任 保安")
    [entry] = steps.audit_entries("organisation.updated")
    assert "kansai" in entry.details
    taken = post(sysadmin, f"/admin/organisations/{world.grid.id}/edit", {
        "name": world.city.name, "category": "grid", "supply_area": "kansai",
        "security_manager_name": "x", "security_manager_contact": "y"})
    assert taken.status_code == 400
    assert sysadmin.get("/admin/organisations/999999/edit").status_code == 404


def test_the_users_table_of_an_organisation_links_to_the_user_list_instead_of_swapping_into_the_page(world,
                                                                                                    browser_for):
    """Sorting it swapped /users results into the organisation's page and put /users in the
    address bar: reloading then showed another page. Its headings are plain links to the list."""
    html = browser_for(world.sysadmin).get(f"/admin/organisations/{world.grid.id}").get_data(as_text=True)
    table = html.split('data-testid="user-count"', 1)[1]
    assert f'<a href="/users?organisation={world.grid.id}&amp;sort=login_id">' in table
    assert "hx-get" not in table and "hx-push-url" not in table


def test_an_htmx_list_fragment_carries_its_sort_to_the_filter_form(world, browser_for):
    fragment = browser_for(world.sysadmin).get("/users?sort=-name", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="filter-sort" name="sort" value="-name" hx-swap-oob="true"' in fragment
    page = browser_for(world.sysadmin).get("/users?sort=-name").get_data(as_text=True)
    assert page.count('id="filter-sort"') == 1 and "hx-swap-oob" not in page

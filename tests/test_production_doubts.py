"""`portal init` (and `portal serve`) tell a production operator about settings that work but
would leave users without their mail or with links to the wrong place; the commands that give
links say where they lead while PORTAL_BASE_URL is not set."""
from __future__ import annotations

import pytest

from webapp import create_app


def fresh_app(tmp_path, hours_profile: str | None = "renewable", **settings):
    """A new installation: `portal init` creates its schema (no test tables made beforehand).
    Its hours are enforced unless ``hours_profile`` says otherwise (None: PORTAL_HOURS_PROFILE unset)."""
    hours = {"PORTAL_HOURS_PROFILE": hours_profile} if hours_profile else {}
    return create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SECRET_KEY": "k" * 32,
                       "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}", "PORTAL_SCHEDULER": False,
                       **hours, **settings})


def _warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning:") and "consent gate" not in line]


def _choose_on_screen(app, profile: str) -> None:
    """What a system administrator's choice at /admin/hours leaves in the database."""
    from webapp.extensions import db
    from webapp.hours.service import SYSTEM_PROFILE_KEY
    from webapp.hours.system_settings import set_setting

    with app.app_context():
        set_setting(SYSTEM_PROFILE_KEY, profile, None)
        db.session.commit()


@pytest.mark.parametrize("settings, warned", [
    ({}, ["PORTAL_BASE_URL is http://127.0.0.1:8000"]),
    ({"PORTAL_BASE_URL": "http://sekisho.example.jp"}, ["PORTAL_BASE_URL is http://sekisho.example.jp"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_MAIL_BACKEND": "outbox"},
     ["PORTAL_MAIL_BACKEND is outbox"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp"}, []),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_MAIL_USERNAME": "sekisho",
      "PORTAL_MAIL_PASSWORD": "secret"}, ["PORTAL_MAIL_USERNAME is set without PORTAL_MAIL_USE_TLS"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_MAIL_USERNAME": "sekisho",
      "PORTAL_MAIL_PASSWORD": "secret", "PORTAL_MAIL_USE_TLS": True}, []),
    # Found by an operator trial: taken without a word
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_SECRET_KEY": "short"},
     ["PORTAL_SECRET_KEY is shorter than 32 characters"]),
    ({"PORTAL_BASE_URL": "https://sekisho.example.jp", "PORTAL_ARGON2_MEMORY_KIB": 4096},
     ["below argon2id's recommended minimum"]),
])
def test_init_warns_a_production_operator(tmp_path, settings, warned):
    app = fresh_app(tmp_path, PORTAL_ENV="production", **settings)
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    warnings = _warnings(result)
    assert len(warnings) == len(warned)
    for expected, line in zip(warned, warnings):
        assert expected in line


@pytest.mark.parametrize("hours_profile, source", [
    (None, "PORTAL_HOURS_PROFILE is unset"),
    ("always", "from PORTAL_HOURS_PROFILE"),
])
def test_a_production_installation_open_at_every_hour_is_warned_about(tmp_path, hours_profile, source):
    """Found by an operator trial: `always` (SPEC §5: for test and maintenance installations) was the
    unset default of production without a word."""
    app = fresh_app(tmp_path, hours_profile, PORTAL_ENV="production", PORTAL_BASE_URL="https://sekisho.example.jp")
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert _warnings(result) == [f"warning: the business-hours profile is always ({source}): the portal is open at "
                                 "every hour, which is meant for test and maintenance installations; set "
                                 "PORTAL_HOURS_PROFILE=renewable or capacity, or choose a profile at /admin/hours"]
    _choose_on_screen(app, "capacity")  # the screen's choice counts, whatever the setting says
    assert not any("profile is always" in line for line in _warnings(app.test_cli_runner().invoke(args=["init"])))


def test_a_setting_the_screens_choice_overrides_is_warned_about(tmp_path):
    """Found by an operator trial: PORTAL_HOURS_PROFILE=capacity was silently ignored once `always`
    had been chosen at /admin/hours."""
    app = fresh_app(tmp_path, "capacity", PORTAL_ENV="production", PORTAL_BASE_URL="https://sekisho.example.jp")
    runner = app.test_cli_runner()
    assert _warnings(runner.invoke(args=["init"])) == []
    _choose_on_screen(app, "always")
    assert _warnings(runner.invoke(args=["init"])) == [
        "warning: PORTAL_HOURS_PROFILE=capacity is not in effect: the business-hours profile a system administrator "
        "chose at /admin/hours (always) wins over it; change the profile there (PORTAL_HOURS_PROFILE counts only "
        "until one is chosen)",
        "warning: the business-hours profile is always (chosen at /admin/hours): the portal is open at every hour, "
        "which is meant for test and maintenance installations; choose another there"]
    _choose_on_screen(app, "capacity")
    assert _warnings(runner.invoke(args=["init"])) == []


def test_development_is_told_when_the_screens_choice_overrides_the_setting(tmp_path):
    app = fresh_app(tmp_path, "capacity")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init"]).exit_code == 0
    _choose_on_screen(app, "renewable")
    [warning] = _warnings(runner.invoke(args=["init"]))
    assert warning.startswith("warning: PORTAL_HOURS_PROFILE=capacity is not in effect")
    assert "(renewable)" in warning


def test_a_production_installation_without_documents_in_force_is_told_the_consent_gate_is_open(tmp_path):
    app = fresh_app(tmp_path, PORTAL_ENV="production", PORTAL_BASE_URL="https://sekisho.example.jp")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init"])
    assert ("warning: not in force: terms of use, privacy policy, consent items. Until they are, signed-in users "
            "reach the data without the consent gate") in result.stderr
    document = tmp_path / "terms.md"
    document.write_text("# 利用規約\n\n本システムは業務目的に限り利用できます。\n", encoding="utf-8")
    with app.app_context():
        from webapp import clock

        today = clock.now_jst().date().isoformat()
    published = runner.invoke(args=["terms", "publish", str(document), "--kind", "terms", "--version", "1.0",
                                    "--effective", today, "--summary", "制定"])
    assert published.exit_code == 0, published.output
    again = runner.invoke(args=["init"])
    assert "not in force: privacy policy, consent items." in again.stderr


def test_development_has_nothing_to_warn_about(tmp_path):
    result = fresh_app(tmp_path).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0 and "warning" not in result.output + result.stderr


def test_serving_other_machines_in_development_mode_is_warned_about(tmp_path):
    """`portal serve --host 0.0.0.0` without PORTAL_ENV=production: said on standard error at once."""
    from tests.support.served import portal, portal_env, served

    env = portal_env(tmp_path / "portal.db")
    assert portal(env, "init").returncode == 0
    with served(env, host="0.0.0.0") as (_base, server):
        pass
    err = server.stderr.read()
    assert "warning: development mode on 0.0.0.0" in err
    assert "mail stays in the local outbox" in err


def test_the_development_warning_does_not_claim_mail_stays_local_when_it_is_sent(tmp_path):
    from tests.support.served import portal, portal_env, served

    env = portal_env(tmp_path / "portal.db", PORTAL_MAIL_BACKEND="smtp")
    assert portal(env, "init").returncode == 0
    with served(env, host="0.0.0.0") as (_base, server):
        pass
    err = server.stderr.read()
    assert "warning: development mode on 0.0.0.0" in err and "outbox" not in err


@pytest.mark.parametrize("app_settings", [{"PORTAL_BASE_URL": None},
                                          {"PORTAL_BASE_URL": "https://sekisho.example.jp"}])
def test_commands_that_give_links_say_where_they_lead_when_the_address_is_not_set(app, world, tmp_path, app_settings):
    """An operator trial: create-sysadmin printed an activation link to http://127.0.0.1:8000 and
    `terms publish` mailed links there without a word that PORTAL_BASE_URL was not set."""
    from webapp import clock

    runner = app.test_cli_runner()
    given = app_settings["PORTAL_BASE_URL"]
    note = ("this link assumes the portal is at http://127.0.0.1:8000; set PORTAL_BASE_URL to the address users "
            "reach the portal at")
    created = runner.invoke(args=["create-sysadmin", "--login-id", "ops", "--name", "運用 太郎",
                                  "--email", "ops@example.jp"])
    assert created.exit_code == 0, created.output
    [url] = created.stdout.splitlines()  # a script still reads the URL alone
    assert url.startswith(f"{given or 'http://127.0.0.1:8000'}/activate/")
    assert created.stderr.splitlines() == ([] if given else [f"note: {note}"])

    document = tmp_path / "terms.md"
    document.write_text("# 利用規約\n\n本システムは業務目的に限り利用できます。\n", encoding="utf-8")
    published = runner.invoke(args=["terms", "publish", str(document), "--kind", "terms", "--version", "9.0",
                                    "--effective", clock.now_jst().date().isoformat(), "--summary", "改定"])
    assert published.exit_code == 0, published.output
    assert "notice queued for" in published.stdout
    if given:
        assert published.stderr == ""
    else:
        assert published.stderr.splitlines() == ["note: the links in the queued notices lead to "
                                                 "http://127.0.0.1:8000; set PORTAL_BASE_URL to the address "
                                                 "users reach the portal at"]

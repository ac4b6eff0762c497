"""Every PORTAL_* setting, its safe default and its check.

Order of precedence: defaults < instance/config.py < environment (PORTAL_*) <
the mapping given to create_app (tests).
"""
from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
from pathlib import Path
from typing import Any, Mapping
from email.utils import parseaddr
from urllib.parse import urlsplit

from webapp.hours.calendar import PROFILES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the relay is told in MAIL FROM: ASCII, one @, no spaces ("sekisho@localhost" is allowed).
_SENDER = re.compile(r"^[!-?A-~]+@[!-?A-~]+$", re.ASCII)
# A DNS name as the resolver takes it (IDN names are checked in their ASCII form).
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$", re.ASCII)


class ConfigError(ValueError):
    """A setting has a value the portal cannot run with."""


DEFAULTS: dict[str, Any] = {
    "PORTAL_ENV": "development",
    "PORTAL_DATABASE_URL": None,  # instance/sekisho.db when unset
    "PORTAL_DATABASE_BUSY_SECONDS": 15,  # how long a request waits for SQLite's write lock before a 503
    "PORTAL_SECRET_KEY": None,  # generated into instance/secret_key when unset
    "PORTAL_MAIL_BACKEND": None,  # outbox in development, smtp in production
    "PORTAL_MAIL_SERVER": "127.0.0.1",
    "PORTAL_MAIL_PORT": 25,
    "PORTAL_MAIL_USE_TLS": False,  # STARTTLS
    "PORTAL_MAIL_USE_SSL": False,  # TLS from the first byte (port 465)
    "PORTAL_MAIL_CA_FILE": None,  # CA certificates (PEM) that sign the mail server's; default: the system's
    "PORTAL_MAIL_USERNAME": None,
    "PORTAL_MAIL_PASSWORD": None,
    "PORTAL_MAIL_SENDER": "sekisho@localhost",
    "PORTAL_MAIL_TIMEOUT_SECONDS": 10,
    "PORTAL_MAIL_MAX_ATTEMPTS": 8,  # refusals for good (5xx) before a mail is given up; an outage never gives up
    "PORTAL_BASE_URL": None,  # unset: http://127.0.0.1:8000, or where `portal serve` listens
    "PORTAL_HOURS_PROFILE": "always",
    "PORTAL_YEAR_END_CLOSURE": "12-29..01-03",
    "PORTAL_TRUSTED_PROXIES": 0,
    "PORTAL_SCHEDULER": True,
    "PORTAL_SCHEDULER_INTERVAL_SECONDS": 30,
    # Authentication
    "PORTAL_CODE_LIFETIME_SECONDS": 300,
    "PORTAL_CODE_MAX_ATTEMPTS": 5,
    "PORTAL_CODE_RESEND_SECONDS": 60,
    "PORTAL_CODE_MAX_RESENDS": 5,  # new codes per pending login; 1 + this: code mails per account in 15 min
    "PORTAL_LOCKOUT_THRESHOLD": 5,
    "PORTAL_IP_FAILURE_LIMIT": 20,
    "PORTAL_IP_FAILURE_WINDOW_SECONDS": 600,
    # Failed sign-ins from one address (an IPv6 /64) within 24 hours that raise an alert even when
    # no window reaches the limit: slow spraying stays under it for good. 0: no such alert.
    "PORTAL_IP_FAILURE_DAILY_ALERT": 100,
    "PORTAL_ACTIVATION_LIFETIME_HOURS": 72,
    "PORTAL_PASSWORD_MIN_LENGTH": 15,
    "PORTAL_PASSWORD_MAX_LENGTH": 128,
    "PORTAL_PASSWORD_HISTORY": 5,
    "PORTAL_PASSWORD_MAX_AGE_DAYS": 0,  # 0: no forced rotation (NIST SP 800-63B-4)
    "PORTAL_ARGON2_TIME_COST": 2,
    "PORTAL_ARGON2_MEMORY_KIB": 19456,
    "PORTAL_ARGON2_PARALLELISM": 1,
    # Sessions
    "PORTAL_SESSION_IDLE_MINUTES": 30,
    "PORTAL_SESSION_ABSOLUTE_HOURS": 12,
    # Dormant accounts (SPEC §7): suspended after this many days without a sign-in,
    # warned by mail this many days before
    "PORTAL_DORMANT_DAYS": 180,
    "PORTAL_DORMANT_WARNING_DAYS": 14,
    # Monthly access review (SPEC §7): the review of a month (Japan time) is due on the 1st of
    # the next month and must be signed off by this day of it (1-28); later it is overdue and
    # the system administrators are reminded too
    "PORTAL_REVIEW_DUE_DAYS": 10,
    # Applications
    "PORTAL_APPLICATION_EXPIRY_DAYS": 14,
    # Consent
    "PORTAL_CONSENT_RENEWAL_MONTHS": 0,  # 0: re-consent only on a new version
    "PORTAL_MAX_CONTENT_LENGTH": 1024 * 1024,
    # Audit log page: a free-text search reads at most this many entries per page (no index serves it)
    "PORTAL_AUDIT_TEXT_SCAN_ROWS": 20_000,
    # Detectors (SPEC §7): alert kinds that also suspend the account at once, comma-separated
    # (e.g. "records.bulk_export,login.outside_country"); empty: alerts only
    "PORTAL_ALERT_SUSPEND": "",
    # Sign-ins from addresses registered outside these countries (ISO 3166, comma-separated) raise
    # an alert; empty: no check. The registry data ships with the iptocc package (offline).
    "PORTAL_ALLOWED_COUNTRIES": "JP",
    # One account signed in from two addresses or browsers at once raises an alert
    "PORTAL_DETECT_ACCOUNT_SHARING": True,
    # Facility records (SPEC §6) and the bulk-export detector (SPEC §7)
    "PORTAL_RECORDS_EXPORT_MAX": 1000,  # rows per export
    "PORTAL_BULK_EXPORT_WINDOW_MINUTES": 60,
    "PORTAL_BULK_EXPORT_MAX_EXPORTS": 10,  # more exports than this in the window raise an alert
    "PORTAL_BULK_EXPORT_MAX_RECORDS": 3000,  # more records (exported or on list pages) in the window raise an alert
}

_INT_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, int) and not isinstance(v, bool)}
_BOOL_KEYS = {k for k, v in DEFAULTS.items() if isinstance(v, bool)}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}
# Durations stop at ten years: far beyond any use, and well before dates and times overflow
# (a session of 99999999999 hours answered every request with a 500).
_TEN_YEARS_DAYS = 3653
_TEN_YEARS_HOURS = _TEN_YEARS_DAYS * 24
_TEN_YEARS_MINUTES = _TEN_YEARS_HOURS * 60
# The least (and most) each whole-number setting can sensibly be; those with a rule of their own
# (a message that says why) are checked in check().
_INT_RANGES: dict[str, tuple[int, int | None]] = {
    "PORTAL_MAIL_PORT": (1, 65535), "PORTAL_MAIL_TIMEOUT_SECONDS": (1, 600), "PORTAL_MAIL_MAX_ATTEMPTS": (1, None),
    "PORTAL_SCHEDULER_INTERVAL_SECONDS": (1, 86_400), "PORTAL_CODE_MAX_ATTEMPTS": (1, None),
    "PORTAL_CODE_RESEND_SECONDS": (0, 600), "PORTAL_CODE_MAX_RESENDS": (0, None), "PORTAL_LOCKOUT_THRESHOLD": (1, None),
    "PORTAL_IP_FAILURE_LIMIT": (1, None), "PORTAL_IP_FAILURE_WINDOW_SECONDS": (1, _TEN_YEARS_MINUTES * 60),
    "PORTAL_IP_FAILURE_DAILY_ALERT": (0, None), "PORTAL_ACTIVATION_LIFETIME_HOURS": (1, _TEN_YEARS_HOURS),
    "PORTAL_PASSWORD_HISTORY": (0, None), "PORTAL_PASSWORD_MAX_AGE_DAYS": (0, _TEN_YEARS_DAYS),
    "PORTAL_ARGON2_TIME_COST": (1, None), "PORTAL_ARGON2_MEMORY_KIB": (8, None), "PORTAL_ARGON2_PARALLELISM": (1, 64),
    "PORTAL_SESSION_IDLE_MINUTES": (1, _TEN_YEARS_MINUTES), "PORTAL_SESSION_ABSOLUTE_HOURS": (1, _TEN_YEARS_HOURS),
    "PORTAL_DORMANT_DAYS": (1, _TEN_YEARS_DAYS), "PORTAL_DORMANT_WARNING_DAYS": (0, _TEN_YEARS_DAYS),
    "PORTAL_APPLICATION_EXPIRY_DAYS": (1, _TEN_YEARS_DAYS), "PORTAL_CONSENT_RENEWAL_MONTHS": (0, 120),
    "PORTAL_MAX_CONTENT_LENGTH": (1024, None), "PORTAL_AUDIT_TEXT_SCAN_ROWS": (1, None),
    "PORTAL_RECORDS_EXPORT_MAX": (1, None), "PORTAL_BULK_EXPORT_WINDOW_MINUTES": (1, _TEN_YEARS_MINUTES),
    "PORTAL_BULK_EXPORT_MAX_EXPORTS": (0, None), "PORTAL_BULK_EXPORT_MAX_RECORDS": (0, None),
    "PORTAL_TRUSTED_PROXIES": (0, None),
}


def _coerce(key: str, value: Any) -> Any:
    """Environment text (or an instance/config.py value) to the setting's type; anything else is
    an error, never a silent default: "ture" must not switch mail encryption off."""
    if key not in DEFAULTS:
        return value
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if key in _BOOL_KEYS:
        if isinstance(value, bool) or value is None:
            return bool(value)
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(f"{key} must be 1, true, yes or on (or 0, false, no, off), not {value!r}")
    if key in _INT_KEYS:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError as exc:
                raise ConfigError(f"{key} must be a whole number, not {value!r}") from exc
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number, not {value!r}")
        return value
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{key} must be text, not {value!r}")
    return value


def _read_instance_file(instance_path: Path) -> dict[str, Any]:
    path = instance_path / "config.py"
    if not path.exists():
        return {}
    namespace: dict[str, Any] = {}
    try:
        exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    except SyntaxError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: {exc.msg}") from exc
    except Exception as exc:  # the operator's file: say where, not a traceback
        raise ConfigError(f"{path} cannot be read: {type(exc).__name__}: {exc}") from exc
    return {k: v for k, v in namespace.items() if k.startswith("PORTAL_")}


def _secret_key(instance_path: Path) -> str:
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def parse_year_end(text: str) -> frozenset[tuple[int, int]]:
    """'12-29..01-03' -> every (month, day) in that span, wrapping the new year."""
    from datetime import date, timedelta

    try:
        start_text, end_text = text.split("..")
        start_m, start_d = (int(p) for p in start_text.split("-"))
        end_m, end_d = (int(p) for p in end_text.split("-"))
        day = date(2001, start_m, start_d)
        end_year = 2001 if (end_m, end_d) >= (start_m, start_d) else 2002
        end = date(end_year, end_m, end_d)
    except ValueError as exc:
        raise ConfigError(f"PORTAL_YEAR_END_CLOSURE must look like 12-29..01-03, not {text!r}") from exc
    days = set()
    while day <= end:
        days.add((day.month, day.day))
        day += timedelta(days=1)
    return frozenset(days)


def load_config(instance_path: Path, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    settings = dict(DEFAULTS)
    from_file = _read_instance_file(instance_path)
    settings.update(from_file)
    for key in DEFAULTS:
        if key in os.environ:
            settings[key] = os.environ[key]
    settings.update(overrides or {})
    # A profile the operator named and the admin screen's choice overrides must be pointed out
    # (`portal init`/`serve`); the default one that it overrides need not.
    hours_profile_given = any("PORTAL_HOURS_PROFILE" in source for source in (from_file, os.environ, overrides or {}))
    settings = {k: _coerce(k, v) for k, v in settings.items()}
    check(settings)
    if not settings["PORTAL_SECRET_KEY"]:
        settings["PORTAL_SECRET_KEY"] = _secret_key(instance_path)
    if not settings["PORTAL_DATABASE_URL"]:
        # The default database lives in instance/, which a given secret key leaves uncreated.
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        settings["PORTAL_DATABASE_URL"] = f"sqlite:///{instance_path / 'sekisho.db'}"
    settings["PORTAL_BASE_URL_GIVEN"] = bool(settings["PORTAL_BASE_URL"])
    settings["PORTAL_HOURS_PROFILE_GIVEN"] = hours_profile_given
    if not settings["PORTAL_BASE_URL"]:
        settings["PORTAL_BASE_URL"] = served_at("127.0.0.1", 8000)
    if not settings["PORTAL_MAIL_BACKEND"]:
        settings["PORTAL_MAIL_BACKEND"] = "outbox" if is_development(settings) else "smtp"
    settings["YEAR_END_DAYS"] = parse_year_end(settings["PORTAL_YEAR_END_CLOSURE"])
    return settings


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_EVERY_ADDRESS = frozenset({"0.0.0.0", "::", ""})


def served_at(host: str, port: int) -> str:
    """The address of the portal served on host:port, as a link in mail gives it: listening on
    every address, the machine's own name is the one others can reach."""
    if host in _EVERY_ADDRESS:
        host = socket.getfqdn()
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed in a URL
    return f"http://{shown}:{port}"


def doubts(settings: Mapping[str, Any]) -> list[str]:
    """Settings that work but are probably not what a production operator meant."""
    if is_development(settings):
        return []
    found = []
    base = urlsplit(str(settings["PORTAL_BASE_URL"]))
    if base.scheme != "https" or base.hostname in LOOPBACK_HOSTS:
        found.append(f"PORTAL_BASE_URL is {settings['PORTAL_BASE_URL']}: the links in mail (activation, "
                     "applications, reviews) point there; set the https address users reach the portal at")
    if settings["PORTAL_MAIL_BACKEND"] == "outbox":
        found.append("PORTAL_MAIL_BACKEND is outbox: no mail leaves the server, so nobody receives a sign-in code")
    key = settings.get("PORTAL_SECRET_KEY")
    if key and len(str(key)) < 32:
        found.append("PORTAL_SECRET_KEY is shorter than 32 characters: it signs the forms' CSRF tokens; "
                     "leave it unset (a random key is generated into instance/secret_key) or use a long random one")
    if (settings["PORTAL_ARGON2_MEMORY_KIB"] < DEFAULTS["PORTAL_ARGON2_MEMORY_KIB"]
            or settings["PORTAL_ARGON2_TIME_COST"] < DEFAULTS["PORTAL_ARGON2_TIME_COST"]):
        found.append("PORTAL_ARGON2_MEMORY_KIB / PORTAL_ARGON2_TIME_COST are below argon2id's recommended minimum "
                     "(19456 KiB, 2 passes): stolen password hashes would be cheaper to crack")
    if settings["PORTAL_MAIL_USERNAME"] and not (settings["PORTAL_MAIL_USE_TLS"] or settings["PORTAL_MAIL_USE_SSL"]):
        found.append("PORTAL_MAIL_USERNAME is set without PORTAL_MAIL_USE_TLS or PORTAL_MAIL_USE_SSL: the mail "
                     "password, and every code and link mailed, cross the network unencrypted")
    return found


def is_development(settings: Mapping[str, Any]) -> bool:
    return settings["PORTAL_ENV"] == "development"


def _check_mail(settings: Mapping[str, Any]) -> None:
    backend = settings["PORTAL_MAIL_BACKEND"] or ("outbox" if is_development(settings) else "smtp")
    if backend == "smtp":
        _check_mail_server(str(settings["PORTAL_MAIL_SERVER"] or ""))
        _check_mail_login(settings["PORTAL_MAIL_USERNAME"], settings["PORTAL_MAIL_PASSWORD"])
    sender = str(settings["PORTAL_MAIL_SENDER"] or "")
    address = parseaddr(sender)[1]
    if not _SENDER.match(address) or "\n" in sender or "\r" in sender:
        raise ConfigError(f"PORTAL_MAIL_SENDER must be an e-mail address (or Name <address>), not {sender!r}")


def _is_host(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    try:
        name = text.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = name[:-1].split(".") if name.endswith(".") else name.split(".")
    return len(name) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def _check_mail_server(server: str) -> None:
    """A URL or host:port here was taken without a word, and then every code mail failed with
    "Name or service not known": nobody could sign in."""
    if not server.strip():
        raise ConfigError("PORTAL_MAIL_SERVER is empty: name the mail relay (host name or address)")
    if _is_host(server):
        return
    hint = ""
    if "://" in server:
        hint = " (a host name, not a URL)"
    elif server.rpartition(":")[2].isdigit():
        hint = " (the port goes in PORTAL_MAIL_PORT)"
    raise ConfigError(f"PORTAL_MAIL_SERVER must be the mail relay's host name or IP address, not {server!r}{hint}")


def _check_mail_login(username: str | None, password: str | None) -> None:
    """The relay is signed in to only with both: one of them alone was dropped without a word,
    and a relay that wants a login then refused every mail."""
    if bool(username) == bool(password):
        return
    given, missing = ("USERNAME", "PASSWORD") if username else ("PASSWORD", "USERNAME")
    raise ConfigError(f"PORTAL_MAIL_{given} is set without PORTAL_MAIL_{missing}: the mail relay is signed in to "
                      "with both; set both, or neither")


def _check_detectors(settings: Mapping[str, Any]) -> None:
    """A misspelt alert kind would suspend nobody, and a three-letter country code would make every
    sign-in from Japan "outside the allowed countries": both without a word until it mattered."""
    from webapp.alerts.labels import KIND_LABELS

    listed = [k.strip() for k in str(settings["PORTAL_ALERT_SUSPEND"]).split(",") if k.strip()]
    unknown = [k for k in listed if k not in KIND_LABELS]
    if unknown:
        known = ", ".join(k for k in KIND_LABELS if k != "application.address_held_elsewhere")
        raise ConfigError(f"PORTAL_ALERT_SUSPEND: no alert kind {', '.join(map(repr, unknown))}; the kinds are: {known}")
    countries = [c.strip() for c in str(settings["PORTAL_ALLOWED_COUNTRIES"]).split(",") if c.strip()]
    wrong = [c for c in countries if not re.fullmatch(r"[A-Za-z]{2}", c)]
    if wrong:
        raise ConfigError(f"PORTAL_ALLOWED_COUNTRIES must list two-letter country codes (ISO 3166-1 alpha-2, "
                          f"e.g. JP), not {', '.join(map(repr, wrong))}")


def check(settings: Mapping[str, Any]) -> None:
    if settings["PORTAL_ENV"] not in {"development", "production"}:
        raise ConfigError("PORTAL_ENV must be development or production")
    if settings["PORTAL_MAIL_BACKEND"] not in {None, "smtp", "outbox"}:
        raise ConfigError("PORTAL_MAIL_BACKEND must be smtp or outbox")
    if not 60 <= settings["PORTAL_CODE_LIFETIME_SECONDS"] <= 600:
        raise ConfigError("PORTAL_CODE_LIFETIME_SECONDS must be between 60 and 600 (never over 10 minutes)")
    if not 1 <= settings["PORTAL_DATABASE_BUSY_SECONDS"] <= 300:
        raise ConfigError("PORTAL_DATABASE_BUSY_SECONDS must be between 1 and 300")
    if settings["PORTAL_PASSWORD_MIN_LENGTH"] < 15:
        raise ConfigError("PORTAL_PASSWORD_MIN_LENGTH must be at least 15")
    if settings["PORTAL_PASSWORD_MAX_LENGTH"] < 64:
        raise ConfigError("PORTAL_PASSWORD_MAX_LENGTH must allow at least 64 characters")
    if not 1 <= settings["PORTAL_REVIEW_DUE_DAYS"] <= 28:
        raise ConfigError("PORTAL_REVIEW_DUE_DAYS must be a day of the month between 1 and 28")
    if settings["PORTAL_MAIL_USE_TLS"] and settings["PORTAL_MAIL_USE_SSL"]:
        raise ConfigError("PORTAL_MAIL_USE_TLS (STARTTLS) and PORTAL_MAIL_USE_SSL (TLS from the start) "
                          "exclude each other: set one")
    ca_file = settings["PORTAL_MAIL_CA_FILE"]
    if ca_file and not os.path.isfile(ca_file):
        raise ConfigError(f"PORTAL_MAIL_CA_FILE: no such file: {ca_file}")
    for key, (least, most) in _INT_RANGES.items():
        if settings[key] < least or (most is not None and settings[key] > most):
            span = f"between {least} and {most}" if most is not None else f"{least} or more"
            raise ConfigError(f"{key} must be {span}, not {settings[key]}")
    _check_mail(settings)
    _check_detectors(settings)
    if "application.address_held_elsewhere" in {k.strip() for k in str(settings["PORTAL_ALERT_SUSPEND"]).split(",")}:
        raise ConfigError("PORTAL_ALERT_SUSPEND cannot list application.address_held_elsewhere: the suspension "
                          "would tell the applicant that the address has an account elsewhere")
    profile = settings["PORTAL_HOURS_PROFILE"]
    if profile not in PROFILES:
        raise ConfigError(f"PORTAL_HOURS_PROFILE must be one of {', '.join(sorted(PROFILES))}")
    if settings["PORTAL_ENV"] == "production" and str(settings.get("PORTAL_DATABASE_URL") or "").startswith("sqlite:///:memory:"):
        raise ConfigError("an in-memory database cannot run production")

"""Demo data: a system administrator and two organisations with every role.

Passwords are generated at load time and printed once; none is shipped in the code.
"""
from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from sqlalchemy import select

from webapp import clock
from webapp.audit import service as audit
from webapp.auth import passwords
from webapp.auth.models import PasswordHistory, User
from webapp.extensions import db
from webapp.orgs import service as orgs

# Features add loaders here; each gets the created accounts and adds its own demo data.
DEMO_LOADERS: list = []


@dataclass(frozen=True)
class DemoAccount:
    login_id: str
    password: str
    role: str
    organisation: str
    email: str
    name: str


PEOPLE = [
    # organisation key, name, department, role(s), email local part
    ("grid", "送配 一郎", "託送業務部 管理課長", "org_admin", "admin.grid"),
    ("grid", "責任 花子", "託送業務部長", "responsible", "responsible.grid"),
    ("grid", "利用 太郎", "託送業務部 買取グループ", "operator", "operator1.grid"),
    ("grid", "利用 次郎", "託送業務部 買取グループ", "operator", "operator2.grid"),
    ("city", "自治 三郎", "環境政策課 係長", "org_admin", "admin.city"),
    ("city", "責任 桜", "環境政策課長", "responsible", "responsible.city"),
    ("city", "閲覧 四郎", "環境政策課", "operator", "operator1.city"),
    ("city", "閲覧 五月", "環境政策課", "operator", "operator2.city"),
]


def _demo_password() -> str:
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(6)) for _ in range(4))


DEMO_MARKER_EMAIL = "sysadmin@sekisho.example"


def is_loaded() -> bool:
    """Demo data is there (a system administrator created by hand does not count)."""
    return db.session.scalar(select(User.id).where(User.email == DEMO_MARKER_EMAIL).limit(1)) is not None


def _activate(user: User, password: str) -> None:
    now = clock.now()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.status = "active"
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))


def load() -> list[DemoAccount]:
    accounts: list[DemoAccount] = []
    operator_org = orgs.operator_organisation()
    sysadmin = orgs.create_user(operator_org, name="管理 運営", email=DEMO_MARKER_EMAIL,
                                roles="sysadmin", department="運営事務局")
    organisations = {
        "grid": orgs.create_organisation(
            "東都送配電株式会社", "grid", "tokyo",
            security_manager_name="保安 守", security_manager_contact="03-0000-0000"),
        "city": orgs.create_organisation(
            "湘南みらい市", "municipality", "神奈川県",
            security_manager_name="情報 守", security_manager_contact="0466-00-0000"),
    }
    created = [(sysadmin, "sysadmin")]
    for key, name, department, role, local in PEOPLE:
        user = orgs.create_user(
            organisations[key], name=name, email=f"{local}@sekisho.example", roles=role, department=department,
            emergency_phone="090-0000-0000" if role == "responsible" else "",
        )
        created.append((user, role))
    for user, role in created:
        password = _demo_password()
        _activate(user, password)
        accounts.append(DemoAccount(user.login_id, password, role, user.organisation.name, user.email, user.name))
    for loader in DEMO_LOADERS:
        loader(created)
    audit.record("demo.loaded", accounts=len(accounts))
    db.session.commit()
    return accounts


def as_dicts(accounts: list[DemoAccount]) -> list[dict[str, str]]:
    return [{k: v for k, v in asdict(a).items() if k != "name"} for a in accounts]

"""A small, fully active population for tests: who is who in two organisations."""
from __future__ import annotations

from dataclasses import dataclass

from webapp import clock
from webapp.auth import passwords
from webapp.auth.models import PasswordHistory, User
from webapp.extensions import db
from webapp.orgs import service as orgs
from webapp.orgs.models import Organisation


@dataclass
class World:
    sysadmin: User
    grid: Organisation
    city: Organisation
    grid_admin: User
    grid_responsible: User
    grid_operator: User
    grid_operator2: User
    city_admin: User
    city_responsible: User
    city_operator: User


def make_active(user: User, password: str) -> User:
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    user.status = "active"
    db.session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=clock.now()))
    return user


def build_world(password: str | None = None) -> World:
    from tests.conftest import TEST_PASSWORD

    password = password or TEST_PASSWORD
    operator_org = orgs.operator_organisation()
    grid = orgs.create_organisation("テスト送配電株式会社", "grid", "tokyo")
    city = orgs.create_organisation("テスト市", "municipality", "神奈川県")

    def person(org: Organisation, key: str, roles: str) -> User:
        user = orgs.create_user(org, name=f"{key} 氏名", email=f"{key}@test.example", roles=roles,
                                department="テスト部", emergency_phone="090-0000-0000" if "responsible" in roles else "")
        return make_active(user, password)

    world = World(
        sysadmin=person(operator_org, "sysadmin", "sysadmin"),
        grid=grid,
        city=city,
        grid_admin=person(grid, "grid-admin", "org_admin"),
        grid_responsible=person(grid, "grid-responsible", "responsible"),
        grid_operator=person(grid, "grid-operator", "operator"),
        grid_operator2=person(grid, "grid-operator2", "operator"),
        city_admin=person(city, "city-admin", "org_admin"),
        city_responsible=person(city, "city-responsible", "responsible"),
        city_operator=person(city, "city-operator", "operator"),
    )
    db.session.commit()
    return world

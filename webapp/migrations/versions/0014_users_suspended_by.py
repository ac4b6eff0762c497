"""users.suspended_by: who stopped a suspended account (organisation, sysadmin, detector, dormancy),
so that lifting a system administrator's or a detector's suspension needs a system administrator

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


_BY_KIND = {"account.suspended_by_detector": "detector", "account.suspended_dormant": "dormancy",
            "account.suspended": "organisation"}


def upgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('suspended_by', sa.String(length=20), nullable=True))
    # Accounts suspended before the upgrade: who did it, from the newest suspension entry of the
    # audit log (a system administrator's immediate suspension included), so that lifting theirs
    # needs them too.
    bind = op.get_bind()
    kinds = list(_BY_KIND) + ["account.suspended_immediately"]
    for user_id, login_id in bind.execute(sa.text("SELECT id, login_id FROM users WHERE status = 'suspended'")).all():
        entry = bind.execute(sa.text(
            "SELECT e.kind, a.roles FROM audit_events e LEFT JOIN users a ON a.id = e.actor_id "
            "WHERE e.target = :login_id AND e.kind IN :kinds ORDER BY e.id DESC LIMIT 1"
        ).bindparams(sa.bindparam("kinds", expanding=True)), {"login_id": login_id, "kinds": kinds}).first()
        if entry is None:
            continue
        kind, actor_roles = entry
        by = _BY_KIND.get(kind) or ("sysadmin" if "sysadmin" in (actor_roles or "").split() else "organisation")
        bind.execute(sa.text("UPDATE users SET suspended_by = :by WHERE id = :user_id"), {"by": by, "user_id": user_id})


def downgrade() -> None:
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('suspended_by')

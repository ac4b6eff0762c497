"""pending_logins.code_mail_id and outbox_mail.retry_at: after a relay outage only the code a
sign-in still waits for is mailed, and `portal mail flush` tries every waiting mail at once

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

import webapp.database

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pending_logins') as batch_op:
        batch_op.add_column(sa.Column('code_mail_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_pending_logins_code_mail_id'), ['code_mail_id'], unique=False)
    with op.batch_alter_table('outbox_mail') as batch_op:
        batch_op.add_column(sa.Column('retry_at', webapp.database.UTCDateTime(), nullable=True))
    # A code mail still queued at the upgrade (the relay was away) belongs to the newest code mail
    # to the person since their sign-in's code was made: without the link it would not be sent.
    op.execute(
        "UPDATE pending_logins SET code_mail_id = (SELECT MAX(m.id) FROM outbox_mail m JOIN users u"
        " ON u.email = m.recipient WHERE u.id = pending_logins.user_id AND m.template = 'login_code'"
        " AND m.created_at >= pending_logins.code_sent_at)"
        " WHERE code_hash IS NOT NULL AND voided_at IS NULL AND consumed_at IS NULL")
    # Mail waiting out a back-off: nobody sends while `portal init` runs, so none is held now.
    op.execute("UPDATE outbox_mail SET retry_at = next_attempt_at WHERE state = 'queued' AND attempts > 0")


def downgrade() -> None:
    with op.batch_alter_table('outbox_mail') as batch_op:
        batch_op.drop_column('retry_at')
    with op.batch_alter_table('pending_logins') as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_logins_code_mail_id'))
        batch_op.drop_column('code_mail_id')

"""Jobs: the e-mail outbox, and the declaration import run by the job queue.

outbox_messages holds mail written in the same transaction as the change it announces, sent later by a
job at most once. declaration_imports gains the "committing" state (the commit runs as a job), the
worker that runs its job (job_owner: a restarted consumer fails the imports of a dead one) and a notice
for the page (a stale preview refreshed by the commit job, a preview expired unimported).

Revision ID: ad095d8c18af
Revises: 3fb2f71a7537
Create Date: 2026-12-01 22:10:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'ad095d8c18af'
down_revision = '3fb2f71a7537'
branch_labels = None
depends_on = None

OLD_STATUSES = ('reading', 'ready', 'invalid', 'committed', 'failed', 'discarded')
NEW_STATUSES = ('reading', 'ready', 'invalid', 'committing', 'committed', 'failed', 'discarded')


def _in(values):
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sender', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('declaration_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_owner', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('notice', sa.String(length=20), nullable=True))
        batch_op.drop_constraint(op.f('ck_declaration_imports_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=9), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_declaration_imports_status'), _in(NEW_STATUSES))


def downgrade():
    # An import in the new state goes back to its preview: the commit job never ran.
    op.execute("UPDATE declaration_imports SET status = 'ready' WHERE status = 'committing'")
    with op.batch_alter_table('declaration_imports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_declaration_imports_status'), type_='check')
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=9),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_declaration_imports_status'), _in(OLD_STATUSES))
        batch_op.drop_column('notice')
        batch_op.drop_column('job_owner')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')

    op.drop_table('outbox_messages')

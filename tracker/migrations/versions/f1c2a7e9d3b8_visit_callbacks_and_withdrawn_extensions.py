"""Recorded follow-ups of visits, and extension requests withdrawn when their need is dealt with

visit_callbacks keeps each follow-up (回访) held about a visit (when, how, the note, who) instead of a
bare "called back" that only cleared the visit's follow-up date. deadline_extensions.status gains
"withdrawn": a request still awaiting a decision lapses when its need is resolved or explained, and
the requests already left in that position are withdrawn here; notifications.kind gains the notice
that says so.

Revision ID: f1c2a7e9d3b8
Revises: a9d4c2e7f105
Create Date: 2026-12-03 07:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'f1c2a7e9d3b8'
down_revision = 'a9d4c2e7f105'
branch_labels = None
depends_on = None

OLD_EXTENSION = ('requested', 'approved', 'rejected')
NEW_EXTENSION = OLD_EXTENSION + ('withdrawn',)
OLD_KINDS = ('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided',
             'need_reopened')
NEW_KINDS = OLD_KINDS + ('extension_withdrawn',)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('visit_callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('channel', sa.Enum('phone', 'video', 'on_site', 'message', name='channel', native_enum=False,
                                 create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_visit_callbacks_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_callbacks_visit_id_visits'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_callbacks'))
    )
    with op.batch_alter_table('visit_callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_callbacks_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deadline_extensions_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_deadline_extensions_status'), _in('status', NEW_EXTENSION))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=17), type_=sa.String(length=19),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', NEW_KINDS))
    # Requests left waiting on needs that were resolved or explained meanwhile could not be decided.
    op.execute("UPDATE deadline_extensions SET status = 'withdrawn', decided_at = CURRENT_TIMESTAMP "
               "WHERE status = 'requested' AND need_id IN "
               "(SELECT id FROM needs WHERE status NOT IN ('pending', 'in_progress'))")


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'extension_withdrawn'")
    # A withdrawn request goes back to waiting, as it was before the withdrawal existed.
    op.execute("UPDATE deadline_extensions SET status = 'requested', decided_at = NULL, decided_by_id = NULL "
               "WHERE status = 'withdrawn'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=19), type_=sa.String(length=17),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', OLD_KINDS))
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deadline_extensions_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_deadline_extensions_status'), _in('status', OLD_EXTENSION))

    with op.batch_alter_table('visit_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_callbacks_visit_id'))
    op.drop_table('visit_callbacks')

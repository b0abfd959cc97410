"""Certification coaching, remediation: a plan's measure may fix a shortfall of a customs assessment (the
assessment and the item, one measure per shortfall: a unique constraint; the day it was set, from which its
90-day limit runs). Notifications gain the kinds assessment_shared, self_assessed,
remediation_assigned and cert_decided.

Revision ID: a7c3e9d1f5b2
Revises: e4e4d6153c2a
Create Date: 2026-12-07 00:20:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1f5b2'
down_revision = 'e4e4d6153c2a'
branch_labels = None
depends_on = None

OLD_KINDS = ('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided',
             'need_reopened', 'extension_withdrawn', 'appointment_flagged', 'appointment_affected', 'poor_rating',
             'rating_answered', 'need_raised', 'briefing_invited')
NEW_KINDS = OLD_KINDS + ('assessment_shared', 'self_assessed', 'remediation_assigned',
                         'cert_decided')


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('plan_measures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assessment_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('item_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('set_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_plan_measures_assessment_id_certification_assessments'),
                                    'certification_assessments', ['assessment_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_plan_measures_item_id_certification_items'),
                                    'certification_items', ['item_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_unique_constraint('uq_plan_measures_remediation', ['assessment_id', 'item_id'])
        batch_op.create_index('ix_plan_measures_remediation_due', ['item_id', 'status', 'deadline'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('assessment_shared', 'self_assessed', "
               "'remediation_assigned', 'cert_decided')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', OLD_KINDS))
    with op.batch_alter_table('plan_measures', schema=None) as batch_op:
        batch_op.drop_index('ix_plan_measures_remediation_due')
        batch_op.drop_constraint('uq_plan_measures_remediation', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_plan_measures_item_id_certification_items'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_plan_measures_assessment_id_certification_assessments'),
                                 type_='foreignkey')
        batch_op.drop_column('set_on')
        batch_op.drop_column('item_id')
        batch_op.drop_column('assessment_id')

"""Certification applications (认证申请): a firm's application for a certified level, its receipt, on-site audit and
decision (with the reason; a certification points at the credit level it wrote), one open per firm (a partial unique
index), a decision's day set exactly when decided and a refusal's reason required (CHECK constraints)

Revision ID: b9f91edb2157
Revises: a7c3e9d1f5b2
Create Date: 2026-12-07 00:00:41.592620

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9f91edb2157'
down_revision = 'a7c3e9d1f5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certification_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('target_level', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('applied', 'accepted', 'audited', 'certified', 'refused', 'withdrawn', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=True),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('audit_on', sa.Date(), nullable=True),
    sa.Column('audit_note', sa.Text(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('granted_level', sa.String(length=32), nullable=True),
    sa.Column('certificate_no', sa.String(length=60), nullable=True),
    sa.Column('withdrawn_on', sa.Date(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('credit_rating_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status IN ('certified', 'refused') AND decided_on IS NOT NULL) OR (status NOT IN ('certified', 'refused') AND decided_on IS NULL)", name=op.f('ck_certification_applications_decided_on')),
    sa.CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL", name=op.f('ck_certification_applications_refusal_reason')),
    sa.ForeignKeyConstraint(['assessment_id'], ['certification_assessments.id'], name=op.f('fk_certification_applications_assessment_id_certification_assessments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certification_applications_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['credit_rating_id'], ['credit_ratings.id'], name=op.f('fk_certification_applications_credit_rating_id_credit_ratings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_certification_applications_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_applications'))
    )
    with op.batch_alter_table('certification_applications', schema=None) as batch_op:
        batch_op.create_index('ix_certification_applications_enterprise', ['enterprise_id', 'applied_on'], unique=False)
        batch_op.create_index('uq_certification_applications_open', ['enterprise_id'], unique=True, sqlite_where=sa.text("status IN ('applied', 'accepted', 'audited')"), postgresql_where=sa.text("status IN ('applied', 'accepted', 'audited')"))



def downgrade():
    with op.batch_alter_table('certification_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_certification_applications_open', sqlite_where=sa.text("status IN ('applied', 'accepted', 'audited')"), postgresql_where=sa.text("status IN ('applied', 'accepted', 'audited')"))
        batch_op.drop_index('ix_certification_applications_enterprise')

    op.drop_table('certification_applications')

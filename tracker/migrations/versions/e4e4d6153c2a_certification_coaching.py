"""Certification coaching (认证培育): versions of the certification standard with their sections and items, firms'
assessments against one version (one open per firm and kind: a partial unique index), each item's current score
(unique per assessment and item, versioned) with its append-only history, and the evidence files

Revision ID: e4e4d6153c2a
Revises: e6c0a4b3d5f7
Create Date: 2026-12-04 19:00:50.295032

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4e4d6153c2a'
down_revision = 'e6c0a4b3d5f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certification_standards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version_label', sa.String(length=60), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['previous_id'], ['certification_standards.id'], name=op.f('fk_certification_standards_previous_id_certification_standards'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_standards')),
    sa.UniqueConstraint('code', name=op.f('uq_certification_standards_code'))
    )
    op.create_table('certification_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_bonus', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['certification_sections.id'], name=op.f('fk_certification_sections_parent_id_certification_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['standard_id'], ['certification_standards.id'], name=op.f('fk_certification_sections_standard_id_certification_standards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_sections')),
    sa.UniqueConstraint('standard_id', 'number', name=op.f('uq_certification_sections_standard_id_number'))
    )
    with op.batch_alter_table('certification_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_sections_parent_id'), ['parent_id'], unique=False)

    op.create_table('certification_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=True),
    sa.Column('is_bonus', sa.Boolean(), nullable=False),
    sa.Column('applies_to_all', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['certification_sections.id'], name=op.f('fk_certification_items_section_id_certification_sections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['standard_id'], ['certification_standards.id'], name=op.f('fk_certification_items_standard_id_certification_standards'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_items')),
    sa.UniqueConstraint('standard_id', 'number', name=op.f('uq_certification_items_standard_id_number'))
    )
    with op.batch_alter_table('certification_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_items_section_id'), ['section_id'], unique=False)

    op.create_table('certification_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('standard_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('officer', 'self', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'shared', 'submitted', 'closed', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'officer' AND status <> 'submitted') OR (kind = 'self' AND status IN ('draft', 'submitted'))", name=op.f('ck_certification_assessments_status_fits_kind')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_certification_assessments_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_certification_assessments_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['standard_id'], ['certification_standards.id'], name=op.f('fk_certification_assessments_standard_id_certification_standards'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_assessments'))
    )
    with op.batch_alter_table('certification_assessments', schema=None) as batch_op:
        batch_op.create_index('ix_certification_assessments_enterprise', ['enterprise_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_certification_assessments_standard_id'), ['standard_id'], unique=False)
        batch_op.create_index('uq_certification_assessments_open', ['enterprise_id', 'kind'], unique=True, sqlite_where=sa.text("status IN ('draft', 'shared')"), postgresql_where=sa.text("status IN ('draft', 'shared')"))

    op.create_table('certification_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['certification_assessments.id'], name=op.f('fk_certification_evidence_assessment_id_certification_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['certification_items.id'], name=op.f('fk_certification_evidence_item_id_certification_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_certification_evidence_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_certification_evidence_stored_name'))
    )
    with op.batch_alter_table('certification_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_certification_evidence_item', ['assessment_id', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certification_evidence_item_id'), ['item_id'], unique=False)

    op.create_table('certification_score_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('score', sa.Enum('met', 'mostly', 'not_met', 'not_applicable', name='score', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['certification_assessments.id'], name=op.f('fk_certification_score_history_assessment_id_certification_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['certification_items.id'], name=op.f('fk_certification_score_history_item_id_certification_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scored_by_id'], ['users.id'], name=op.f('fk_certification_score_history_scored_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_score_history')),
    sa.UniqueConstraint('assessment_id', 'item_id', 'revision', name=op.f('uq_certification_score_history_assessment_id_item_id_revision'))
    )
    with op.batch_alter_table('certification_score_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_score_history_item_id'), ['item_id'], unique=False)

    op.create_table('certification_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Enum('met', 'mostly', 'not_met', 'not_applicable', name='score', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['certification_assessments.id'], name=op.f('fk_certification_scores_assessment_id_certification_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['certification_items.id'], name=op.f('fk_certification_scores_item_id_certification_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scored_by_id'], ['users.id'], name=op.f('fk_certification_scores_scored_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_scores')),
    sa.UniqueConstraint('assessment_id', 'item_id', name=op.f('uq_certification_scores_assessment_id_item_id'))
    )
    with op.batch_alter_table('certification_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_scores_item_id'), ['item_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certification_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_scores_item_id'))

    op.drop_table('certification_scores')
    with op.batch_alter_table('certification_score_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_score_history_item_id'))

    op.drop_table('certification_score_history')
    with op.batch_alter_table('certification_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_evidence_item_id'))
        batch_op.drop_index('ix_certification_evidence_item')

    op.drop_table('certification_evidence')
    with op.batch_alter_table('certification_assessments', schema=None) as batch_op:
        batch_op.drop_index('uq_certification_assessments_open', sqlite_where=sa.text("status IN ('draft', 'shared')"), postgresql_where=sa.text("status IN ('draft', 'shared')"))
        batch_op.drop_index(batch_op.f('ix_certification_assessments_standard_id'))
        batch_op.drop_index('ix_certification_assessments_enterprise')

    op.drop_table('certification_assessments')
    with op.batch_alter_table('certification_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_items_section_id'))

    op.drop_table('certification_items')
    with op.batch_alter_table('certification_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_sections_parent_id'))

    op.drop_table('certification_sections')
    op.drop_table('certification_standards')

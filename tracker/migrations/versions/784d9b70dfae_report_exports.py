"""Report exports: the listing exports a job writes (report_exports)

One row per export a manager asked for: the listing, the filters it was asked with (args), its format,
its state (queued, running, done, failed) and progress (rows_written of rows_total), and the file it
wrote under instance/exports/. A periodic job deletes rows and files older than seven days
(created_at's index); a user's exports are read newest first (user_id, created_at).

Revision ID: 784d9b70dfae
Revises: 4c1f6a6000c0
Create Date: 2026-12-03 16:37:47.748056

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '784d9b70dfae'
down_revision = '4c1f6a6000c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('listing_key', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('rows_written', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('file_path', sa.String(length=500), nullable=True),
    sa.Column('download_name', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_report_exports_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_exports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_exports'))
    )
    with op.batch_alter_table('report_exports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_exports_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_report_exports_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_report_exports_user_id_created_at', ['user_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('report_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_report_exports_user_id_created_at')
        batch_op.drop_index('ix_report_exports_created_at')
        batch_op.drop_index(batch_op.f('ix_report_exports_campaign_id'))

    op.drop_table('report_exports')

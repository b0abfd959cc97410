"""Report cache: the slow aggregate statements of the campaign reports, kept for a few minutes

report_cache_reports holds each report someone read whose figures are kept (its campaign, reader, language
and filters, to build it again), when it was last read and counted, and the keys of its kept statements; report_cache_entries the rows of each
kept statement, by a digest of its SQL and parameters. A job counts the reports in use again every few
minutes and deletes those unread for a day (tracker/reports/cache.py).

Revision ID: b7e3c1d9f2a4
Revises: 9e2b7c4d1a60
Create Date: 2026-12-03 19:50:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7e3c1d9f2a4'
down_revision = '9e2b7c4d1a60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_cache_reports',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('identity', sa.JSON(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('statement_keys', sa.JSON(), nullable=False),
    sa.Column('refreshing_since', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_cache_reports'))
    )
    with op.batch_alter_table('report_cache_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_cache_reports_read_at'), ['read_at'], unique=False)

    op.create_table('report_cache_entries',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('report_key', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.LargeBinary(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('took_ms', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_cache_entries'))
    )
    with op.batch_alter_table('report_cache_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_cache_entries_computed_at'), ['computed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_cache_entries_report_key'), ['report_key'], unique=False)


def downgrade():
    with op.batch_alter_table('report_cache_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_cache_entries_report_key'))
        batch_op.drop_index(batch_op.f('ix_report_cache_entries_computed_at'))
    op.drop_table('report_cache_entries')

    with op.batch_alter_table('report_cache_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_cache_reports_read_at'))
    op.drop_table('report_cache_reports')

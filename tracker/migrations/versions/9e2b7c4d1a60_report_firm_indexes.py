"""The campaign reports' indexes by firm: a campaign's needs and visits of the report's firms (issue 12)

Every section restricts its rows to the firms of the report's offices (ReportScope.firm_condition). Both
engines answer that by walking those firms and probing each one's rows: with (campaign_id, enterprise_id,
date) the probe is one index range, where before it read every need or visit of the firm. Measured on the
national data set (bench/reports.py): counting a campaign's needs of one office 94 -> 5 ms on SQLite and
162 -> 10 ms on PostgreSQL; the national count 2,044 -> 191 ms on SQLite.

Revision ID: 9e2b7c4d1a60
Revises: 784d9b70dfae
Create Date: 2026-12-03 17:40:00
"""
from alembic import op


revision = '9e2b7c4d1a60'
down_revision = '784d9b70dfae'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_campaign_firm_raised', ['campaign_id', 'enterprise_id', 'raised_on'],
                              unique=False)
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_campaign_firm_visited', ['campaign_id', 'enterprise_id', 'visited_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_campaign_firm_visited')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index('ix_needs_campaign_firm_raised')

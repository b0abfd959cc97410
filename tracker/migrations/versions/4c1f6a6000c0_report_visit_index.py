"""The campaign reports' index on visits: a campaign's visits in a period, covering (issue 12)

The survey's figures, visits per month and per officer and the firms by office read a campaign's visits
between two instants, and of each its firm (and its id, for the officers who went): (campaign_id,
visited_at, enterprise_id, id) answers them from the index alone. It starts with campaign_id, so the
single-column ix_visits_campaign_id it replaces had nothing left to do.

Revision ID: 4c1f6a6000c0
Revises: 5d1e8c3a9f27
Create Date: 2026-12-05 09:00:00
"""
from alembic import op


revision = '4c1f6a6000c0'
down_revision = '5d1e8c3a9f27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_campaign_visited', ['campaign_id', 'visited_at', 'enterprise_id', 'id'],
                              unique=False)
        batch_op.drop_index(batch_op.f('ix_visits_campaign_id'))


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_campaign_id'), ['campaign_id'], unique=False)
        batch_op.drop_index('ix_visits_campaign_visited')

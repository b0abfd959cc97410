"""Users carry their post (职务: 关员, 科长, 处长 ...) as data, named with it in pickers and pages

The role is what a user may do; the post is what he is called. A manager of 大连海关 is a 处长,
not the 科长 a label derived from the role made of him (issue 10).

Revision ID: a9d4c2e7f105
Revises: b3f6a8c1d2e4
Create Date: 2026-12-03 07:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = 'a9d4c2e7f105'
down_revision = 'b3f6a8c1d2e4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('title', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('title')

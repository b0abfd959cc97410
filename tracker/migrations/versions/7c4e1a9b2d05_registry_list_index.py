"""The firm list's default order (name_pinyin, id) served by an index (issue 8, bench/README.md).

The list and its deep pages read the page's ids by walking this index instead of sorting every
visible firm at full width; office_id and archived_at make it covering for the list's scope and
"not archived" conditions, so a deep page reads index entries only.

Revision ID: 7c4e1a9b2d05
Revises: c7d41e0a9b25
Create Date: 2026-12-01 22:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c4e1a9b2d05'
down_revision = 'c7d41e0a9b25'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.create_index('ix_enterprises_name_pinyin', ['name_pinyin', 'id', 'office_id', 'archived_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprises_name_pinyin')

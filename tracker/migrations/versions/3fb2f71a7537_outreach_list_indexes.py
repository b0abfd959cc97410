"""Indexes for the needs list and My work at a million needs (issue 4's benchmark, bench/README.md).

The needs list reads each page in (deadline, id) order, whole or within a category or a department,
instead of sorting every matching need; the two single-column indexes on category_id and department_id
become the leading columns of the new ones. My work reads the extension requests awaiting a decision
through their status.

Revision ID: 3fb2f71a7537
Revises: d03ebd436c3f
Create Date: 2026-11-28 06:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3fb2f71a7537'
down_revision = 'd03ebd436c3f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index('ix_needs_deadline', ['deadline', 'id', 'status', 'enterprise_id'], unique=False)
        batch_op.create_index('ix_needs_category_deadline', ['category_id', 'deadline', 'id'], unique=False)
        batch_op.create_index('ix_needs_department_deadline', ['department_id', 'deadline', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_needs_category_id'))
        batch_op.drop_index(batch_op.f('ix_needs_department_id'))

    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_extensions_status', ['status', 'requested_at'], unique=False)


def downgrade():
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_extensions_status')

    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_category_id'), ['category_id'], unique=False)
        batch_op.drop_index('ix_needs_department_deadline')
        batch_op.drop_index('ix_needs_category_deadline')
        batch_op.drop_index('ix_needs_deadline')

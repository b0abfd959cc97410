"""Optimistic locking (version_id) on firms, needs, plans, visits and reference rows; one-time submission keys

Revision ID: c7d41e0a9b25
Revises: ad095d8c18af
Create Date: 2026-12-01 22:15:00
"""
import sqlalchemy as sa
from alembic import op


revision = "c7d41e0a9b25"
down_revision = "ad095d8c18af"
branch_labels = None
depends_on = None

VERSIONED = ("enterprises", "needs", "assistance_plans", "visits", "need_categories", "policy_topics")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version_id", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "submission_keys",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_submission_keys_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_submission_keys")),
    )
    op.create_index(op.f("ix_submission_keys_created_at"), "submission_keys", ["created_at"])


def downgrade():
    op.drop_index(op.f("ix_submission_keys_created_at"), table_name="submission_keys")
    op.drop_table("submission_keys")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version_id")

"""Contact accounts: invitation and password-reset links

account_tokens holds the one-time links: an officer's invitation for a firm's contact (the account is made
when the contact uses it) and the password-reset links mailed to contacts. The link's proof is an HMAC of the
row's secret under the app's secret key (tracker/accounts/models.py). notifications.kind gains need_raised
(a contact raised a need in the portal).

Revision ID: c4a8e2f1b3d5
Revises: b7e3c1d9f2a4
Create Date: 2026-12-04 14:20:04.203021

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a8e2f1b3d5'
down_revision = 'b7e3c1d9f2a4'
branch_labels = None
depends_on = None

OLD_KINDS = ('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided',
             'need_reopened', 'extension_withdrawn', 'appointment_flagged', 'appointment_affected', 'poor_rating',
             'rating_answered')
NEW_KINDS = OLD_KINDS + ('need_raised',)


def _kinds(values):
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'),
                                         "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def upgrade():
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invitation', 'password_reset', name='token_purpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(purpose = 'invitation' AND enterprise_id IS NOT NULL) OR (purpose = 'password_reset' AND user_id IS NOT NULL)", name=op.f('ck_account_tokens_account_token_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_account_tokens_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)
    _kinds(NEW_KINDS)



def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'need_raised'")
    _kinds(OLD_KINDS)
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_account_tokens_enterprise_id'))

    op.drop_table('account_tokens')

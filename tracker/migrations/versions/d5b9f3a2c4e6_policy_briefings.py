"""Policy briefings (宣讲会): briefings and their topics, invitations, registrations and materials

briefings.registered counts the active registrations, kept within the capacity by a CHECK (a registration
takes its place with a conditional UPDATE); one active registration per firm and briefing is a partial
unique index, as the counter's appointments. Notifications gain the kind briefing_invited.

Revision ID: d5b9f3a2c4e6
Revises: c4a8e2f1b3d5
Create Date: 2026-12-04 14:45:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5b9f3a2c4e6'
down_revision = 'c4a8e2f1b3d5'
branch_labels = None
depends_on = None

OLD_KINDS = ('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided',
             'need_reopened', 'extension_withdrawn', 'appointment_flagged', 'appointment_affected', 'poor_rating',
             'rating_answered', 'need_raised')
NEW_KINDS = OLD_KINDS + ('briefing_invited',)


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('briefings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', 'held', 'cancelled', name='status', native_enum=False,
                                create_constraint=True, length=9), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('registered >= 0 AND registered <= capacity',
                       name=op.f('ck_briefings_registered_within_capacity')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 1000', name=op.f('ck_briefings_capacity')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_briefings_starts_before_ends')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_briefings_campaign_id_campaigns'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_briefings_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_briefings_office_id_offices'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefings'))
    )
    with op.batch_alter_table('briefings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefings_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_briefings_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_briefings_office_starts', ['office_id', 'starts_at'], unique=False)

    op.create_table('briefing_topics',
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_briefing_topics_briefing_id_briefings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['policy_topics.id'], name=op.f('fk_briefing_topics_topic_id_policy_topics'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('briefing_id', 'topic_id', name=op.f('pk_briefing_topics'))
    )
    with op.batch_alter_table('briefing_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_topics_topic_id'), ['topic_id'], unique=False)

    op.create_table('briefing_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'],
                            name=op.f('fk_briefing_invitations_briefing_id_briefings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                            name=op.f('fk_briefing_invitations_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_briefing_invitations_invited_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_invitations')),
    sa.UniqueConstraint('briefing_id', 'enterprise_id', name=op.f('uq_briefing_invitations_briefing_id_enterprise_id'))
    )
    with op.batch_alter_table('briefing_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_invitations_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('briefing_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('attendees', sa.Integer(), nullable=False),
    sa.Column('attendee_names', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('registered', 'cancelled', name='status', native_enum=False, create_constraint=True,
                                length=10), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.Column('check_in_method', sa.Enum('qr', 'officer', name='check_in_method', native_enum=False,
                                         create_constraint=True, length=7), nullable=True),
    sa.CheckConstraint('attendees BETWEEN 1 AND 5', name=op.f('ck_briefing_registrations_attendees')),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'],
                            name=op.f('fk_briefing_registrations_briefing_id_briefings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'],
                            name=op.f('fk_briefing_registrations_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'],
                            name=op.f('fk_briefing_registrations_registered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'],
                            name=op.f('fk_briefing_registrations_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_registrations'))
    )
    with op.batch_alter_table('briefing_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_registrations_briefing_id'), ['briefing_id'], unique=False)
        batch_op.create_index('ix_briefing_registrations_enterprise', ['enterprise_id', 'status'], unique=False)
        batch_op.create_index('uq_briefing_registrations_firm', ['briefing_id', 'enterprise_id'], unique=True,
                              sqlite_where=sa.text("status <> 'cancelled'"),
                              postgresql_where=sa.text("status <> 'cancelled'"))

    op.create_table('briefing_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('briefing_id', sa.Integer(), nullable=False),
    sa.Column('original_filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_briefing_materials_briefing_id_briefings'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_briefing_materials_uploaded_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_briefing_materials')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_briefing_materials_stored_name'))
    )
    with op.batch_alter_table('briefing_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_briefing_materials_briefing_id'), ['briefing_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', NEW_KINDS))


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind = 'briefing_invited'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', OLD_KINDS))
    with op.batch_alter_table('briefing_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_materials_briefing_id'))
    op.drop_table('briefing_materials')
    with op.batch_alter_table('briefing_registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_briefing_registrations_firm', sqlite_where=sa.text("status <> 'cancelled'"),
                            postgresql_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index('ix_briefing_registrations_enterprise')
        batch_op.drop_index(batch_op.f('ix_briefing_registrations_briefing_id'))
    op.drop_table('briefing_registrations')
    with op.batch_alter_table('briefing_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_invitations_enterprise_id'))
    op.drop_table('briefing_invitations')
    with op.batch_alter_table('briefing_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_briefing_topics_topic_id'))
    op.drop_table('briefing_topics')
    with op.batch_alter_table('briefings', schema=None) as batch_op:
        batch_op.drop_index('ix_briefings_office_starts')
        batch_op.drop_index(batch_op.f('ix_briefings_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_briefings_office_id'))
    op.drop_table('briefings')

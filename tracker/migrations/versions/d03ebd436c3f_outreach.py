"""Outreach: visits, the needs ledger with follow-ups and extensions, assistance plans, notifications.

Revision ID: d03ebd436c3f
Revises: 9db9de77657d
Create Date: 2026-11-28 01:21:44.869633

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd03ebd436c3f'
down_revision = '9db9de77657d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('need_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('deadline_days BETWEEN 1 AND 365', name=op.f('ck_need_categories_deadline_days')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_categories')),
    sa.UniqueConstraint('name', name=op.f('uq_need_categories_name'))
    )
    op.create_table('policy_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_topics')),
    sa.UniqueConstraint('name', name=op.f('uq_policy_topics_name'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided', 'need_reopened', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('dedupe_key', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'kind', 'dedupe_key', name=op.f('uq_notifications_user_id_kind_dedupe_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', 'created_at'], unique=False)

    op.create_table('assistance_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'approved', 'in_progress', 'completed', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('return_comment', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_assistance_plans_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_assistance_plans_campaign_id_campaigns'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assistance_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_assistance_plans_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assistance_plans')),
    sa.UniqueConstraint('enterprise_id', 'campaign_id', name=op.f('uq_assistance_plans_enterprise_id_campaign_id'))
    )
    with op.batch_alter_table('assistance_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistance_plans_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_assistance_plans_status', ['status'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('visit_type', sa.Enum('door_to_door', 'workshop', 'forum', 'remote', 'local_government', name='visit_type', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_visits_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_visits_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_visits_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_visits_enterprise_visited', ['enterprise_id', 'visited_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_follow_up_on'), ['follow_up_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_visited_at'), ['visited_at'], unique=False)

    op.create_table('needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('visit', 'briefing', 'portal', 'phone', name='source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('assigned_officer_id', sa.Integer(), nullable=True),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'in_progress', 'resolved', 'closed', 'unresolvable', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_officer_id'], ['users.id'], name=op.f('fk_needs_assigned_officer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_needs_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['need_categories.id'], name=op.f('fk_needs_category_id_need_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_needs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_needs_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_needs_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_needs_visit_id_visits'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs'))
    )
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_needs_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_needs_enterprise_status', ['enterprise_id', 'status'], unique=False)
        batch_op.create_index('ix_needs_officer_status', ['assigned_officer_id', 'status', 'deadline'], unique=False)
        batch_op.create_index('ix_needs_status_deadline', ['status', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_needs_visit_id'), ['visit_id'], unique=False)

    op.create_table('plan_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('open', 'in_progress', 'done', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_plan_measures_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['assistance_plans.id'], name=op.f('fk_plan_measures_plan_id_assistance_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_measures'))
    )
    with op.batch_alter_table('plan_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_measures_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_measures_plan_id'), ['plan_id'], unique=False)

    op.create_table('visit_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['enterprise_contacts.id'], name=op.f('fk_visit_attendees_contact_id_enterprise_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_attendees_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_attendees'))
    )
    with op.batch_alter_table('visit_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_attendees_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_officers',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_visit_officers_user_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_officers_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'user_id', name=op.f('pk_visit_officers'))
    )
    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_officers_user_id'), ['user_id'], unique=False)

    op.create_table('visit_topics',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['policy_topics.id'], name=op.f('fk_visit_topics_topic_id_policy_topics'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_topics_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'topic_id', name=op.f('pk_visit_topics'))
    )
    with op.batch_alter_table('visit_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_topics_topic_id'), ['topic_id'], unique=False)

    op.create_table('deadline_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('old_deadline', sa.Date(), nullable=False),
    sa.Column('new_deadline', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.Enum('requested', 'approved', 'rejected', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_deadline_extensions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_deadline_extensions_need_id_needs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_deadline_extensions_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_extensions'))
    )
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_extensions_need_id'), ['need_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('call', 'firm', name='channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('satisfaction', sa.Enum('satisfied', 'basically_satisfied', 'dissatisfied', name='satisfaction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_follow_ups_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_follow_ups_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_need_id'), ['need_id'], unique=False)

    op.create_table('measure_needs',
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['measure_id'], ['plan_measures.id'], name=op.f('fk_measure_needs_measure_id_plan_measures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_measure_needs_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('measure_id', 'need_id', name=op.f('pk_measure_needs'))
    )
    with op.batch_alter_table('measure_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_needs_need_id'), ['need_id'], unique=False)

    op.create_table('need_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('progress', 'internal', 'comment', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_need_entries_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['need_id'], ['needs.id'], name=op.f('fk_need_entries_need_id_needs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_need_entries'))
    )
    with op.batch_alter_table('need_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_entries_need_id'), ['need_id'], unique=False)

    topics = sa.table('policy_topics', sa.column('name'), sa.column('name_en'), sa.column('active'))
    op.bulk_insert(topics, [{'name': n, 'name_en': e, 'active': True} for n, e in POLICY_TOPICS])
    categories = sa.table('need_categories', sa.column('name'), sa.column('name_en'), sa.column('deadline_days'),
                          sa.column('active'))
    op.bulk_insert(categories, [{'name': n, 'name_en': e, 'deadline_days': d, 'active': True}
                                for n, e, d in NEED_CATEGORIES])


def downgrade():
    with op.batch_alter_table('need_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_entries_need_id'))

    op.drop_table('need_entries')
    with op.batch_alter_table('measure_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_needs_need_id'))

    op.drop_table('measure_needs')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_need_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('deadline_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_extensions_need_id'))

    op.drop_table('deadline_extensions')
    with op.batch_alter_table('visit_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_topics_topic_id'))

    op.drop_table('visit_topics')
    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_officers_user_id'))

    op.drop_table('visit_officers')
    with op.batch_alter_table('visit_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_attendees_visit_id'))

    op.drop_table('visit_attendees')
    with op.batch_alter_table('plan_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_measures_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_measures_owner_id'))

    op.drop_table('plan_measures')
    with op.batch_alter_table('needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_needs_visit_id'))
        batch_op.drop_index('ix_needs_status_deadline')
        batch_op.drop_index('ix_needs_officer_status')
        batch_op.drop_index('ix_needs_enterprise_status')
        batch_op.drop_index(batch_op.f('ix_needs_department_id'))
        batch_op.drop_index(batch_op.f('ix_needs_category_id'))
        batch_op.drop_index(batch_op.f('ix_needs_campaign_id'))

    op.drop_table('needs')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_visited_at'))
        batch_op.drop_index(batch_op.f('ix_visits_follow_up_on'))
        batch_op.drop_index('ix_visits_enterprise_visited')
        batch_op.drop_index(batch_op.f('ix_visits_campaign_id'))

    op.drop_table('visits')
    with op.batch_alter_table('assistance_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_assistance_plans_status')
        batch_op.drop_index(batch_op.f('ix_assistance_plans_campaign_id'))

    op.drop_table('assistance_plans')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')

    op.drop_table('notifications')
    op.drop_table('policy_topics')
    op.drop_table('need_categories')


# Reference lists from the customs survey; admins edit them afterwards.
POLICY_TOPICS = [
    ('原产地证业务', 'Certificates of origin'),
    ('一体化通关', 'Integrated clearance'),
    ('进出境木质包装检疫', 'Wood-packaging quarantine'),
    ('企业信用管理', 'Enterprise credit management'),
    ('综合保税区政策', 'Comprehensive bonded zone policy'),
    ('通关便利措施', 'Clearance facilitation measures'),
]

# (name, English, default deadline in working days)
NEED_CATEGORIES = [
    ('通关时效', 'Clearance time', 5),
    ('原产地证', 'Certificate of origin', 5),
    ('企业信用认证', 'Credit certification', 20),
    ('检验检疫', 'Inspection and quarantine', 10),
    ('加工贸易监管', 'Processing-trade supervision', 10),
    ('保税政策', 'Bonded policy', 15),
    ('税费', 'Duties and taxes', 10),
    ('其他', 'Other', 10),
]

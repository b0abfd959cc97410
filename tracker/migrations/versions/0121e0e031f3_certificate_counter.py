"""The certificate-of-origin counter: service points, slots, appointments, ratings, tokens; users' e-mail

service_points (one per office) with opening_periods and counter_windows; slots count their bookings
under CHECK (booked BETWEEN 0 AND capacity), which the booking's conditional UPDATE relies on;
appointments keep one active booking per firm and slot (a partial unique index) and one queue number per
counter and day; issued_certificates, service_ratings (好差评), display_tokens (the hall display),
calendar_feeds (a firm's private .ics feed) and counter_digests (an officer's digest, once a day).
certificate_types is the editable reference list, filled here from the customs' list of certificates.
users.email: where reminders go. notifications.kind gains the counter's four notices.

Revision ID: 0121e0e031f3
Revises: f1c2a7e9d3b8
Create Date: 2026-12-03 10:18:11.341041
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0121e0e031f3'
down_revision = 'f1c2a7e9d3b8'
branch_labels = None
depends_on = None


OLD_KINDS = ('need_assigned', 'deadline_near', 'plan_approved', 'plan_returned', 'extension_decided',
             'need_reopened', 'extension_withdrawn')
NEW_KINDS = OLD_KINDS + ('appointment_flagged', 'appointment_affected', 'poor_rating', 'rating_answered')

# (code, name, English) in the order the forms offer them.
CERTIFICATE_TYPES = [
    ('CO', '非优惠原产地证书', 'Non-preferential certificate of origin (C/O)'),
    ('FORM_A', '普惠制原产地证书（FORM A）', 'GSP certificate of origin (FORM A)'),
    ('FORM_E', '中国-东盟自贸区原产地证书（FORM E）', 'China-ASEAN FTA certificate (FORM E)'),
    ('APTA', '亚太贸易协定原产地证书', 'Asia-Pacific Trade Agreement certificate'),
    ('RCEP', 'RCEP原产地证书', 'RCEP certificate of origin'),
    ('FORM_P', '中国-巴基斯坦自贸区原产地证书', 'China-Pakistan FTA certificate (FORM P)'),
    ('FORM_F', '中国-智利自贸区原产地证书', 'China-Chile FTA certificate (FORM F)'),
    ('FORM_N', '中国-新西兰自贸区原产地证书', 'China-New Zealand FTA certificate (FORM N)'),
    ('FORM_X', '中国-新加坡自贸区原产地证书', 'China-Singapore FTA certificate (FORM X)'),
    ('FORM_R', '中国-秘鲁自贸区原产地证书', 'China-Peru FTA certificate (FORM R)'),
    ('FORM_L', '中国-哥斯达黎加自贸区原产地证书', 'China-Costa Rica FTA certificate (FORM L)'),
    ('FORM_S', '中国-瑞士自贸区原产地证书', 'China-Switzerland FTA certificate (FORM S)'),
    ('FORM_IS', '中国-冰岛自贸区原产地证书', 'China-Iceland FTA certificate'),
    ('FORM_AU', '中国-澳大利亚自贸区原产地证书', 'China-Australia FTA certificate'),
    ('FORM_K', '中国-韩国自贸区原产地证书', 'China-Korea FTA certificate'),
    ('FORM_GE', '中国-格鲁吉亚自贸区原产地证书', 'China-Georgia FTA certificate'),
    ('FORM_MU', '中国-毛里求斯自贸区原产地证书', 'China-Mauritius FTA certificate'),
    ('FORM_NI', '中国-尼加拉瓜自贸区原产地证书', 'China-Nicaragua FTA certificate'),
    ('ECFA', '海峡两岸经济合作框架协议原产地证书（ECFA）', 'ECFA certificate of origin'),
    ('PROCESSING', '加工装配证书', 'Certificate of processing and assembly'),
    ('REEXPORT', '转口证明书', 'Certificate of re-export'),
]


def _in(column, values):
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    op.create_table('certificate_types',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('sort_order', sa.Integer(), server_default='100', nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_types')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_types_code')),
    sa.UniqueConstraint('name', name=op.f('uq_certificate_types_name'))
    )
    op.create_table('service_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), server_default='30', nullable=False),
    sa.Column('capacity', sa.Integer(), server_default='2', nullable=False),
    sa.Column('booking_days', sa.Integer(), server_default='14', nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), server_default='60', nullable=False),
    sa.Column('grace_minutes', sa.Integer(), server_default='30', nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('booking_days BETWEEN 1 AND 90', name=op.f('ck_service_points_booking_days')),
    sa.CheckConstraint('capacity BETWEEN 1 AND 50', name=op.f('ck_service_points_capacity')),
    sa.CheckConstraint('grace_minutes BETWEEN 0 AND 240', name=op.f('ck_service_points_grace_minutes')),
    sa.CheckConstraint('min_notice_minutes BETWEEN 0 AND 10080', name=op.f('ck_service_points_min_notice_minutes')),
    sa.CheckConstraint('slot_minutes BETWEEN 5 AND 240', name=op.f('ck_service_points_slot_minutes')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_service_points_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_points')),
    sa.UniqueConstraint('office_id', name=op.f('uq_service_points_office_id'))
    )
    op.create_table('counter_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('number BETWEEN 1 AND 99', name=op.f('ck_counter_windows_number')),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_counter_windows_service_point_id_service_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_windows')),
    sa.UniqueConstraint('service_point_id', 'number', name=op.f('uq_counter_windows_service_point_id_number'))
    )
    op.create_table('opening_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.CheckConstraint('opens < closes', name=op.f('ck_opening_periods_opens_before_closes')),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_opening_periods_weekday')),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_opening_periods_service_point_id_service_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_periods')),
    sa.UniqueConstraint('service_point_id', 'weekday', 'opens', name=op.f('uq_opening_periods_service_point_id_weekday_opens'))
    )
    op.create_table('slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), server_default='0', nullable=False),
    sa.Column('offered', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name=op.f('ck_slots_booked_within_capacity')),
    sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_slots_starts_before_ends')),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_slots_service_point_id_service_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('service_point_id', 'starts_at', name=op.f('uq_slots_service_point_id_starts_at'))
    )
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index('ix_slots_point_day', ['service_point_id', 'day', 'starts_at'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('enterprise_id', sa.Integer(), nullable=True),
    sa.Column('visitor_name', sa.String(length=200), nullable=True),
    sa.Column('walk_in', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('booked', 'waiting', 'called', 'serving', 'completed', 'cancelled', 'no_show', 'wasted', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('certificate_type_id', sa.Integer(), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('sailing_date', sa.Date(), nullable=True),
    sa.Column('vessel', sa.String(length=100), nullable=True),
    sa.Column('port', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('queue_number', sa.Integer(), nullable=True),
    sa.Column('window_id', sa.Integer(), nullable=True),
    sa.Column('served_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('wasted_reason', sa.Enum('documents_missing', 'system_outage', 'wrong_certificate_type', 'other', name='wasted_reason', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('wasted_note', sa.String(length=500), nullable=True),
    sa.Column('needs_rearranging', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('rearrange_reason', sa.String(length=200), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('enterprise_id IS NOT NULL OR visitor_name IS NOT NULL', name=op.f('ck_appointments_someone')),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99', name=op.f('ck_appointments_quantity')),
    sa.CheckConstraint('walk_in OR slot_id IS NOT NULL', name=op.f('ck_appointments_booked_has_slot')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_appointments_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['users.id'], name=op.f('fk_appointments_cancelled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['certificate_type_id'], ['certificate_types.id'], name=op.f('fk_appointments_certificate_type_id_certificate_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_appointments_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['served_by_id'], ['users.id'], name=op.f('fk_appointments_served_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_appointments_service_point_id_service_points'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_appointments_slot_id_slots'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['window_id'], ['counter_windows.id'], name=op.f('fk_appointments_window_id_counter_windows'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('service_point_id', 'day', 'queue_number', name='uq_appointments_queue_number')
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_enterprise', ['enterprise_id', 'day'], unique=False)
        batch_op.create_index('ix_appointments_point_day', ['service_point_id', 'day', 'status'], unique=False)
        batch_op.create_index('ix_appointments_to_rearrange', ['service_point_id', 'needs_rearranging', 'status'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('uq_appointments_firm_slot', ['slot_id', 'enterprise_id'], unique=True, sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_feeds_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_calendar_feeds_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('counter_digests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_counter_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_digests')),
    sa.UniqueConstraint('user_id', 'day', name=op.f('uq_counter_digests_user_id_day'))
    )
    op.create_table('display_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_display_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_display_tokens_service_point_id_service_points'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_display_tokens_token_hash'))
    )
    with op.batch_alter_table('display_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_display_tokens_service_point_id'), ['service_point_id'], unique=False)

    op.create_table('issued_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('certificate_type_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 99', name=op.f('ck_issued_certificates_quantity')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_issued_certificates_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['certificate_type_id'], ['certificate_types.id'], name=op.f('fk_issued_certificates_certificate_type_id_certificate_types'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_certificates')),
    sa.UniqueConstraint('appointment_id', 'certificate_type_id', name=op.f('uq_issued_certificates_appointment_id_certificate_type_id'))
    )
    op.create_table('service_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('good', sa.Boolean(), nullable=False),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_due', sa.Date(), nullable=True),
    sa.Column('answer', sa.String(length=1000), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_service_ratings_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_service_ratings_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_by_id'], ['users.id'], name=op.f('fk_service_ratings_rated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_ratings')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_service_ratings_appointment_id'))
    )
    with op.batch_alter_table('service_ratings', schema=None) as batch_op:
        batch_op.create_index('ix_service_ratings_unanswered', ['good', 'answered_at', 'answer_due'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=19), type_=sa.String(length=20),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', NEW_KINDS))
    types = sa.table('certificate_types', sa.column('code', sa.String), sa.column('name', sa.String),
                     sa.column('name_en', sa.String), sa.column('sort_order', sa.Integer),
                     sa.column('active', sa.Boolean))
    op.bulk_insert(types, [{'code': c, 'name': n, 'name_en': e, 'sort_order': 10 * (i + 1), 'active': True}
                           for i, (c, n, e) in enumerate(CERTIFICATE_TYPES)])


def downgrade():
    op.execute("DELETE FROM notifications WHERE kind IN ('appointment_flagged', 'appointment_affected', "
               "'poor_rating', 'rating_answered')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notifications_kind'), type_='check')
        batch_op.alter_column('kind', existing_type=sa.String(length=20), type_=sa.String(length=19),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_notifications_kind'), _in('kind', OLD_KINDS))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('service_ratings', schema=None) as batch_op:
        batch_op.drop_index('ix_service_ratings_unanswered')

    op.drop_table('service_ratings')
    op.drop_table('issued_certificates')
    with op.batch_alter_table('display_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_display_tokens_service_point_id'))

    op.drop_table('display_tokens')
    op.drop_table('counter_digests')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_enterprise_id'))

    op.drop_table('calendar_feeds')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('uq_appointments_firm_slot', sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_appointments_slot_id'))
        batch_op.drop_index('ix_appointments_point_day')
        batch_op.drop_index('ix_appointments_to_rearrange')
        batch_op.drop_index('ix_appointments_enterprise')

    op.drop_table('appointments')
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index('ix_slots_point_day')

    op.drop_table('slots')
    op.drop_table('opening_periods')
    op.drop_table('counter_windows')
    op.drop_table('service_points')
    op.drop_table('certificate_types')

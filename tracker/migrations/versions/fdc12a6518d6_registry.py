"""Enterprise registry: firm details, contacts, trade modes, credit history; declarations; campaigns.

Revision ID: fdc12a6518d6
Revises: 3742256b9cfb
Create Date: 2026-11-28 00:17:34.781507

"""
import sqlalchemy as sa
from alembic import op
from pypinyin import Style, lazy_pinyin


# revision identifiers, used by Alembic.
revision = 'fdc12a6518d6'
down_revision = '3742256b9cfb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('trade_modes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_modes')),
    sa.UniqueConstraint('code', name=op.f('uq_trade_modes_code'))
    )
    op.create_table('credit_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('regime', sa.Enum('decree_237', 'decree_251', 'decree_282', name='regime', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('level', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_credit_ratings_period')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_credit_ratings_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_ratings')),
    sa.UniqueConstraint('enterprise_id', 'valid_from', name=op.f('uq_credit_ratings_enterprise_id_valid_from'))
    )
    with op.batch_alter_table('credit_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_ratings_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('enterprise_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_contacts_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_contacts'))
    )
    with op.batch_alter_table('enterprise_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_contacts_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('enterprise_trade_modes',
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('trade_mode_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_trade_modes_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['trade_mode_id'], ['trade_modes.id'], name=op.f('fk_enterprise_trade_modes_trade_mode_id_trade_modes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('enterprise_id', 'trade_mode_id', name=op.f('pk_enterprise_trade_modes'))
    )
    with op.batch_alter_table('enterprise_trade_modes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_trade_modes_trade_mode_id'), ['trade_mode_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('declaration_year', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_campaigns_period')),
    sa.CheckConstraint('threshold >= 1', name=op.f('ck_campaigns_threshold_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_campaigns_office_id_offices'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_office_id'), ['office_id'], unique=False)

    op.create_table('declaration_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('default_year', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('reading', 'ready', 'invalid', 'committed', 'failed', 'discarded', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('bytes_read', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_declaration_imports_office_id_offices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_declaration_imports_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_imports'))
    )
    with op.batch_alter_table('declaration_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_imports_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_declaration_imports_sha256'), ['sha256'], unique=False)

    op.create_table('declaration_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('declarations', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('declarations >= 0', name=op.f('ck_declaration_counts_non_negative')),
    sa.CheckConstraint('year BETWEEN 1980 AND 2200', name=op.f('ck_declaration_counts_year_range')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_declaration_counts_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['declaration_imports.id'], name=op.f('fk_declaration_counts_import_id_declaration_imports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_counts')),
    sa.UniqueConstraint('enterprise_id', 'year', name=op.f('uq_declaration_counts_enterprise_id_year'))
    )
    with op.batch_alter_table('declaration_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_declaration_counts_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_declaration_counts_year_declarations', ['year', 'declarations'], unique=False)

    op.create_table('roster_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('include', 'exclude', name='decision', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_roster_decisions_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_roster_decisions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_roster_decisions_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_decisions')),
    sa.UniqueConstraint('campaign_id', 'enterprise_id', name=op.f('uq_roster_decisions_campaign_id_enterprise_id'))
    )
    with op.batch_alter_table('roster_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_decisions_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('roster_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('declarations', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('screening', 'manual', name='source', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_roster_entries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_roster_entries_enterprise_id_enterprises'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_entries')),
    sa.UniqueConstraint('campaign_id', 'enterprise_id', name=op.f('uq_roster_entries_campaign_id_enterprise_id'))
    )
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_entries_enterprise_id'), ['enterprise_id'], unique=False)

    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('name_initials', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('name_pinyin', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('uscc_override_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('district', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('industry', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('economic_type', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('is_key', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('assigned_officer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('credit_level', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.func.current_timestamp()))
        batch_op.create_index(batch_op.f('ix_enterprises_assigned_officer_id'), ['assigned_officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_credit_level'), ['credit_level'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_is_key'), ['is_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprises_name_initials'), ['name_initials'], unique=False)
        batch_op.create_index('ix_enterprises_office_archived', ['office_id', 'archived_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_enterprises_assigned_officer_id_users'), 'users', ['assigned_officer_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(
            'economic_type', "economic_type IS NULL OR economic_type IN ('1','2','3','4','5','6','7','8','9')"
        )

    # The server defaults only filled existing rows; the application sets these columns itself.
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.alter_column('name_initials', server_default=None)
        batch_op.alter_column('name_pinyin', server_default=None)
        batch_op.alter_column('is_key', server_default=None)
        batch_op.alter_column('updated_at', server_default=None)
    _backfill_pinyin()

    trade_modes = sa.table('trade_modes', sa.column('code'), sa.column('name'), sa.column('name_en'), sa.column('active'))
    op.bulk_insert(trade_modes, [{'code': c, 'name': n, 'name_en': e, 'active': True} for c, n, e in TRADE_MODES])

    if op.get_bind().dialect.name == 'postgresql':
        # Substring search on names and pinyin keys is an indexed query on PostgreSQL (pg_trgm).
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in ('name', 'name_initials', 'name_pinyin'):
            op.execute(f'CREATE INDEX ix_enterprises_{column}_trgm ON enterprises USING gin ({column} gin_trgm_ops)')



def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for column in ('name', 'name_initials', 'name_pinyin'):
            op.execute(f'DROP INDEX IF EXISTS ix_enterprises_{column}_trgm')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_enterprises_economic_type'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_enterprises_assigned_officer_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_enterprises_office_archived')
        batch_op.drop_index(batch_op.f('ix_enterprises_name_initials'))
        batch_op.drop_index(batch_op.f('ix_enterprises_name'))
        batch_op.drop_index(batch_op.f('ix_enterprises_is_key'))
        batch_op.drop_index(batch_op.f('ix_enterprises_credit_level'))
        batch_op.drop_index(batch_op.f('ix_enterprises_assigned_officer_id'))
        batch_op.drop_column('updated_at')
        batch_op.drop_column('archived_at')
        batch_op.drop_column('credit_level')
        batch_op.drop_column('notes')
        batch_op.drop_column('assigned_officer_id')
        batch_op.drop_column('is_key')
        batch_op.drop_column('economic_type')
        batch_op.drop_column('industry')
        batch_op.drop_column('address')
        batch_op.drop_column('district')
        batch_op.drop_column('uscc_override_reason')
        batch_op.drop_column('name_pinyin')
        batch_op.drop_column('name_initials')
        batch_op.drop_column('name_en')

    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_entries_enterprise_id'))

    op.drop_table('roster_entries')
    with op.batch_alter_table('roster_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_decisions_enterprise_id'))

    op.drop_table('roster_decisions')
    with op.batch_alter_table('declaration_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_declaration_counts_year_declarations')
        batch_op.drop_index(batch_op.f('ix_declaration_counts_import_id'))

    op.drop_table('declaration_counts')
    with op.batch_alter_table('declaration_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_declaration_imports_sha256'))
        batch_op.drop_index(batch_op.f('ix_declaration_imports_office_id'))

    op.drop_table('declaration_imports')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_office_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('enterprise_trade_modes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_trade_modes_trade_mode_id'))

    op.drop_table('enterprise_trade_modes')
    with op.batch_alter_table('enterprise_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_contacts_enterprise_id'))

    op.drop_table('enterprise_contacts')
    with op.batch_alter_table('credit_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_ratings_enterprise_id'))

    op.drop_table('credit_ratings')
    op.drop_table('trade_modes')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')


# The reference list as the customs rules give it; admins edit it afterwards.
TRADE_MODES = [
    ('0110', '一般贸易', 'General trade'),
    ('0214', '来料加工', 'Processing with supplied materials'),
    ('0615', '进料对口', 'Processing with imported materials (matched)'),
    ('0715', '进料非对口', 'Processing with imported materials (unmatched)'),
    ('0255', '来料深加工', 'Further processing, supplied materials'),
    ('0654', '进料深加工', 'Further processing, imported materials'),
    ('0130', '易货贸易', 'Barter trade'),
    ('0513', '补偿贸易', 'Compensation trade'),
    ('0420', '加工贸易设备', 'Processing-trade equipment'),
    ('9610', '跨境电商', 'Cross-border e-commerce'),
]


def _backfill_pinyin():
    """Pinyin keys for firms that existed before this revision (same rule as tracker.enterprises.search)."""
    bind = op.get_bind()
    enterprises = sa.table('enterprises', sa.column('id'), sa.column('name'), sa.column('name_initials'),
                           sa.column('name_pinyin'))
    rows = bind.execute(sa.select(enterprises.c.id, enterprises.c.name)).all()
    for row_id, name in rows:
        keep = lambda s: list(s)  # noqa: E731  (letters and digits pass through)
        initials = ''.join(ch for ch in ''.join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors=keep)).lower()
                           if ch.isascii() and ch.isalnum())
        full = ''.join(ch for ch in ''.join(lazy_pinyin(name, errors=keep)).lower() if ch.isascii() and ch.isalnum())
        bind.execute(enterprises.update().where(enterprises.c.id == row_id)
                     .values(name_initials=initials[:200], name_pinyin=full[:1000]))

"""The firm search as an index lookup on both databases, and the filtered list's indexes (issue 8,
bench/README.md).

enterprises.search_grams holds every pair of adjacent characters of a firm's name, English name and
pinyin keys as one word (tracker/enterprises/grams.py). SQLite indexes it with FTS5 (the external-content
table enterprise_search, kept by triggers, so ORM writes, the bulk import and any SQL all keep it);
PostgreSQL with a GIN index on its tsvector, which replaces the three trigram indexes (they cannot serve a
two-character term such as 鸿运, and cost the import three index writes a row).

The credit filter's index also holds id, office and "archived" (covering for the filtered list's count), and
the trade-mode links get an index in (mode, firm) order, replacing the one on the mode alone.

A later migration that rebuilds the enterprises table on SQLite (batch_alter_table) drops the triggers
with it and must create them again (create_sqlite_search / drop_sqlite_search below).

Revision ID: e5b8d2f4a6c1
Revises: 7c4e1a9b2d05
Create Date: 2026-12-02 01:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

from tracker.enterprises.grams import search_words

# revision identifiers, used by Alembic.
revision = 'e5b8d2f4a6c1'
down_revision = '7c4e1a9b2d05'
branch_labels = None
depends_on = None

TRGM_COLUMNS = ('name', 'name_initials', 'name_pinyin')
SQLITE_SEARCH = (
    # detail=none, columnsize=0: the index says which firms hold a word, nothing more (no ranking).
    "CREATE VIRTUAL TABLE enterprise_search USING fts5(search_grams, content='enterprises', content_rowid='id', "
    "detail='none', columnsize=0)",
    "CREATE TRIGGER enterprises_search_insert AFTER INSERT ON enterprises BEGIN "
    "INSERT INTO enterprise_search(rowid, search_grams) VALUES (new.id, new.search_grams); END",
    "CREATE TRIGGER enterprises_search_delete AFTER DELETE ON enterprises BEGIN "
    "INSERT INTO enterprise_search(enterprise_search, rowid, search_grams) VALUES ('delete', old.id, old.search_grams); "
    "END",
    "CREATE TRIGGER enterprises_search_update AFTER UPDATE OF search_grams ON enterprises BEGIN "
    "INSERT INTO enterprise_search(enterprise_search, rowid, search_grams) VALUES ('delete', old.id, old.search_grams); "
    "INSERT INTO enterprise_search(rowid, search_grams) VALUES (new.id, new.search_grams); END",
)


def create_sqlite_search():
    for statement in SQLITE_SEARCH:
        op.execute(statement)
    op.execute("INSERT INTO enterprise_search(enterprise_search) VALUES ('rebuild')")


def drop_sqlite_search():
    for trigger in ('insert', 'delete', 'update'):
        op.execute(f'DROP TRIGGER IF EXISTS enterprises_search_{trigger}')
    op.execute('DROP TABLE IF EXISTS enterprise_search')


def _fill(bind):
    firms = sa.table('enterprises', sa.column('id'), sa.column('name'), sa.column('name_en'),
                     sa.column('name_initials'), sa.column('name_pinyin'), sa.column('search_grams'))
    rows = bind.execute(sa.select(firms.c.id, firms.c.name, firms.c.name_en, firms.c.name_initials,
                                  firms.c.name_pinyin)).all()
    update = sa.update(firms).where(firms.c.id == sa.bindparam('firm_id')).values(search_grams=sa.bindparam('words'))
    for start in range(0, len(rows), 5000):
        bind.execute(update, [{'firm_id': r.id, 'words': search_words(r.name, r.name_en, r.name_initials, r.name_pinyin)}
                              for r in rows[start:start + 5000]])


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprises_credit_level')
        batch_op.create_index('ix_enterprises_credit_scope', ['credit_level', 'id', 'office_id', 'archived_at'])
    with op.batch_alter_table('enterprise_trade_modes', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_trade_modes_trade_mode_id')
        batch_op.create_index('ix_enterprise_trade_modes_mode_firm', ['trade_mode_id', 'enterprise_id'])
    op.add_column('enterprises', sa.Column('search_grams', sa.Text(), server_default='', nullable=False))
    _fill(bind)
    if bind.dialect.name == 'sqlite':
        create_sqlite_search()
    elif bind.dialect.name == 'postgresql':
        for column in TRGM_COLUMNS:
            op.execute(f'DROP INDEX IF EXISTS ix_enterprises_{column}_trgm')
        op.execute("CREATE INDEX ix_enterprises_search_grams ON enterprises "
                   "USING gin (to_tsvector('simple'::regconfig, search_grams))")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        drop_sqlite_search()
    elif bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_enterprises_search_grams')
        for column in TRGM_COLUMNS:
            op.execute(f'CREATE INDEX ix_enterprises_{column}_trgm ON enterprises USING gin ({column} gin_trgm_ops)')
    with op.batch_alter_table('enterprises', schema=None) as batch_op:
        batch_op.drop_column('search_grams')
        batch_op.drop_index('ix_enterprises_credit_scope')
        batch_op.create_index('ix_enterprises_credit_level', ['credit_level'])
    with op.batch_alter_table('enterprise_trade_modes', schema=None) as batch_op:
        batch_op.drop_index('ix_enterprise_trade_modes_mode_firm')
        batch_op.create_index('ix_enterprise_trade_modes_trade_mode_id', ['trade_mode_id'])

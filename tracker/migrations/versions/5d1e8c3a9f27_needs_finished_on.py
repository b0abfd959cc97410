"""Needs carry the day they were finished and the working days it took, for the campaign report

needs.finished_on is the local (Asia/Shanghai) day a need was resolved (resolved_at) or, for one that
cannot be resolved, explained (closed_at); needs.working_days_to_close counts the working days from
raised_on to it on the calendar. needs.services sets both when a need is resolved or explained and a
不满意 follow-up clears them, so the report takes the median and "closed on time" (finished_on <= deadline)
in SQL instead of walking the calendar per need. Existing finished needs are filled in here, in batches.

Indexes for the report's reads: a campaign's needs raised, and finished, in a period; follow-ups held in a
period.

Revision ID: 5d1e8c3a9f27
Revises: 0121e0e031f3
Create Date: 2026-12-04 09:00:00
"""
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op


revision = '5d1e8c3a9f27'
down_revision = '0121e0e031f3'
branch_labels = None
depends_on = None

BATCH = 2000
LOCAL = timezone(timedelta(hours=8))  # Asia/Shanghai, without daylight saving since 1991


class _Calendar:
    """The working-day rule of tracker/workdays/services.py at this revision, written out here because a
    migration does not import the app: an admin override wins, then the holidays library's schedule of a
    year it knows (its make-up working weekends in any year), then the weekend."""

    def __init__(self, bind):
        overrides = sa.table('calendar_overrides', sa.column('day', sa.Date), sa.column('kind', sa.String))
        self.overrides = {day: kind for day, kind in bind.execute(sa.select(overrides.c.day, overrides.c.kind))}
        self.years: dict[int, tuple[frozenset, frozenset]] = {}

    def _year(self, year: int) -> tuple[frozenset, frozenset]:
        if year not in self.years:
            import holidays

            if not holidays.China.start_year <= year <= holidays.China.end_year:
                self.years[year] = (frozenset(), frozenset())
            else:
                china = holidays.China(years=year, expand=False)
                known = bool(china.special_public_holidays.get(year))
                days = frozenset(d for d in china if d.year == year) if known else frozenset()
                self.years[year] = (days, frozenset(d for d in china.weekend_workdays if d.year == year))
        return self.years[year]

    def is_working(self, day: date) -> bool:
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == 'workday'
        days_off, workdays = self._year(day.year)
        if day in workdays:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5

    def between(self, a: date, b: date) -> int:
        """The working days after *a* up to and including *b* (negative when *b* is before *a*)."""
        if b < a:
            return -self.between(b, a)
        return sum(self.is_working(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def _local_day(value) -> date:
    if isinstance(value, str):  # SQLite without the column's type: naive UTC text
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(LOCAL).date()


def _fill(bind):
    needs = sa.table('needs', sa.column('id', sa.Integer), sa.column('status', sa.String),
                     sa.column('raised_on', sa.Date), sa.column('resolved_at', sa.DateTime(timezone=True)),
                     sa.column('closed_at', sa.DateTime(timezone=True)), sa.column('finished_on', sa.Date),
                     sa.column('working_days_to_close', sa.Integer))
    calendar = _Calendar(bind)
    update = sa.update(needs).where(needs.c.id == sa.bindparam('need_id')).values(
        finished_on=sa.bindparam('day'), working_days_to_close=sa.bindparam('days'))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(needs.c.id, needs.c.status, needs.c.raised_on, needs.c.resolved_at, needs.c.closed_at)
            .where(needs.c.id > last, needs.c.status.in_(('resolved', 'closed', 'unresolvable')))
            .order_by(needs.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1][0]
        values = []
        for need_id, status, raised_on, resolved_at, closed_at in rows:
            # Resolved and closed-off needs were finished when resolved; an explained one when explained.
            finished_at = closed_at if status == 'unresolvable' else resolved_at
            if finished_at is None or raised_on is None:
                continue
            day = _local_day(finished_at)
            values.append({'need_id': need_id, 'day': day, 'days': calendar.between(raised_on, day)})
        if values:
            bind.execute(update, values)


def upgrade():
    op.add_column('needs', sa.Column('finished_on', sa.Date(), nullable=True))
    op.add_column('needs', sa.Column('working_days_to_close', sa.Integer(), nullable=True))
    _fill(op.get_bind())
    op.create_index('ix_needs_campaign_raised', 'needs', ['campaign_id', 'raised_on'])
    op.create_index('ix_needs_campaign_finished', 'needs', ['campaign_id', 'finished_on'])
    op.create_index('ix_follow_ups_held_on', 'follow_ups', ['held_on', 'need_id'])


def downgrade():
    op.drop_index('ix_follow_ups_held_on', table_name='follow_ups')
    op.drop_index('ix_needs_campaign_finished', table_name='needs')
    op.drop_index('ix_needs_campaign_raised', table_name='needs')
    # Plain DROP COLUMN (SQLite 3.35 and later), as b3f6a8c1d2e4 does.
    op.drop_column('needs', 'working_days_to_close')
    op.drop_column('needs', 'finished_on')

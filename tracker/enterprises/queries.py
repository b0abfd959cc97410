"""Reads of the firm registry: the list's filters, its count and its pages (bench/README.md, issue 8).

A page of the list costs the same statements whatever the number of firms:

- the count is asked of the firms table with the filters' WHERE clause alone (no outer join to the
  declaration counts, no selected columns): a covering scan of an index for the plain list;
- the page's ids are read first on narrow rows, in the list's order (for the default order, by walking
  ix_enterprises_name_pinyin, which also holds the scope's and "not archived" columns, so a deep page
  reads index entries only), and then only those firms are loaded with their office, officer, count
  and trade modes (a "deferred join");
- a search reads the matching firms' ids and sort keys in one pass without ORDER BY/LIMIT, so that no
  planner walks a sort index hoping to fill a page early (a rare term would read the whole index),
  and sorts them in Python; the total is their number. A search matching more than SEARCH_IN_PYTHON
  firms (one or two letters) is paged by the database like the plain list;
- the trade-mode filter reads the firm's own trade_mode_codes, which the list's covering indexes hold:
  the filtered count reads index entries only, with no seek into the link table per firm.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from tracker.auth.models import Role, User
from tracker.campaigns.models import Campaign, RosterEntry
from tracker.imports.models import DeclarationCount
from tracker.enterprises.models import Enterprise, TradeMode
from tracker.enterprises.reference import CREDIT_LEVEL_LABELS
from tracker.enterprises.search import index_candidates, search_condition

from tracker.extensions import db
from tracker.offices.models import Office
from tracker.pagination import Page
from tracker.permissions import scope_enterprises, scope_offices
from tracker.forms import db_int

PER_PAGE = 50
# Above this many matches a search is sorted and paged by the database instead of in Python.
SEARCH_IN_PYTHON = 20_000
# Up to this many matches the list sorted by declarations is sorted in Python.
IN_PYTHON = 2_000

_NO_COUNT = -1  # the sort key of a firm without a count for the year (sorts last with "-declarations")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

SORTS = {
    "name": (Enterprise.name_pinyin, Enterprise.id),
    "-declarations": (sa.desc(sa.func.coalesce(DeclarationCount.declarations, _NO_COUNT)), Enterprise.id),
    "uscc": (Enterprise.uscc,),
    "-created": (Enterprise.created_at.desc(), Enterprise.id.desc()),
}


@dataclass(frozen=True)
class _SortKey:
    """A sort of SORTS as (columns to read, Python key of a row of them, reverse)."""

    columns: tuple
    key: object
    reverse: bool = False


def _sort_key(sort: str) -> _SortKey:
    if sort == "-declarations":
        return _SortKey((sa.func.coalesce(DeclarationCount.declarations, _NO_COUNT),), lambda r: (-r[1], r[0]))
    if sort == "uscc":
        return _SortKey((Enterprise.uscc,), lambda r: (r[1], r[0]))
    if sort == "-created":
        return _SortKey((Enterprise.created_at,), lambda r: (r[1] or _EPOCH, r[0]), reverse=True)
    return _SortKey((Enterprise.name_pinyin,), lambda r: (r[1], r[0]))


class ListFilters:
    """The list's query-string filters, read once and shared by the page and its exports."""

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:100]
        self.office = args.get("office", "")
        self.campaign = args.get("campaign", type=db_int)
        self.credit = args.get("credit", "")
        self.trade_mode = args.get("trade_mode", "")
        self.officer = args.get("officer", type=db_int)
        self.key = args.get("key", "") == "1"
        self.archived = args.get("archived", "") == "1"
        self.sort = args.get("sort", "name") if args.get("sort") in SORTS else "name"
        self.year = args.get("year", type=db_int)
        self._use_index: bool | None = None

    # The pieces ------------------------------------------------------------------------------------
    def resolve_year(self) -> int | None:
        """The year whose counts the list shows: the one asked for, else the latest with counts."""
        if not self.year:
            self.year = db.session.scalar(sa.select(sa.func.max(DeclarationCount.year)))
        return self.year

    def use_search_index(self) -> bool:
        """Whether the search reads the firms its index finds (a term few firms hold) or every firm (a
        term most hold, or of one character): one statement, asked once."""
        if self._use_index is None:
            found = index_candidates(self.q, SEARCH_IN_PYTHON)
            self._use_index = found is not None and found <= SEARCH_IN_PYTHON
        return self._use_index

    def _count_join(self, stmt: sa.Select) -> sa.Select:
        return stmt.outerjoin(DeclarationCount, sa.and_(DeclarationCount.enterprise_id == Enterprise.id,
                                                        DeclarationCount.year == self.year))

    def where(self, stmt: sa.Select, user: User) -> sa.Select:
        """stmt (a select from Enterprise) restricted to the user's scope and to the filters. Every
        condition is on the firms table (others are subqueries), so the count needs no join."""
        stmt = scope_enterprises(stmt, user)
        if not self.archived:
            stmt = stmt.where(Enterprise.archived_at.is_(None))
        if self.q:
            stmt = stmt.where(search_condition(self.q, use_index=self.use_search_index()))
        if self.office:
            office = db.session.scalar(sa.select(Office).where(Office.code == self.office))
            if office is not None:
                stmt = stmt.where(Enterprise.office_id.in_(
                    sa.select(Office.id).where(Office.path.startswith(office.path, autoescape=True))))
        if self.campaign:
            stmt = stmt.where(Enterprise.id.in_(
                sa.select(RosterEntry.enterprise_id).where(RosterEntry.campaign_id == self.campaign)))
        if self.credit in CREDIT_LEVEL_LABELS:
            stmt = stmt.where(Enterprise.credit_level == self.credit)
        if self.trade_mode:
            # "0110,0214" is no code: it would match two codes side by side.
            stmt = stmt.where(Enterprise.trade_mode_codes.contains(f",{self.trade_mode},", autoescape=True)
                              if "," not in self.trade_mode else sa.false())
        if self.officer:
            stmt = stmt.where(Enterprise.assigned_officer_id == self.officer)
        if self.key:
            stmt = stmt.where(Enterprise.is_key.is_(True))
        return stmt

    def _rows(self) -> sa.Select:
        """(Enterprise, declarations of the year) with the firm's office, officer and trade modes."""
        return self._count_join(sa.select(Enterprise, DeclarationCount.declarations)).options(
            sa.orm.joinedload(Enterprise.office), sa.orm.joinedload(Enterprise.assigned_officer),
            sa.orm.selectinload(Enterprise.trade_modes))

    # The queries ---------------------------------------------------------------------------------------
    def select(self, user: User) -> sa.Select:
        """Every matching firm in the list's order, with its count of the year (the exports)."""
        self.resolve_year()
        return self.where(self._rows(), user).order_by(*SORTS[self.sort])

    def count(self, user: User) -> sa.Select:
        """The number of matching firms: the firms table and the WHERE clause alone."""
        return self.where(sa.select(sa.func.count()).select_from(Enterprise), user)

    def page_ids(self, user: User, offset: int, limit: int) -> sa.Select:
        """The ids of one page in the list's order, on narrow rows (joined to the counts only to sort by them)."""
        stmt = sa.select(Enterprise.id)
        if self.sort == "-declarations":
            stmt = self._count_join(stmt)
        return self.where(stmt, user).order_by(*SORTS[self.sort]).limit(limit).offset(offset)

    def load(self, ids: list[int]) -> list:
        """The rows of the firms with these ids, in this order (none read when there are none)."""
        if not ids:
            return []
        rows = {row[0].id: row for row in db.session.execute(
            self._rows().where(Enterprise.id.in_(ids))).unique().all()}
        return [rows[i] for i in ids if i in rows]

    def page(self, user: User, page, per_page: int = PER_PAGE) -> Page:
        """One page of the list: rows of (Enterprise, declarations)."""
        self.resolve_year()
        if self.q:
            return self._search_page(user, page, per_page)
        if self.sort == "-declarations":
            return self._declarations_page(user, page, per_page)

        def items(offset: int, limit: int) -> list:
            return self.load(list(db.session.scalars(self.page_ids(user, offset, limit))))

        return Page.of(page, per_page, items=items, count=lambda: db.session.scalar(self.count(user)))

    def _declarations_page(self, user: User, page, per_page: int) -> Page:
        """Largest count first. Sorting every match by its count costs what the matches number (23,926 of
        a filtered list at 100,000 firms: 60-100 ms), so the page is read in two parts: the firms with a
        count of the year, walking ix_declaration_counts_year_declarations from the top and keeping those
        that pass the filters (a correlated EXISTS: the walk stops at the page's last firm), then, for a
        page past them, the firms without one, by id. Up to IN_PYTHON matches are sorted in Python."""
        total = db.session.scalar(self.count(user))
        if total <= IN_PYTHON:
            sort = _sort_key(self.sort)
            keys = self.where(self._count_join(sa.select(Enterprise.id, *sort.columns)), user)
            ids = [row[0] for row in sorted(db.session.execute(keys).all(), key=sort.key)]
            return Page.of(page, per_page, items=lambda offset, limit: self.load(ids[offset:offset + limit]),
                           count=lambda: total)

        def passes(stmt: sa.Select) -> sa.Select:
            return stmt.where(sa.exists(self.where(sa.select(sa.literal(1)).select_from(Enterprise), user)
                                        .where(Enterprise.id == DeclarationCount.enterprise_id)))

        counted = passes(sa.select(DeclarationCount.enterprise_id).where(DeclarationCount.year == self.year))

        def items(offset: int, limit: int) -> list:
            ids = list(db.session.scalars(counted.order_by(DeclarationCount.declarations.desc(),
                                                           DeclarationCount.enterprise_id).limit(limit).offset(offset)))
            if len(ids) < limit:  # past the firms with a count: those without one follow
                before = offset + len(ids) if ids or not offset else db.session.scalar(
                    sa.select(sa.func.count()).select_from(counted.subquery()))
                without = self.where(sa.select(Enterprise.id), user).where(~sa.exists().where(
                    DeclarationCount.enterprise_id == Enterprise.id, DeclarationCount.year == self.year))
                ids += db.session.scalars(without.order_by(Enterprise.id).limit(limit - len(ids))
                                          .offset(max(0, offset - before)))
            return self.load(ids)

        return Page.of(page, per_page, items=items, count=lambda: total)

    def _search_page(self, user: User, page, per_page: int) -> Page:
        sort = _sort_key(self.sort)
        keys = sa.select(Enterprise.id, *sort.columns)
        if self.sort == "-declarations":
            keys = self._count_join(keys)
        matches = db.session.execute(self.where(keys, user).limit(SEARCH_IN_PYTHON + 1)).all()
        if len(matches) > SEARCH_IN_PYTHON:  # a broad search: the database sorts, as for the plain list
            del matches

            def items(offset: int, limit: int) -> list:
                return self.load(list(db.session.scalars(self.page_ids(user, offset, limit))))

            return Page.of(page, per_page, items=items, count=lambda: db.session.scalar(self.count(user)))
        matches.sort(key=sort.key, reverse=sort.reverse)
        ids = [row[0] for row in matches]
        return Page.of(page, per_page, items=lambda offset, limit: self.load(ids[offset:offset + limit]),
                       count=lambda: len(ids))


def filter_choices(user: User) -> dict:
    """The choices of the list's filter form: offices, campaigns and officers of the user's subtree, trade modes."""
    offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
    office_ids = [o.id for o in offices]
    campaigns = db.session.scalars(
        sa.select(Campaign).where(Campaign.office_id.in_(office_ids)).order_by(Campaign.declaration_year.desc())
    ).all()
    officers = db.session.scalars(
        sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.office_id.in_(office_ids))
        .order_by(User.username)
    ).all()
    modes = db.session.scalars(sa.select(TradeMode).order_by(TradeMode.code)).all()
    return {"offices": offices, "campaigns": campaigns, "officers": officers, "trade_modes": modes,
            "credit_levels": CREDIT_LEVEL_LABELS}


def declaration_counts(enterprise: Enterprise) -> list:
    """(year, declarations) of the firm, oldest first (its profile's table and chart)."""
    return db.session.execute(
        sa.select(DeclarationCount.year, DeclarationCount.declarations)
        .where(DeclarationCount.enterprise_id == enterprise.id).order_by(DeclarationCount.year)
    ).all()


def rosters(enterprise: Enterprise) -> list:
    """(Campaign, RosterEntry) of the campaigns whose roster holds the firm, newest first."""
    return db.session.execute(
        sa.select(Campaign, RosterEntry).join(RosterEntry, RosterEntry.campaign_id == Campaign.id)
        .where(RosterEntry.enterprise_id == enterprise.id).order_by(Campaign.declaration_year.desc())
    ).all()

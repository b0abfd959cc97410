"""Reads of the needs ledger: the list's filters and its pages, tuned for a ledger of a million needs."""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.enterprises.search import search_condition
from tracker.extensions import db
from tracker.needs import services
from tracker.needs.models import NEED_STATUS_LABELS, Need, NeedCategory, NeedStatus
from tracker.offices.models import Department, Office
from tracker.pagination import Page
from tracker.permissions import scope_enterprises, scope_needs, scope_offices, visible_office_ids
from tracker.forms import db_int

PER_PAGE = 50


# The list -----------------------------------------------------------------------------------------
def _rare(condition):
    """condition, marked for SQLite's query planner as true of few needs (likelihood 1 %).

    Open needs are a few percent of a ledger that keeps years of closed ones, but SQLite's statistics
    (sqlite_stat1: an average per status) cannot tell: without the mark it reads "open and overdue" or
    "open in this category" through (category_id, deadline) and the like, 120,000 rows for 1,000.
    PostgreSQL knows from its own statistics. The mark never changes a result, only the plan."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.likelihood(condition, sa.literal_column("0.01"))
    return condition


class NeedFilters:
    """The list's query-string filters."""

    def __init__(self, args):
        self.q = args.get("q", "").strip()[:100]
        status = args.get("status", "")
        self.status = status if status in {s.value for s in NeedStatus} or status == "open" else ""
        self.category = args.get("category", type=db_int)
        self.department = args.get("department", type=db_int)
        self.officer = args.get("officer", type=db_int)
        self.overdue = args.get("overdue", "") == "1"
        self.enterprise = args.get("enterprise", type=db_int)

    def where(self, stmt: sa.Select, user: User, today, scope=True) -> sa.Select:
        """stmt (a select involving Need) restricted to the filters and to the user's scope: scope_needs
        when scope is True, nothing when False, else scope itself, an equivalent condition (see
        need_page). Every condition is on the needs table itself (the firm search is a subquery of
        firm ids), so they serve the counts and the page's ids without a join."""
        if scope is True:
            stmt = scope_needs(stmt, user)
        elif scope is not False:
            stmt = stmt.where(scope)
        if self.q:
            stmt = stmt.where(Need.enterprise_id.in_(sa.select(Enterprise.id).where(search_condition(self.q))))
        if self.status == "open":
            stmt = stmt.where(_rare(Need.status.in_(services.OPEN_NEED_STATUSES)))
        elif self.status in (NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value):
            stmt = stmt.where(_rare(Need.status == NeedStatus(self.status)))
        elif self.status:
            stmt = stmt.where(Need.status == NeedStatus(self.status))
        if self.category:
            stmt = stmt.where(Need.category_id == self.category)
        if self.department:
            stmt = stmt.where(Need.department_id == self.department)
        if self.officer:
            stmt = stmt.where(Need.assigned_officer_id == self.officer)
        if self.enterprise:
            stmt = stmt.where(Need.enterprise_id == self.enterprise)
        if self.overdue:
            stmt = stmt.where(services.overdue_condition(today))
        return stmt

    def select(self, user: User, today) -> sa.Select:
        """Every matching need with its firm, category, department and officer: overdue first, then by deadline."""
        stmt = (
            sa.select(Need).join(Need.enterprise)
            .options(sa.orm.contains_eager(Need.enterprise), joinedload(Need.category),
                     joinedload(Need.department), joinedload(Need.assigned_officer))
        )
        return self.where(stmt, user, today).order_by(
            sa.case((services.overdue_condition(today), 0), else_=1), Need.deadline, Need.id)


def _firms_outside_scope(user: User) -> tuple[sa.Select | None, bool]:
    """For a manager or an officer: (the ids of the firms outside his offices, whether there are none),
    when they are fewer than the firms inside; (None, False) otherwise, and for everyone else.

    The scope of scope_needs, "the firm is one of those inside" (firms of visible_office_ids), is then
    cheaper asked the other way round: not at all when no firm is outside (a district's managers), and
    as "not one of those outside" when they are few (an officer of 营口 sees 80 % of the firms). One
    statement: all the firms, and those outside counted office by office on ix_enterprises_office_id."""
    if user.role not in (Role.MANAGER, Role.OFFICER):
        return None, False  # admins have no scope; a firm's contact has the cheapest one
    outside_offices = sa.select(Office.id).where(Office.id.not_in(visible_office_ids(user)))
    firms_of_office = (sa.select(sa.func.count()).select_from(Enterprise)
                       .where(Enterprise.office_id == Office.id).scalar_subquery())
    n_out, n_all = db.session.execute(sa.select(
        sa.select(sa.func.coalesce(sa.func.sum(firms_of_office), 0))
        .where(Office.id.in_(outside_offices)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(Enterprise).scalar_subquery())).one()
    if n_out * 2 >= n_all:
        return None, False
    return sa.select(Enterprise.id).where(Enterprise.office_id.in_(outside_offices)), n_out == 0


def need_page(filters: NeedFilters, user: User, today, page) -> Page:
    """A page of NeedFilters.select(): overdue needs first, then by deadline and id, read without sorting
    every matching need.

    "Overdue first" is not a column an index can hold (it changes with the day), so a single query sorts
    all the matching needs to hand out 50: a million for a district's manager (1.1-1.3 s, and 1.8-9 s a
    quarter deep). Instead, with the matching needs split into the overdue ones and the others, each part
    in (deadline, id) order, which the indexes on (status, deadline), (deadline, id, ...), (category_id,
    deadline, id) and (department_id, deadline, id) serve:

    1. for staff, how many firms lie inside and outside the user's offices (see _firms_outside_scope);
    2. the number of matching needs and of overdue ones among them (where the overdue part ends);
    3. the page's ids from the overdue part, the other part or both (one UNION ALL statement);
    4. those needs with their firm, category, department and officer, the scope checked on each again.

    The statements are the same whatever the data; past the last page only 1 and 2 run.
    """
    found = {}

    def items(offset: int, per_page: int) -> list:
        outside, none_outside = _firms_outside_scope(user)
        late = services.OPEN_NEED_STATUSES
        overdue = sa.and_(_rare(Need.status.in_(late)), Need.deadline < today)  # services.overdue_condition
        if filters.status in ("open", NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value) or filters.overdue:
            not_overdue = Need.deadline >= today  # all of them are open
        else:
            not_overdue = sa.not_(sa.and_(Need.status.in_(late), Need.deadline < today))
        may_be_overdue = filters.status in ("", "open", NeedStatus.PENDING.value, NeedStatus.IN_PROGRESS.value)

        def count(scope, *conditions):
            return filters.where(sa.select(sa.func.count()).select_from(Need), user, today, scope).where(
                *conditions).scalar_subquery()

        if outside is None:  # the scope as scope_needs has it
            scope, counts = True, [count(True)] + ([count(True, overdue)] if may_be_overdue else [])
        elif none_outside:
            scope, counts = False, [count(False)] + ([count(False, overdue)] if may_be_overdue else [])
        else:  # all the needs minus those of the firms outside
            scope = Need.enterprise_id.not_in(outside)
            inside_not = Need.enterprise_id.in_(outside)
            counts = [count(False), count(False, inside_not)] + (
                [count(False, overdue), count(False, inside_not, overdue)] if may_be_overdue else [])
        numbers = db.session.execute(sa.select(*counts)).one()
        if outside is not None and not none_outside:
            numbers = [numbers[k] - numbers[k + 1] for k in range(0, len(numbers), 2)]
        found["total"], n_late = numbers[0], (numbers[1] if may_be_overdue else 0)
        take_late = min(per_page, max(0, n_late - offset))
        skip_rest = max(0, offset - n_late)
        take_rest = min(per_page - take_late, max(0, found["total"] - n_late - skip_rest))
        parts = []
        for part, condition, limit, skip in ((0, overdue, take_late, offset), (1, not_overdue, take_rest, skip_rest)):
            if limit:
                ids = filters.where(sa.select(sa.literal_column(str(part)).label("part"), Need.deadline, Need.id),
                                    user, today, scope)
                parts.append(ids.where(condition).order_by(Need.deadline, Need.id).limit(limit).offset(skip)
                             .subquery().select())
        if not parts:
            return []
        ids = [row.id for row in sorted(db.session.execute(parts[0] if len(parts) == 1 else sa.union_all(*parts)))]
        needs = {need.id: need for need in db.session.scalars(
            scope_enterprises(sa.select(Need).join(Need.enterprise).where(Need.id.in_(ids)), user)
            .options(sa.orm.contains_eager(Need.enterprise), joinedload(Need.category),
                     joinedload(Need.department), joinedload(Need.assigned_officer))).unique()}
        return [needs[i] for i in ids if i in needs]

    return Page.of(page, PER_PAGE, items=items, count=lambda: found["total"])


def filter_choices(user: User) -> dict:
    offices = scope_offices(sa.select(Office.id), user)
    # Needs of the subtree may be handed to a department of the offices above it, too.
    above = [code for code in user.office.path.strip("/").split("/") if code]
    department_offices = sa.union(offices, sa.select(Office.id).where(Office.code.in_(above)))
    return {
        "statuses": NEED_STATUS_LABELS,
        "categories": db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id)).all(),
        "departments": db.session.scalars(
            sa.select(Department).where(Department.office_id.in_(department_offices))
            .order_by(Department.name)).all(),
        "officers": db.session.scalars(
            sa.select(User).where(User.role.in_([Role.OFFICER, Role.MANAGER]), User.office_id.in_(offices))
            .order_by(User.username)).all(),
    }

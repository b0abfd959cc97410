"""Pagination for selects that return rows of several columns (Flask-SQLAlchemy's returns scalars)."""
import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination

from tracker.extensions import db


class RowPagination(Pagination):
    def _query_items(self):
        select = self._query_args["select"]
        return db.session.execute(select.limit(self.per_page).offset(self._query_offset)).unique().all()

    def _query_count(self):
        select = self._query_args["select"]
        inner = select.order_by(None).options(sa.orm.noload("*")).subquery()
        return db.session.execute(sa.select(sa.func.count()).select_from(inner)).scalar()


def paginate_rows(select: sa.Select, page: int, per_page: int) -> RowPagination:
    return RowPagination(select=select, page=page, per_page=per_page, max_per_page=200, error_out=False, count=True)

"""Office tree and departments."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, utcnow


class Office(db.Model):
    """A customs house (海关). Offices form a tree; a manager sees his office's subtree."""

    __tablename__ = "offices"
    __label__ = _l("Office")

    id: Mapped[int] = mapped_column(primary_key=True)
    # The customs house code (关区代码), e.g. 0930; fixed once created, since paths are built from it.
    code: Mapped[str] = mapped_column(sa.String(10), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(100), unique=True, info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True, info={"label": _l("Parent office")}
    )
    # Materialised path of codes, "/0000/0900/0930/": a subtree is one indexed prefix query.
    path: Mapped[str] = mapped_column(sa.String(255), index=True, info={"label": _l("Path in the office tree")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    parent: Mapped["Office | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Office"]] = relationship(back_populates="parent", order_by="Office.code")
    departments: Mapped[list["Department"]] = relationship(back_populates="office", order_by="Department.name")

    def __init__(self, *, code: str, name: str, parent: "Office | None" = None, **kw):
        super().__init__(code=code, name=name, parent=parent, **kw)
        self.path = (parent.path if parent else "/") + code + "/"

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def contains(self, other: "Office") -> bool:
        """True when *other* is this office or lies below it."""
        return other.path.startswith(self.path)

    def display_name(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def __repr__(self) -> str:
        return f"<Office {self.code} {self.name}>"


class Department(db.Model):
    """A responsible department (责任科室) of one office; needs are handed to one."""

    __tablename__ = "departments"
    __label__ = _l("Responsible department")
    __table_args__ = (sa.UniqueConstraint("office_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True, info={"label": _l("Office")}
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office: Mapped[Office] = relationship(back_populates="departments")

    def display_name(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

"""Admin overrides of the working-day calendar: closures and make-up working days."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class OverrideKind(str, enum.Enum):
    # A non-working day the library does not know: an office closure, or a holiday of a schedule
    # published after the library's release (next year's 放假安排).
    CLOSURE = "closure"
    # A working day on a weekend (调休上班), e.g. the make-up days of next year's schedule.
    WORKDAY = "workday"

    @property
    def label(self) -> str:
        return str(OVERRIDE_KIND_LABELS[self])


OVERRIDE_KIND_LABELS = {
    OverrideKind.CLOSURE: _l("Closure (not a working day)"),
    OverrideKind.WORKDAY: _l("Make-up working day"),
}


class CalendarOverride(db.Model):
    """One day whose working status an admin has set; it wins over the library and the weekend."""

    __tablename__ = "calendar_overrides"
    __label__ = _l("Calendar override")

    id: Mapped[int] = mapped_column(primary_key=True)
    # At most one override per day; the unique index also serves the range reads of the calendar.
    day: Mapped[date] = mapped_column(unique=True, info={"label": _l("Day")})
    kind: Mapped[OverrideKind] = mapped_column(enum_column(OverrideKind, "kind"), info={"label": _l("Kind")})
    # Why, as the notice or the office puts it: 国庆节, 2027年元旦调休, 办公楼搬迁.
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Reason")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Created by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    created_by = relationship("User")

    @property
    def is_working(self) -> bool:
        return self.kind is OverrideKind.WORKDAY

    def __repr__(self) -> str:
        return f"<CalendarOverride {self.day} {self.kind.value} {self.name}>"

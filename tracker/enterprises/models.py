"""The enterprise record. Minimal for now: enough for contacts to belong to a firm."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.offices.models import Office
from tracker.types import UTCDateTime, utcnow


class Enterprise(db.Model):
    """An import/export firm (进出口企业) under one customs office."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Unified social credit code (统一社会信用代码), normalised to upper-case ASCII.
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    # Customs registration code (海关注册编码), 10 digits.
    customs_code: Mapped[str | None] = mapped_column(sa.String(10), unique=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    office: Mapped[Office] = relationship()

    def __repr__(self) -> str:
        return f"<Enterprise {self.uscc} {self.name}>"

"""A campaign screens the firms of an office's subtree by their declarations in one year."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


class Campaign(db.Model):
    """A survey campaign (调研活动), e.g. 2019 百企大调研 of 营口海关 at 80 declarations."""

    __tablename__ = "campaigns"
    __label__ = _l("Campaign")
    __table_args__ = (
        sa.CheckConstraint("threshold >= 1", name="threshold_positive"),
        sa.CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Name")})
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True, info={"label": _l("Office")}
    )
    # The year whose declaration counts decide the roster.
    declaration_year: Mapped[int] = mapped_column(info={"label": _l("Declaration year")})
    # Firms with at least this many declarations in that year are screened in.
    threshold: Mapped[int] = mapped_column(default=80, info={"label": _l("Threshold (declarations a year)")})
    starts_on: Mapped[date | None] = mapped_column(info={"label": _l("Starts on")})
    ends_on: Mapped[date | None] = mapped_column(info={"label": _l("Ends on")})
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Screened at")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Created by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office = relationship("Office")


class RosterSource(str, enum.Enum):
    SCREENING = "screening"  # reached the threshold
    MANUAL = "manual"  # added by an officer with a reason


class RosterEntry(db.Model):
    """A firm on a campaign's roster, as the last screening left it."""

    __tablename__ = "roster_entries"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "enterprise_id"),)
    # Derived from counts and decisions at each screening; the decisions carry the audit trail.
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    # The firm's declarations in the campaign year at screening (None for manual additions without data).
    declarations: Mapped[int | None]
    source: Mapped[RosterSource] = mapped_column(enum_column(RosterSource, "source"))

    campaign = relationship(Campaign)
    enterprise = relationship("Enterprise")


class RosterDecisionKind(str, enum.Enum):
    INCLUDE = "include"
    EXCLUDE = "exclude"

    @property
    def label(self):
        return ROSTER_DECISION_LABELS[self]


ROSTER_DECISION_LABELS = {
    RosterDecisionKind.INCLUDE: _l("Added to the roster"),
    RosterDecisionKind.EXCLUDE: _l("Removed from the roster"),
}


class RosterDecision(db.Model):
    """An officer's decision to add or remove a firm, which every re-screening respects."""

    __tablename__ = "roster_decisions"
    __label__ = _l("Roster decision")
    __table_args__ = (sa.UniqueConstraint("campaign_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), info={"label": _l("Campaign")}
    )
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True, info={"label": _l("Enterprise")}
    )
    decision: Mapped[RosterDecisionKind] = mapped_column(
        enum_column(RosterDecisionKind, "decision"), info={"label": _l("Added or removed")}
    )
    reason: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Reason")})
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Decided by")}
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Decided at")})

    campaign = relationship(Campaign)
    enterprise = relationship("Enterprise")
    decided_by = relationship("User")

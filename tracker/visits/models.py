"""Visits (走访) to firms, the officers who went, the firms' people present and the policies introduced."""
import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker import dates
from tracker.domain import DomainError
from tracker.extensions import db
from tracker.types import UTCDateTime, enum_column, utcnow


# Reference tables ---------------------------------------------------------------------------------
class PolicyTopic(db.Model):
    """A policy introduced at visits and briefings (原产地证业务, 一体化通关 …). Editable by admins."""

    __tablename__ = "policy_topics"
    __label__ = _l("Policy topic")

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True, info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})



# Visits -------------------------------------------------------------------------------------------
class VisitType(str, enum.Enum):
    DOOR_TO_DOOR = "door_to_door"  # 上门走访
    WORKSHOP = "workshop"  # 车间调研
    FORUM = "forum"  # 座谈会
    REMOTE = "remote"  # 电话/视频
    LOCAL_GOVERNMENT = "local_government"  # 走访地方政府

    @property
    def label(self):
        return VISIT_TYPE_LABELS[self]


VISIT_TYPE_LABELS = {
    VisitType.DOOR_TO_DOOR: _l("Door-to-door visit"),
    VisitType.WORKSHOP: _l("Workshop visit"),
    VisitType.FORUM: _l("Forum"),
    VisitType.REMOTE: _l("Phone or video call"),
    VisitType.LOCAL_GOVERNMENT: _l("Visit to local government"),
}

visit_officers = sa.Table(
    "visit_officers",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

visit_topics = sa.Table(
    "visit_topics",
    db.metadata,
    sa.Column("visit_id", sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("policy_topics.id", ondelete="RESTRICT"), primary_key=True, index=True),
)


class Visit(db.Model):
    """A visit (走访) to a firm, usually by a pair of officers."""

    __tablename__ = "visits"
    __label__ = _l("Visit")
    __table_args__ = (
        sa.Index("ix_visits_enterprise_visited", "enterprise_id", "visited_at"),
        # A campaign's visits in a period, covering for the reports' aggregates (tracker/reports/outreach.py).
        sa.Index("ix_visits_campaign_visited", "campaign_id", "visited_at", "enterprise_id", "id"),
        # The reports' firm condition probes each firm's visits of the campaign (migration 9e2b7c4d1a60).
        sa.Index("ix_visits_campaign_firm_visited", "campaign_id", "enterprise_id", "visited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id",)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), info={"label": _l("Enterprise")}
    )
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL"), info={"label": _l("Campaign")}
    )
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, info={"label": _l("Date and time")})
    visit_type: Mapped[VisitType] = mapped_column(
        enum_column(VisitType, "visit_type"), info={"label": _l("Type of visit")}
    )
    summary: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Summary")})
    findings: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Findings")})
    # When someone should call the firm back about this visit.
    follow_up_on: Mapped[date | None] = mapped_column(index=True, info={"label": _l("Follow-up date")})
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("Logged by")}
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )

    enterprise = relationship("Enterprise")
    campaign = relationship("Campaign")
    officers = relationship("User", secondary=visit_officers, order_by="User.username", info={"label": _l("Officers")})
    topics = relationship(
        PolicyTopic, secondary=visit_topics, order_by=PolicyTopic.id, info={"label": _l("Policy topics introduced")}
    )
    attendees: Mapped[list["VisitAttendee"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="VisitAttendee.id"
    )
    callbacks: Mapped[list["VisitCallback"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="[VisitCallback.held_on, VisitCallback.id]"
    )

    # The follow-up (回访) is a transition: the due date is cleared by a recorded callback, from that
    # date on, never by a bare tap. The services add who may; the pages ask the same questions.
    def follow_up_is_due(self, today: date) -> bool:
        """A follow-up date is set and has come: the callback can be recorded."""
        return self.follow_up_on is not None and self.follow_up_on <= today

    def follow_up_is_ahead(self, today: date) -> bool:
        return self.follow_up_on is not None and self.follow_up_on > today

    def record_callback(self, callback: "VisitCallback", today: date, visited_on: date) -> None:
        """Record the callback held about this visit and clear its follow-up date (the callback keeps it)."""
        if self.follow_up_on is None:
            raise DomainError(_("No follow-up is due for this visit."))
        if self.follow_up_on > today:
            raise DomainError(_("The follow-up is due on %(day)s; it can be recorded from then on.",
                                day=self.follow_up_on.isoformat()))
        dates.require(dates.callback_date_problem(callback.held_on, visited_on, today))
        callback.due_on = self.follow_up_on
        self.callbacks.append(callback)
        self.follow_up_on = None


class VisitAttendee(db.Model):
    """Someone of the firm who took part: one of its recorded contacts, or a name typed in."""

    __tablename__ = "visit_attendees"
    __label__ = _l("Attendee")

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True, info={"label": _l("Visit")}
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise_contacts.id", ondelete="SET NULL"), info={"label": _l("Contact")}
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    title: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Title")})

    visit: Mapped[Visit] = relationship(back_populates="attendees")


class CallbackChannel(str, enum.Enum):
    """How the firm was called back. Not the needs' FollowUpChannel, which tells an officer's call from the
    firm's own rating in the portal: a visit's callback is always an officer's, by one of these means."""

    PHONE = "phone"  # 电话
    VIDEO = "video"  # 视频
    ON_SITE = "on_site"  # 上门
    MESSAGE = "message"  # 短信/微信

    @property
    def label(self):
        return CALLBACK_CHANNEL_LABELS[self]


CALLBACK_CHANNEL_LABELS = {
    CallbackChannel.PHONE: _l("Phone call"),
    CallbackChannel.VIDEO: _l("Video call"),
    CallbackChannel.ON_SITE: _l("On site"),
    CallbackChannel.MESSAGE: _l("Text or WeChat message"),
}


class VisitCallback(db.Model):
    """A follow-up (回访) held about a visit: when, how, what the firm said and who called."""

    __tablename__ = "visit_callbacks"
    __label__ = _l("Follow-up of a visit")

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True, info={"label": _l("Visit")}
    )
    # The follow-up date the visit had: the callback answers it.
    due_on: Mapped[date] = mapped_column(info={"label": _l("Follow-up date")})
    held_on: Mapped[date] = mapped_column(info={"label": _l("Date of the follow-up")})
    channel: Mapped[CallbackChannel] = mapped_column(
        enum_column(CallbackChannel, "channel"), info={"label": _l("How the firm was reached")}
    )
    note: Mapped[str] = mapped_column(sa.Text, info={"label": _l("What came of it")})
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), info={"label": _l("By")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    visit: Mapped[Visit] = relationship(back_populates="callbacks")
    by = relationship("User")

"""Enterprises (firms), their contacts, trade modes and dated credit levels."""
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from tracker.enterprises.reference import CREDIT_LEVEL_LABELS, ECONOMIC_TYPES, CreditRegime
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.types import UTCDateTime, enum_column, utcnow

enterprise_trade_modes = sa.Table(
    "enterprise_trade_modes",
    db.metadata,
    sa.Column("enterprise_id", sa.ForeignKey("enterprises.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("trade_mode_id", sa.ForeignKey("trade_modes.id", ondelete="RESTRICT"), primary_key=True),
    # The firms of one trade mode (the primary key read the other way round).
    sa.Index("ix_enterprise_trade_modes_mode_firm", "trade_mode_id", "enterprise_id"),
)


class TradeMode(db.Model):
    """A customs supervision mode (监管方式), e.g. 0110 一般贸易. An editable reference list."""

    __tablename__ = "trade_modes"
    __label__ = _l("Trade mode")
    __audit_label__ = ("code", "name")

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(4), unique=True, info={"label": _l("Code")})
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("English name")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("In use")})

    def display_name(self, locale: str | None = None) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name

    def label(self, locale: str | None = None) -> str:
        """The code and the name: "0214 来料加工"."""
        return f"{self.code} {self.display_name(locale)}"


def trade_modes_text(modes, locale: str | None = None, separator: str = "；") -> str:
    """A firm's trade modes by code and name, one after the other: "0214 来料加工；0615 进料对口"."""
    return separator.join(mode.label(locale) for mode in modes)


class Enterprise(db.Model):
    """An import/export firm (进出口企业) under one customs office. Archived, never deleted."""

    __tablename__ = "enterprises"
    __label__ = _l("Enterprise")
    __table_args__ = (
        sa.CheckConstraint("economic_type IS NULL OR economic_type IN ('1','2','3','4','5','6','7','8','9')",
                           name="economic_type"),
        sa.Index("ix_enterprises_office_archived", "office_id", "archived_at"),
        # The list's default order; covering for its scope, "not archived" and the trade-mode filter
        # (tracker/enterprises/queries.py).
        sa.Index("ix_enterprises_name_pinyin", "name_pinyin", "id", "office_id", "archived_at", "trade_mode_codes"),
        # The credit filter, covering the same (the filtered list's count reads these entries only).
        sa.Index("ix_enterprises_credit_scope", "credit_level", "id", "office_id", "archived_at", "trade_mode_codes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic locking: every UPDATE checks and moves it, so an edit made from an older version
    # matches no row (StaleDataError) instead of silently replacing the newer one (tracker.views).
    version_id: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version_id}
    __audit_ignore__ = ("version_id", "search_grams", "trade_mode_codes")
    name: Mapped[str] = mapped_column(sa.String(200), index=True, info={"label": _l("Name")})
    name_en: Mapped[str | None] = mapped_column(sa.String(300), info={"label": _l("English name")})
    # Pinyin keys for search: initials ("ykylsfzyxgs") and full syllables, lower-case ASCII.
    name_initials: Mapped[str] = mapped_column(
        sa.String(200), default="", index=True, info={"label": _l("Pinyin initials")}
    )
    name_pinyin: Mapped[str] = mapped_column(sa.String(1000), default="", info={"label": _l("Pinyin")})
    # The search's index terms (tracker/enterprises/grams.py), kept with the name and the English name;
    # indexed by SQLite FTS5 (table enterprise_search) or a PostgreSQL GIN index, made by the migrations.
    search_grams: Mapped[str] = mapped_column(sa.Text, default="", server_default="", deferred=True)
    # The codes of the firm's trade modes as ",0110,0214," ("" for none): the list's trade-mode filter
    # reads them off its covering indexes instead of seeking the link table once per firm. Kept from
    # the trade_modes list at every flush (below) and by the import, which writes links with Core.
    trade_mode_codes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Unified social credit code (统一社会信用代码), normalised to upper-case ASCII.
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True, info={"label": _l("Unified social credit code")})
    # Set when an officer accepted a USCC whose check character fails (early pilot codes).
    uscc_override_reason: Mapped[str | None] = mapped_column(
        sa.Text, info={"label": _l("Reason to accept a code whose check character fails")}
    )
    # Customs registration code (海关注册编码), 10 digits.
    customs_code: Mapped[str | None] = mapped_column(
        sa.String(10), unique=True, info={"label": _l("Customs registration code")}
    )
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True, info={"label": _l("Customs office")}
    )
    # County-level district (区县) and street address.
    district: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("District")})
    address: Mapped[str | None] = mapped_column(sa.String(300), info={"label": _l("Address")})
    industry: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Industry")})
    # One of ECONOMIC_TYPES' keys (the same digits as position 6 of the customs code).
    economic_type: Mapped[str | None] = mapped_column(
        sa.String(1), info={"label": _l("Economic type"), "values": ECONOMIC_TYPES}
    )
    # Key firm (重点企业).
    is_key: Mapped[bool] = mapped_column(default=False, index=True, info={"label": _l("Key firm")})
    # The officer responsible for the firm (联系关员).
    assigned_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True), index=True,
        info={"label": _l("Assigned officer")},
    )
    notes: Mapped[str | None] = mapped_column(sa.Text, info={"label": _l("Notes")})
    # The current credit level: the level of the newest rating; kept by the credit service.
    credit_level: Mapped[str | None] = mapped_column(
        sa.String(32), info={"label": _l("Credit level"), "values": CREDIT_LEVEL_LABELS}
    )
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), info={"label": _l("Archived at")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, info={"label": _l("Updated at")}
    )

    office: Mapped[Office] = relationship()
    assigned_officer: Mapped["User | None"] = relationship(foreign_keys=[assigned_officer_id])  # noqa: F821
    trade_modes: Mapped[list[TradeMode]] = relationship(
        secondary=enterprise_trade_modes, order_by=TradeMode.code, info={"label": _l("Trade modes")}
    )
    contacts: Mapped[list["EnterpriseContact"]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="EnterpriseContact.id"
    )
    credit_ratings: Mapped[list["CreditRating"]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="CreditRating.valid_from.desc()"
    )

    @validates("name", "name_en")
    def _keep_search_keys(self, key: str, value: str | None) -> str | None:
        from tracker.enterprises.grams import search_words
        from tracker.enterprises.pinyin import pinyin_keys

        if key == "name":
            value = " ".join((value or "").split())
            self.name_initials, self.name_pinyin = pinyin_keys(value)
            name, name_en = value, self.name_en
        else:
            name, name_en = self.name, value
        self.search_grams = search_words(name, name_en, self.name_initials, self.name_pinyin)
        return value

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def credit_level_label(self) -> str:
        return str(CREDIT_LEVEL_LABELS.get(self.credit_level, "")) if self.credit_level else ""

    def __repr__(self) -> str:
        return f"<Enterprise {self.uscc} {self.name}>"


def trade_mode_key(codes) -> str:
    """The value of Enterprise.trade_mode_codes for these codes: ",0110,0214,", or "" for none."""
    return "".join(f",{code}" for code in sorted(set(codes))) + "," if codes else ""


@event.listens_for(Session, "before_flush")
def _keep_trade_mode_codes(session, flush_context, instances) -> None:
    """Every firm whose list of trade modes changed gets the matching codes, in the same flush (so the
    change is also an UPDATE of the firm that moves its version: two edits from one version conflict)."""
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Enterprise) and sa.inspect(obj).attrs.trade_modes.history.has_changes():
            key = trade_mode_key([mode.code for mode in obj.trade_modes])
            if obj.trade_mode_codes != key:
                obj.trade_mode_codes = key


class EnterpriseContact(db.Model):
    """A person at the firm the office deals with (not necessarily a user of the tracker)."""

    __tablename__ = "enterprise_contacts"
    __label__ = _l("Contact")

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True, info={"label": _l("Enterprise")}
    )
    name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Name")})
    title: Mapped[str | None] = mapped_column(sa.String(100), info={"label": _l("Title")})
    phone: Mapped[str | None] = mapped_column(sa.String(50), info={"label": _l("Phone")})
    email: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Email")})

    enterprise: Mapped[Enterprise] = relationship(back_populates="contacts")


class CreditRating(db.Model):
    """One period of a firm's customs credit level (企业信用等级), under the regime of its time."""

    __tablename__ = "credit_ratings"
    __label__ = _l("Credit level")
    __table_args__ = (
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="period"),
        sa.UniqueConstraint("enterprise_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True, info={"label": _l("Enterprise")}
    )
    regime: Mapped[CreditRegime] = mapped_column(enum_column(CreditRegime, "regime"), info={"label": _l("Regime")})
    # A key of CREDIT_LEVEL_LABELS valid for the regime (checked by the service).
    level: Mapped[str] = mapped_column(sa.String(32), info={"label": _l("Level"), "values": CREDIT_LEVEL_LABELS})
    valid_from: Mapped[date] = mapped_column(info={"label": _l("Valid from")})
    # None while the level holds.
    valid_to: Mapped[date | None] = mapped_column(info={"label": _l("Valid to")})
    note: Mapped[str | None] = mapped_column(sa.String(300), info={"label": _l("Note")})

    enterprise: Mapped[Enterprise] = relationship(back_populates="credit_ratings")

    @property
    def level_label(self) -> str:
        return str(CREDIT_LEVEL_LABELS.get(self.level, self.level))

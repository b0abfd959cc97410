"""The user account and its role."""
import enum
import hashlib
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.types import UTCDateTime, enum_column, utcnow


class Role(str, enum.Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    OFFICER = "officer"
    ENTERPRISE_CONTACT = "enterprise_contact"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def is_staff(self) -> bool:
        return self is not Role.ENTERPRISE_CONTACT


ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.MANAGER: _l("Manager"),
    Role.OFFICER: _l("Customs officer"),
    Role.ENTERPRISE_CONTACT: _l("Enterprise contact"),
}


def user_label(display_name: str, title: str | None) -> str:
    """"张关员 · 关员": a person by name and post; never the username or the role code."""
    title = (title or "").strip()
    return f"{display_name} · {title}" if title and title != display_name else display_name


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """Someone who signs in: customs staff (关员, 科长) or a firm's contact (企业联系人)."""

    __tablename__ = "users"
    __label__ = _l("User")
    __table_args__ = (
        # A contact always belongs to one firm, and staff never do.
        sa.CheckConstraint(
            "(role = 'enterprise_contact' AND enterprise_id IS NOT NULL)"
            " OR (role <> 'enterprise_contact' AND enterprise_id IS NULL)",
            name="contact_has_enterprise",
        ),
    )
    __audit_redact__ = ("password_hash", "session_token")
    __audit_ignore__ = ("last_login_at",)
    __audit_label__ = ("username", "display_name")

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower case; sign-in compares case-insensitively.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Username")})
    display_name: Mapped[str] = mapped_column(sa.String(100), info={"label": _l("Display name")})
    # The post (职务) the user holds: 关员, 科长, 处长, 单证员 ... Data, not derived from the role: two
    # managers may be a 科长 and a 处长 (migration a9d4c2e7f105).
    title: Mapped[str | None] = mapped_column(sa.String(40), info={"label": _l("Post")})
    # Where reminders and notices are e-mailed (through the outbox); none: in-app notices only.
    email: Mapped[str | None] = mapped_column(sa.String(200), info={"label": _l("Email")})
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), info={"label": _l("Role")})
    office_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offices.id", ondelete="RESTRICT"), index=True, info={"label": _l("Office")}
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True, info={"label": _l("Enterprise")}
    )
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Active")})
    # scrypt hashes at N=2^17 run to about 165 characters.
    password_hash: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("Password")})
    # A per-user secret from which the cookie credential is derived (session_credential); rotating it
    # ends every session and remember-me cookie. The credential itself is stored nowhere.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token, info={"label": _l("Session key")}
    )
    # The interface language the user chose ("zh" or "en"); None means the default.
    locale: Mapped[str | None] = mapped_column(sa.String(8), info={"label": _l("Language")})
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, info={"label": _l("Created at")})

    office: Mapped[Office] = relationship()
    enterprise: Mapped[Enterprise | None] = relationship(foreign_keys=[enterprise_id])

    # Flask-Login ---------------------------------------------------------------
    def get_id(self) -> str:
        """What Flask-Login keeps in the session and remember cookie: "<id>.<credential>"."""
        return f"{self.id}.{self.session_credential()}"

    def session_credential(self) -> str:
        """HMAC-SHA256 of the user's session token under the app's secret key (as Django derives its
        session auth hash): a copy of the database alone, a backup or a DBA's query, signs no one in."""
        key = current_app.config["SECRET_KEY"]
        key = key.encode() if isinstance(key, str) else key
        message = f"tracker.session:{self.id}:{self.session_token}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def rotate_session_token(self) -> None:
        """End every session and remember-me cookie this user has."""
        self.session_token = new_session_token()

    @property
    def label(self) -> str:
        """How every page and picker names the user: "张关员 · 关员" (name · post), or the name alone."""
        return user_label(self.display_name, self.title)

    @property
    def post_and_name(self) -> str:
        """How a sentence names the user: "科长 王科长" (post, then name), or the name alone."""
        title = (self.title or "").strip()
        return f"{title} {self.display_name}" if title else self.display_name

    # Role helpers --------------------------------------------------------------
    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER

    @property
    def is_contact(self) -> bool:
        return self.role is Role.ENTERPRISE_CONTACT

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"

"""Interface language (Chinese by default) and local time display."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, session
from flask_babel import format_datetime
from flask_login import current_user

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in Asia/Shanghai: what deadlines and "overdue" are measured against."""
    return datetime.now(LOCAL_TZ).date()


def select_locale() -> str:
    """The signed-in user's choice, else this browser's choice, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """Jinja filter: a stored UTC time shown in the office's local time."""
    if value is None:
        return ""
    return format_datetime(value, fmt)

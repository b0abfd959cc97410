"""Response headers, safe redirects and password rules."""
from urllib.parse import urlsplit

from flask import Flask, current_app
from zxcvbn.frequency_lists import FREQUENCY_LISTS

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap draws form controls with data: SVGs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def https_enabled(app: Flask) -> bool:
    return bool(app.config.get("HTTPS")) or app.config.get("ENV") == "production"


def set_security_headers(response):
    """after_request: on every response, HTML, JSON and error pages alike."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if https_enabled(current_app):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def safe_next(target: str | None) -> str | None:
    """Return *target* if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000:
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# Chinese favourites that the English-language lists miss.
_EXTRA_COMMON = {
    "woaini1314", "5201314520", "1314520520", "woaini520", "qq123456789", "a1234567890",
    "abc1234567", "aa12345678", "zxcvbnm123", "1234qwerasdf", "qwer1234asdf", "password1!",
    "admin12345", "admin123456", "customs123", "haiguan123", "haiguan1234", "1qaz2wsx3edc4rfv",
}
_COMMON: frozenset[str] | None = None


def is_common_password(password: str) -> bool:
    global _COMMON
    if _COMMON is None:
        _COMMON = frozenset(FREQUENCY_LISTS["passwords"]) | _EXTRA_COMMON
    return password.lower() in _COMMON


def check_new_password(password: str, username: str | None = None) -> str | None:
    """The reason a new password is refused, or None. Shared by forms and the CLI."""
    from flask_babel import gettext as _

    low, high = current_app.config["PASSWORD_MIN_LENGTH"], current_app.config["PASSWORD_MAX_LENGTH"]
    if len(password) < low:
        return _("The password must have at least %(n)d characters.", n=low)
    if len(password) > high:
        return _("The password must have at most %(n)d characters.", n=high)
    if is_common_password(password) or (username and username.lower() in password.lower()):
        return _("This password is too common or too easy to guess. Please choose another.")
    return None

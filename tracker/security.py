"""Response headers, request screening (NUL, control characters, JSON size and depth, Origin), safe
redirects and password rules."""
import re
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from werkzeug.datastructures import ImmutableMultiDict
from flask_login import current_user
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
    # A signed-in page or an export holds a firm's data: no shared proxy nor the browser's back button
    # may keep it (an office PC is often shared). Static files stay cacheable.
    if request.endpoint != "static" and (
            _user_signed_in() or "attachment" in headers.get("Content-Disposition", "")):
        headers["Cache-Control"] = "no-store"
    return response


def _user_signed_in() -> bool:
    """Whether this request has a signed-in user, asked of the user Flask-Login loaded for it (every page
    and API call has one: the access rule reads it first) without reading its columns: after the view's
    commit or rollback they are expired, and reading one would cost a query (and on SQLite a transaction)
    on every answer."""
    user = g.get("_login_user")
    if user is None:
        return current_user.is_authenticated  # not loaded yet: load it as before
    return not user.is_anonymous


def check_origin():
    """before_request: a state change sent by a browser from another site is refused, even with a valid
    CSRF token and over plain HTTP, where Flask-WTF checks no Referer. Browsers send Origin with every
    POST; it must name this site (the Host the request came to, or one of TRUSTED_ORIGINS when a proxy
    rewrites the Host). Requests without Origin (API clients, curl) are left to the CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    trusted = current_app.config.get("TRUSTED_ORIGINS") or ()
    if origin != "null" and (urlsplit(origin).netloc == request.host or origin.rstrip("/") in trusted):
        return None
    from flask_wtf.csrf import CSRFError

    raise CSRFError("Origin %s is not this site" % origin[:100])


# C0 control characters other than tab, line feed and carriage return, and DEL: nobody types them. They
# arrive pasted from Word (a vertical tab is its manual line break, a form feed its page break) or from a
# hostile client, and they break what reads the text later (an XLSX cell refuses them).
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PASTED_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})


def clean_text(value: str) -> str:
    """*value* without control characters; Word's line and page breaks become line feeds."""
    if not _CONTROL_CHARACTERS.search(value):
        return value
    return _CONTROL_CHARACTERS.sub("", value.translate(_PASTED_BREAKS))


def screen_text_fields():
    """before_request: query strings and form fields, read once before any view or form reads them.

    A NUL is refused with a 400 (PostgreSQL cannot store one in text: psycopg.DataError, a 500; no
    pasted text holds one). Other control characters are dropped, so that what a user pasted is saved
    as he sees it on screen. Uploaded files are not form fields and are left to their readers; JSON
    bodies are checked by refuse_unparseable_json, which refuses them: an API client is told, not
    corrected."""
    sources = ("args",) if request.method in ("GET", "HEAD", "OPTIONS") else ("args", "form")
    for name in sources:
        data = getattr(request, name)
        # A multipart part whose name does not parse (name="\") comes as the key None: left alone.
        texts = [text for pair in data.items(multi=True) for text in pair if text]
        if any("\x00" in text for text in texts):
            from flask_babel import gettext as _

            from tracker.errors import render_error

            return render_error(400, _("The request contains a NUL character, which no field may hold."))
        if any(_CONTROL_CHARACTERS.search(text) for text in texts):
            # Request.args and Request.form are cached properties: setting one replaces what views read.
            setattr(request._get_current_object(), name, ImmutableMultiDict(
                [(key and clean_text(key), value and clean_text(value)) for key, value in data.items(multi=True)]))
            request.__dict__.pop("values", None)
    return None


# A JSON body the API accepts: its largest request (a firm with its fields) is a few kilobytes.
JSON_MAX_BYTES = 1024 * 1024


def refuse_unparseable_json():
    """before_request: a JSON body too large, or nested so deeply that Python's parser recurses out
    (``[[[[…`` a hundred thousand times: RecursionError, a 500), is refused before any view or schema
    parses it: 413 and 400, with the API's JSON error. The parsed body is walked once for characters no
    field may hold (_refused_character): an API client is told, where a form's text is cleaned."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    from flask_babel import gettext as _

    from tracker.errors import render_error

    if (request.content_length or 0) > JSON_MAX_BYTES:
        return render_error(413)
    data = request.get_data(cache=True)
    if len(data) > JSON_MAX_BYTES:
        return render_error(413)
    try:
        import json

        payload = json.loads(data)
    except RecursionError:
        return render_error(400, _("The JSON body is nested too deeply."))
    except ValueError:
        return None  # the schema's own "not valid JSON" answer
    refusal = _refused_character(payload)
    return None if refusal is None else render_error(400, refusal)


# A lone UTF-16 surrogate (JSON's "\ud800") is no character: it cannot be encoded as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _refused_character(payload) -> str | None:
    """Why a JSON value's strings (keys and values, at any depth) cannot be stored, or None.

    The form and query check above refuses NUL; a JSON string is read by the API's schemas and would
    reach PostgreSQL (psycopg.DataError on NUL, UnicodeEncodeError on a lone surrogate: a 500). The
    walk keeps its own stack: json.loads already refused what would recurse too deeply."""
    from flask_babel import gettext as _

    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            if "\x00" in value:
                return _("The request contains a NUL character, which no field may hold.")
            found = _CONTROL_CHARACTERS.search(value)
            if found:
                return _("The request contains the control character U+%(code)s, which no field may hold.",
                         code=f"{ord(found.group()):04X}")
            if _SURROGATE.search(value):
                return _("The request contains an unpaired UTF-16 surrogate, which is no character.")
    return None


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

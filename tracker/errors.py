"""Error pages in the user's language, or JSON for API clients."""
import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.permissions import is_api_request

log = logging.getLogger("tracker.errors")


def wants_json() -> bool:
    if is_api_request():
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
        401: (_("Sign-in required"), _("Please sign in to continue.")),
        403: (_("Access denied"), _("You do not have permission to see this page.")),
        404: (_("Page not found"), _("The page you asked for does not exist or has been moved.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        413: (_("File too large"), _("The upload is larger than the server accepts.")),
        429: (_("Too many attempts"), _("Too many attempts. Please wait a minute and try again.")),
        500: (_("Server error"), _("Something went wrong on our side. The error has been logged.")),
        503: (_("Service unavailable"), _("The service is temporarily unavailable. Please try again later.")),
    }


def api_messages() -> dict[int, str]:
    """The API's own words: a program's user reads them, not a visitor of a page."""
    return {
        400: _("The request is not valid."),
        401: _("A valid bearer token is required: get one at POST /api/v1/tokens and send it as "
               "Authorization: Bearer <token>."),
        403: _("Your role may not use this endpoint."),
        404: _("There is no such resource in the API, or it is not yours to see."),
        405: _("This endpoint does not accept that method."),
        413: _("The request body is larger than the server accepts."),
        415: _("Send the data as JSON, with Content-Type: application/json."),
        422: _("The request was not accepted. Correct the fields listed."),
        429: _("Too many failed attempts. Wait a minute and try again."),
        500: _("Something went wrong on our side. The error has been logged."),
        503: _("The service is temporarily unavailable. Please try again later."),
    }


def bearer_challenge() -> str:
    """RFC 6750: a presented token that does not authenticate is an invalid_token; no token, no error code."""
    from tracker.api.auth import bearer_token

    return 'Bearer error="invalid_token"' if bearer_token() else "Bearer"


def render_error(status: int, detail: str | None = None, extra_headers: dict | None = None):
    title, text = messages().get(status, (str(status), ""))
    if is_api_request():
        text = api_messages().get(status, text)
    text = detail or text
    if wants_json():
        response = make_response(jsonify({"error": text, "status": status}), status)
    else:
        page = render_template("errors/error.html", status=status, title=title, text=text)
        response = make_response(page, status)
    response.headers.update(extra_headers or {})
    return response


def handle_http_exception(exc: HTTPException):
    headers = {}
    if exc.code == 429:
        headers.update({k: v for k, v in exc.get_headers() if k.lower() == "retry-after"})
    if exc.code == 405:
        headers.update({k: v for k, v in exc.get_headers() if k.lower() == "allow"})
    if exc.code == 401 and is_api_request():
        headers["WWW-Authenticate"] = bearer_challenge()
    return render_error(exc.code or 500, None, headers)


def handle_csrf_error(exc: CSRFError):
    log.warning("CSRF check failed: %s %s (%s)", request.method, request.path, exc.description)
    return render_error(400, _("The form has expired or was not sent from this site. Please reload the page and try again."))


def handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return handle_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)

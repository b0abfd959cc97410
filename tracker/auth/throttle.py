"""One failure count for every way of signing in: the web form and POST /api/v1/tokens.

Both endpoints wear the same two shared limits (Flask-Limiter's ``shared_limit``: one scope, so
one counter): one keyed by the username the request names (whichever way it names it) together with
the client address, one by the client address across usernames (OWASP's authentication cheat sheet).
A username alone is never the key: anyone could then lock anyone out by failing in his name, and the
right password from the user's own desk would be refused too. Only failures count: a view that signs
someone in calls ``succeeded()``.
"""
from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from tracker.auth.services import normalise_username
from tracker.extensions import limiter


def username_key() -> str:
    """The username of the form's field or of HTTP Basic credentials, normalised as at sign-in, and the
    address it comes from."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        name = credentials.username or ""
    else:
        name = request.form.get("username", "")
    return "username:" + normalise_username(name) + "@" + (get_remote_address() or "")


def succeeded() -> None:
    """This request signed someone in: it does not count against the limits."""
    g.sign_in_succeeded = True


def _failed(response) -> bool:
    return not g.get("sign_in_succeeded", False)


per_username = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    scope="sign-in-username", key_func=username_key, methods=["POST"], deduct_when=_failed,
)
per_address = limiter.shared_limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    scope="sign-in-address", key_func=get_remote_address, methods=["POST"], deduct_when=_failed,
)

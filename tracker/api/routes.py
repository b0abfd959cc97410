"""JSON API. Errors are JSON (see tracker.errors); anonymous callers get 401."""
from flask import Blueprint, jsonify
from flask_login import current_user

from tracker.permissions import SIGNED_IN, allow

bp = Blueprint("api", __name__)


@bp.route("/me")
@allow(SIGNED_IN)
def me():
    user = current_user
    return jsonify(
        {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "office": user.office.code,
            "enterprise_id": user.enterprise_id,
        }
    )

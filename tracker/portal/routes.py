"""The contact's portal: his own firm only."""
from flask import Blueprint, render_template
from flask_login import current_user

from tracker.auth.models import Role
from tracker.permissions import allow

bp = Blueprint("portal", __name__)


@bp.route("/")
@allow(Role.ENTERPRISE_CONTACT)
def index():
    # The firm comes from the account, never from the URL: no other firm is reachable here.
    return render_template("portal/index.html", enterprise=current_user.enterprise)

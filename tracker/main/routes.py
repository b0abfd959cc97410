"""Home page per role, the manager's team view and /healthz."""
import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.models import Role, User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.offices.models import Office
from tracker.permissions import PUBLIC, SIGNED_IN, allow, scope_offices, scope_users, visible_office_ids
from tracker.forms import db_int

bp = Blueprint("main", __name__)
log = logging.getLogger("tracker.health")


@bp.route("/")
@allow(SIGNED_IN)
def index():
    user = current_user
    if user.is_contact:
        return redirect(url_for("portal.index"))
    staff = sa.and_(User.office_id == Office.id, User.active.is_(True), User.role != Role.ENTERPRISE_CONTACT)
    stmt = sa.select(Office, sa.func.count(User.id)).outerjoin(User, staff).group_by(Office.id).order_by(Office.path)
    offices = db.session.execute(scope_offices(stmt, user)).all()
    enterprise_count = db.session.scalar(
        sa.select(sa.func.count(Enterprise.id)).where(Enterprise.office_id.in_(visible_office_ids(user)))
    )
    return render_template("main/index.html", offices=offices, enterprise_count=enterprise_count)


@bp.route("/team")
@allow(Role.MANAGER, Role.ADMIN)
def team():
    """The staff of the manager's office and the offices below it."""
    page = request.args.get("page", 1, type=db_int)
    stmt = (
        scope_users(sa.select(User), current_user)
        .join(User.office)
        .where(User.role != Role.ENTERPRISE_CONTACT)
        .options(sa.orm.contains_eager(User.office))
        .order_by(Office.path, User.username)
    )
    pagination = db.paginate(stmt, page=page, per_page=50, error_out=False)
    return render_template("main/team.html", pagination=pagination)


@bp.route("/favicon.ico")
@allow(PUBLIC)
def favicon():
    """Browsers ask for /favicon.ico whatever the page links to: answer with the icon rather than a 404."""
    return current_app.send_static_file("favicon.ico")


@bp.route("/healthz")
@allow(PUBLIC)
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # any driver error means the database cannot serve us
        log.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify({"status": "error", "database": "unavailable"}), 503
    return jsonify({"status": "ok", "database": "ok"})

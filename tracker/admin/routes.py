"""Admin pages: users, offices and departments, the audit trail."""
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.admin.forms import (
    AuditFilterForm, DepartmentForm, OfficeForm, ResetPasswordForm, UserCreateForm, UserProfileForm,
)
from tracker.audit.display import kind_label, readable
from tracker.audit.models import AuditAction, AuditRecord
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.forms import EmptyForm, select_choices
from tracker.i18n import LOCAL_TZ
from tracker.offices.models import Department, Office
from tracker.permissions import allow, load_or_404
from tracker.forms import db_int

bp = Blueprint("admin", __name__)


def _get_user(user_id: int) -> User:
    return load_or_404(User, user_id, lock=request.method == "POST")


@bp.route("/users")
@allow(Role.ADMIN)
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role", "")
    state = request.args.get("state", "active")
    stmt = sa.select(User).join(User.office).options(sa.orm.contains_eager(User.office))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like), User.title.ilike(like)))
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if state == "active":
        stmt = stmt.where(User.active.is_(True))
    elif state == "inactive":
        stmt = stmt.where(User.active.is_(False))
    stmt = stmt.order_by(Office.path, User.username)
    pagination = db.paginate(stmt, page=request.args.get("page", 1, type=db_int), per_page=50, error_out=False)
    return render_template("admin/users.html", pagination=pagination, q=q, role=role, state=state, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        office = db.session.get(Office, form.office_id.data) if form.office_id.data else None
        try:
            user = services.create_user(
                username=form.username.data,
                display_name=form.display_name.data,
                title=form.title.data,
                role=role,
                office=office,
                enterprise=form.enterprise,
                password=form.new_password.data,
            )
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            user.email = (form.email.data or "").strip() or None
            db.session.commit()
            flash(_("User %(name)s has been created.", name=user.username), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>")
@allow(Role.ADMIN)
def user_detail(user_id: int):
    user = _get_user(user_id)
    history = db.session.scalars(
        sa.select(AuditRecord)
        .where(AuditRecord.entity_type == User.__tablename__, AuditRecord.entity_id == str(user.id))
        .order_by(AuditRecord.occurred_at.desc(), AuditRecord.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "admin/user_detail.html", user=user, reset_form=ResetPasswordForm(user), history=readable(history),
        form=EmptyForm(), profile_form=UserProfileForm(obj=user),
    )


@bp.route("/users/<int:user_id>/profile", methods=["POST"])
@allow(Role.ADMIN)
def edit_user(user_id: int):
    user = _get_user(user_id)
    form = UserProfileForm()
    if form.validate_on_submit():
        try:
            services.update_profile(user, display_name=form.display_name.data, title=form.title.data)
        except services.AccountError as exc:
            db.session.rollback()
            form.display_name.errors = [str(exc)]
        else:
            user.email = (form.email.data or "").strip() or None
            db.session.commit()
            flash(_("%(name)s is now named %(label)s.", name=user.username, label=user.label), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, reset_form=ResetPasswordForm(user), history=[],
                           form=EmptyForm(), profile_form=form), 400


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@allow(Role.ADMIN)
def deactivate_user(user_id: int):
    user = _get_user(user_id)
    try:
        services.deactivate_user(user, by=current_user)
    except services.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s has been deactivated and signed out everywhere.", name=user.username), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@allow(Role.ADMIN)
def activate_user(user_id: int):
    user = _get_user(user_id)
    try:
        services.reactivate_user(user)
    except services.AccountError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=user.username), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@allow(Role.ADMIN)
def reset_password(user_id: int):
    user = _get_user(user_id)
    form = ResetPasswordForm(user)
    if form.validate_on_submit():
        services.set_password(user, form.new_password.data)
        db.session.commit()
        flash(_("The password of %(name)s has been set; their sessions have ended.", name=user.username), "success")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    return render_template("admin/user_detail.html", user=user, reset_form=form, history=[], form=EmptyForm(),
                           profile_form=UserProfileForm(obj=user)), 400


@bp.route("/offices", methods=["GET", "POST"])
@allow(Role.ADMIN)
def offices():
    office_form = OfficeForm(prefix="office")
    department_form = DepartmentForm(prefix="dept")
    if office_form.submit.data and office_form.validate_on_submit():
        parent = db.session.get(Office, office_form.parent_id.data) or abort(400)
        office = Office(
            code=office_form.code.data,
            name=office_form.name.data.strip(),
            name_en=office_form.name_en.data or None,
            parent=parent,
        )
        db.session.add(office)
        db.session.commit()
        flash(_("Office %(name)s has been added.", name=office.name), "success")
        return redirect(url_for("admin.offices"))
    if department_form.submit.data and department_form.validate_on_submit():
        office = db.session.get(Office, department_form.office_id.data) or abort(400)
        department = Department(
            office=office, name=department_form.name.data.strip(), name_en=department_form.name_en.data or None
        )
        db.session.add(department)
        db.session.commit()
        flash(_("Department %(name)s has been added.", name=department.name), "success")
        return redirect(url_for("admin.offices"))
    tree = db.session.scalars(
        sa.select(Office).options(sa.orm.selectinload(Office.departments)).order_by(Office.path)
    ).all()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "admin/offices.html", tree=tree, office_form=office_form, department_form=department_form
    ), status


@bp.route("/audit")
@allow(Role.ADMIN)
def audit():
    """The trail as read (names, translated values, links, local time), or as stored with ?raw=1."""
    raw = request.args.get("raw") == "1"
    form = AuditFilterForm(request.args)
    types = db.session.scalars(sa.select(AuditRecord.entity_type).distinct().order_by(AuditRecord.entity_type)).all()
    kinds = [(t, t) for t in types] if raw else sorted(((t, kind_label(t)) for t in types), key=lambda kind: kind[1])
    form.entity_type.choices = select_choices([("", _("Any"))] + kinds)
    stmt = sa.select(AuditRecord)
    if form.validate():
        if form.entity_type.data:
            stmt = stmt.where(AuditRecord.entity_type == form.entity_type.data)
        if form.entity_id.data:
            stmt = stmt.where(AuditRecord.entity_id == form.entity_id.data.strip())
        if form.actor.data:
            stmt = stmt.where(AuditRecord.actor_name.ilike(f"%{form.actor.data.strip()}%"))
        if form.action.data:
            stmt = stmt.where(AuditRecord.action == AuditAction(form.action.data))
        if form.date_from.data:
            start = datetime.combine(form.date_from.data, time.min, LOCAL_TZ)
            stmt = stmt.where(AuditRecord.occurred_at >= start)
        if form.date_to.data:
            end = datetime.combine(form.date_to.data + timedelta(days=1), time.min, LOCAL_TZ)
            stmt = stmt.where(AuditRecord.occurred_at < end)
    stmt = stmt.order_by(AuditRecord.occurred_at.desc(), AuditRecord.id.desc())
    pagination = db.paginate(
        stmt,
        page=request.args.get("page", 1, type=db_int),
        per_page=current_app.config["AUDIT_PAGE_SIZE"],
        error_out=False,
    )
    # The other view of the same filter and page.
    # The other view of the same filter and page (encoded here: a query key may be any text).
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "raw"]
    query = urlencode(args if raw else [*args, ("raw", "1")])
    toggle_url = url_for("admin.audit") + (f"?{query}" if query else "")
    return render_template("admin/audit.html", form=form, pagination=pagination, raw=raw, toggle_url=toggle_url,
                           entries=None if raw else readable(pagination.items))

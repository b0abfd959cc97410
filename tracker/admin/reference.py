"""Admin pages of the reference lists the survey works with: need categories (with the default deadline in
working days that new needs get), the policy topics introduced at visits, and the certificate types the
certificate counter books and issues.

Rows are never deleted (needs and visits point at them); an admin retires one instead, and retired rows
stay on the records that use them but leave the forms. A changed deadline applies to needs recorded from
then on; the deadlines of existing needs stay as they were given.
"""
import re

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.admin.routes import bp
from tracker.appointments.models import Appointment, CertificateType
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.forms import BoundedIntegerField, Required, TrackerForm
from tracker.needs.models import Need, NeedCategory
from tracker.visits.models import PolicyTopic, visit_topics
from tracker.permissions import allow, load_or_404
from tracker.views import form_status, run_change

DEADLINE_MIN, DEADLINE_MAX = 1, 365  # as the table's check constraint


# Forms --------------------------------------------------------------------------------------------
class TopicForm(TrackerForm):
    name = StringField(_l("Name"), validators=[Required(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=200)])
    active = BooleanField(_l("In use (offered in the forms)"), default=True)
    # The row's version_id when the form was opened (optimistic locking, tracker.views).
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    model = PolicyTopic

    def __init__(self, *args, row=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row

    def validate_name(self, field):
        field.data = field.data.strip()
        stmt = sa.select(self.model.id).where(self.model.name == field.data)
        if self.row is not None:
            stmt = stmt.where(self.model.id != self.row.id)
        if db.session.scalar(stmt):
            raise ValidationError(_l("This name is already in the list."))


class CategoryForm(TopicForm):
    deadline_days = BoundedIntegerField(
        _l("Deadline in working days"),
        validators=[InputRequired(message=_l("Give the number of working days.")),
                    NumberRange(DEADLINE_MIN, DEADLINE_MAX,
                                message=_l("Between %(min)d and %(max)d working days.", min=DEADLINE_MIN,
                                           max=DEADLINE_MAX))],
    )

    model = NeedCategory


class CertificateTypeForm(TopicForm):
    code = StringField(_l("Code"), validators=[Required(), Length(max=20)],
                       description=_l("A short code the API and exports use, e.g. FORM_E."))
    sort_order = BoundedIntegerField(
        _l("Order"), default=100,
        validators=[InputRequired(message=_l("Give the position in the list.")),
                    NumberRange(0, 10_000, message=_l("Between %(min)d and %(max)d.", min=0, max=10_000))])

    model = CertificateType

    def validate_code(self, field):
        field.data = (field.data or "").strip().upper()
        if not CODE.fullmatch(field.data):
            raise ValidationError(_l("Capital letters, digits and underscores only, e.g. FORM_E."))
        stmt = sa.select(CertificateType.id).where(CertificateType.code == field.data)
        if self.row is not None:
            stmt = stmt.where(CertificateType.id != self.row.id)
        if db.session.scalar(stmt):
            raise ValidationError(_l("This code is already in the list."))


CODE = re.compile(r"[A-Z0-9_]{1,20}")


# Views --------------------------------------------------------------------------------------------
KINDS = {"categories": (NeedCategory, CategoryForm), "topics": (PolicyTopic, TopicForm),
         "certificates": (CertificateType, CertificateTypeForm)}
FORM_ARGUMENT = {"categories": "category_form", "topics": "topic_form", "certificates": "certificate_form"}


def _kind(kind: str):
    return KINDS.get(kind) or abort(404)


def _usage() -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """How many needs use each category, visits each topic and appointments each certificate type (three
    grouped queries)."""
    needs = dict(db.session.execute(sa.select(Need.category_id, sa.func.count()).group_by(Need.category_id)).all())
    visits = dict(db.session.execute(
        sa.select(visit_topics.c.topic_id, sa.func.count()).group_by(visit_topics.c.topic_id)).all())
    appointments = dict(db.session.execute(
        sa.select(Appointment.certificate_type_id, sa.func.count()).group_by(Appointment.certificate_type_id)).all())
    return needs, visits, appointments


def _render_lists(category_form=None, topic_form=None, certificate_form=None, status=200):
    categories = db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id)).all()
    topics = db.session.scalars(sa.select(PolicyTopic).order_by(PolicyTopic.id)).all()
    certificates = db.session.scalars(
        sa.select(CertificateType).order_by(CertificateType.sort_order, CertificateType.id)).all()
    needs, visits, appointments = _usage()
    return render_template(
        "admin/reference.html", categories=categories, topics=topics, certificates=certificates,
        needs_per_category=needs, visits_per_topic=visits, appointments_per_type=appointments,
        category_form=category_form or CategoryForm(prefix="categories"),
        topic_form=topic_form or TopicForm(prefix="topics"),
        certificate_form=certificate_form or CertificateTypeForm(prefix="certificates"),
    ), status


@bp.route("/reference")
@allow(Role.ADMIN)
def reference():
    return _render_lists()


@bp.route("/reference/<kind>/new", methods=["POST"])
@allow(Role.ADMIN)
def add_reference(kind: str):
    model, form_class = _kind(kind)
    form = form_class(prefix=kind)
    if not form.validate_on_submit():
        return _render_lists(**{FORM_ARGUMENT[kind]: form}, status=400)
    row = model(name=form.name.data, name_en=(form.name_en.data or "").strip() or None, active=form.active.data)
    if model is NeedCategory:
        row.deadline_days = form.deadline_days.data
    if model is CertificateType:
        row.code, row.sort_order = form.code.data, form.sort_order.data
    db.session.add(row)
    db.session.commit()
    flash(_("%(name)s has been added.", name=row.name), "success")
    return redirect(url_for("admin.reference"))


@bp.route("/reference/<kind>/<int:row_id>", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_reference(kind: str, row_id: int):
    model, form_class = _kind(kind)
    row = load_or_404(model, row_id)
    form = form_class(obj=row, row=row)
    if request.method == "GET":
        form.version.data = str(row.version_id)
    elif form.validate_on_submit():
        def change():
            row.name = form.name.data
            row.name_en = (form.name_en.data or "").strip() or None
            row.active = form.active.data
            if model is NeedCategory:
                row.deadline_days = form.deadline_days.data
            if model is CertificateType:
                row.code, row.sort_order = form.code.data, form.sort_order.data

        if run_change(change, _("Your changes have been saved."), version=(row, form.version),
                      stale=_("Someone else changed this entry after you opened the form. Review the current "
                              "values and make your change again.")).ok:
            return redirect(url_for("admin.reference"))
    status = form_status(400) if request.method == "POST" else 200
    return render_template("admin/reference_edit.html", form=form, row=row, kind=kind), status

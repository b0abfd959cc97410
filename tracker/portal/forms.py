"""The portal's own form: a firm's contact raises a need himself."""
import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import Length

from tracker.extensions import db
from tracker.forms import Required, TrackerForm, select_choices, submission_key_field
from tracker.needs.models import NeedCategory
from tracker.needs.services import TEXT_MAX


class RaiseNeedForm(TrackerForm):
    submission_key = submission_key_field()
    category_id = SelectField(_l("What it is about"), coerce=int, validators=[Required()])
    content = TextAreaField(_l("Your need"), validators=[Required(), Length(max=TEXT_MAX)],
                            description=_l("What you need from customs, with the goods, ports or dates it concerns."))
    submit = SubmitField(_l("Send to customs"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = db.session.scalars(
            sa.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.id)).all()
        self.category_id.choices = select_choices(
            [(0, _l("— choose —"))] + [(c.id, _("%(name)s (answer within %(days)d working days)", name=c.name,
                                                  days=c.deadline_days)) for c in categories])

    def validate_category_id(self, field):
        from wtforms.validators import ValidationError

        category = db.session.get(NeedCategory, field.data) if field.data else None
        if field.data and (category is None or not category.active):
            raise ValidationError(_l("Choose what the need is about."))

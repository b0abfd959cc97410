"""The upload form for declaration files."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.validators import NumberRange, Optional

from tracker.extensions import db
from tracker.forms import BoundedIntegerField, TrackerForm, select_choices
from tracker.offices.models import Office
from tracker.permissions import scope_offices


class UploadForm(TrackerForm):
    file = FileField(_l("File (.csv or .xlsx)"), validators=[FileRequired(_l("Choose a file to import."))])
    office_id = SelectField(_l("Customs office of these firms"), coerce=int)
    year = BoundedIntegerField(_l("Year, for rows that give none"), validators=[Optional(), NumberRange(1980, 2200)])
    submit = SubmitField(_l("Upload and check"))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        offices = db.session.scalars(scope_offices(sa.select(Office), user).order_by(Office.path)).all()
        self.office_id.choices = select_choices((o.id, "\u3000" * o.depth + o.name) for o in offices)

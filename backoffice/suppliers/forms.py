"""Forms of the supplier invoice pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange
from wtforms.widgets import HiddenInput

from backoffice.forms import FlaskForm, choices
from backoffice.suppliers.models import KIND_LABELS


class ReceiveForm(FlaskForm):
    kind = RadioField(
        _l("From"),
        choices=choices((kind, _l(label)) for kind, label in KIND_LABELS.items()),
        default="hotel",
        validate_choice=False,  # the operation refuses an unknown kind with its own message
    )
    file = FileField(
        _l("E-invoice (XRechnung / ZUGFeRD: XML or PDF)"),
        render_kw={"accept": ".xml,.pdf,application/xml,text/xml,application/pdf"},
        description=_l("Read by its content: UBL or CII XML, or a PDF with the CII XML embedded."),
    )


class DecisionForm(FlaskForm):
    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("The form is out of date: reload the page.")), NumberRange(min=1)],
    )
    note = TextAreaField(
        _l("Note (what is disputed, for the supplier)"),
        validators=[Length(max=2000, message=_l("at most 2,000 characters."))],
        render_kw={"rows": 2, "maxlength": 2000},
    )

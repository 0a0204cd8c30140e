"""Forms of the hospital bill pages. Each change carries the bill version the user saw (optimistic locking)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from backoffice.forms import FlaskForm, choices

FILE_HINT = _l(
    "The hospital's CSV with the header line,date,code,description,quantity,unit_price,currency; "
    "dates as YYYY-MM-DD, amounts with a dot. Unreadable rows are kept and marked; a file that cannot be read at all "
    "is refused whole."
)
NEW_BILL_FILE_HINT = _l(
    "The hospital's CSV with the header line,date,code,description,quantity,unit_price,currency (dates as "
    "YYYY-MM-DD, amounts with a dot), or its e-invoice: XRechnung / ZUGFeRD XML (UBL or CII) or a ZUGFeRD PDF. "
    "Unreadable rows are kept and marked; a file that cannot be read at all is refused whole. Leave it empty to enter "
    "the lines one by one."
)
BILL_FILE_TYPES = ".csv,text/csv,.xml,application/xml,text/xml,.pdf,application/pdf"


def _reference_field(missing: str):
    """The hospital's invoice number of a received bill; `missing` says what to enter."""
    return StringField(
        _l("Hospital's invoice number"),
        validators=[DataRequired(message=missing), Length(max=60)],
        render_kw={"maxlength": 60},
    )


def _received_on_field(missing: str):
    """The day a bill was received; `missing` says what to enter."""
    return DateField(_l("Received on"), validators=[DataRequired(message=missing)], format="%Y-%m-%d")


class VersionedForm(FlaskForm):
    """A change of a bill, made from the version of it the user saw."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("The form is out of date: reload the page.")), NumberRange(min=1)],
    )


class BillReceiveForm(FlaskForm):
    """A new bill: from a CSV or an e-invoice, or empty for line-by-line entry. An e-invoice brings its own number
    (BT-1) and is received today unless a date is given; a CSV needs both (checked by `receiving`)."""

    file = FileField(
        _l("Bill file (CSV or e-invoice)"),
        render_kw={"accept": BILL_FILE_TYPES},
        description=NEW_BILL_FILE_HINT,
    )
    reference = StringField(
        _l("Hospital's invoice number"),
        validators=[Length(max=60)],
        render_kw={"maxlength": 60},
        description=_l("An e-invoice brings its own number: leave this empty to take it."),
    )
    received_on = DateField(_l("Received on"), validators=[Optional()], format="%Y-%m-%d")


class CorrectionForm(VersionedForm):
    """The hospital's corrected bill for a disputed one."""

    file = FileField(
        _l("Corrected bill (CSV or e-invoice)"),
        validators=[FileRequired(message=_l("Choose the corrected bill's file (CSV or e-invoice)."))],
        render_kw={"accept": BILL_FILE_TYPES},
        description=FILE_HINT,
    )
    reference = _reference_field(_l("Enter the corrected bill's invoice number."))
    received_on = _received_on_field(_l("Enter the date the corrected bill was received (YYYY-MM-DD)."))


class LineForm(VersionedForm):
    """One line as the hospital wrote it; the audit reads it like a CSV row (an unreadable one is marked)."""

    service_date = StringField(_l("Date"), validators=[Length(max=40)], render_kw={"placeholder": _l("YYYY-MM-DD")})
    code = StringField(_l("Code"), validators=[DataRequired(message=_l("Enter the line's code.")), Length(max=40)])
    description = StringField(_l("Description"), validators=[Length(max=300)])
    quantity = StringField(_l("Quantity"), validators=[Length(max=40)], default="1")
    unit_price = StringField(_l("Unit price"), validators=[Length(max=40)], render_kw={"placeholder": "1234.50"})
    currency = StringField(_l("Currency"), validators=[Length(max=10)], default="EUR")


class DecisionForm(VersionedForm):
    """Accept or dispute one line; the decision is the button pressed."""

    decision = SelectField(
        _l("Decision"),
        choices=choices([("accepted", _l("Accept")), ("disputed", _l("Dispute"))]),
        validate_choice=True,
    )
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=1000)])


class ApproveForm(VersionedForm):
    override_note = TextAreaField(
        _l("Override note"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Needed while findings are undecided: why the bill is approved anyway (at least 10 characters). "
            "Lines left undecided are not charged on the patient's invoice."
        ),
    )


class DisputeForm(VersionedForm):
    note = TextAreaField(
        _l("Internal note"),
        validators=[Optional(), Length(max=2000)],
        description=_l(
            "Optional, kept on the case timeline; the dispute letter lists each disputed line with its reason."
        ),
    )


class PaidForm(VersionedForm):
    paid_on = DateField(
        _l("Paid on"), validators=[DataRequired(message=_l("Enter the payment date (YYYY-MM-DD)."))], format="%Y-%m-%d"
    )


class VersionForm(VersionedForm):
    """A button that changes the bill: nothing but the version and the CSRF token."""

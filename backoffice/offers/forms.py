"""Forms of the coordinator's offer pages.

Quantities, prices, shares and rates stay text here and are read by the operations (`validators.decimal_value`), so
the message about a bad number is the operation's; the forms only bound lengths and parse dates. Every change of an
offer carries the `row_version` of it the user saw: a form from a stale tab is refused.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from backoffice import vat
from backoffice.cases.documents import ACCEPT
from backoffice.forms import FlaskForm, PlainForm, choices
from backoffice.params import MAX_ID

NUMBER_LENGTH = 30
SCHEDULE_ROWS = 4
STALE = _l("The form is out of date: reload the page.")
DATE_HINT = _l("Enter the date as YYYY-MM-DD.")


def _number(label, description="") -> StringField:
    return StringField(
        label,
        validators=[Length(max=NUMBER_LENGTH)],
        description=description,
        render_kw={"maxlength": NUMBER_LENGTH, "inputmode": "decimal"},
    )


def _day(label) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m-%d", description="")


class RateFields:
    """The exchange rate of an offer in another currency than the base one, and the day it is from."""

    exchange_rate = _number(_l("Exchange rate"))
    exchange_rate_on = _day(_l("Rate of"))


class StartOfferForm(RateFields, FlaskForm):
    """Make an offer (the first from the programme, or the next version of the last one)."""


class VersionForm(FlaskForm):
    """A change of an offer, made from the version of it the user saw."""

    version = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(message=STALE), NumberRange(min=1, max=MAX_ID, message=STALE)]
    )


class TermsForm(RateFields, VersionForm):
    treatment_on = _day(_l("Planned treatment date"))
    valid_until = _day(_l("Valid until"))
    included = TextAreaField(_l("Included"), validators=[Length(max=5000)])
    excluded = TextAreaField(_l("Not included"), validators=[Length(max=5000)])
    cancellation_terms = TextAreaField(_l("Cancellation terms"), validators=[Length(max=5000)])


SECTION_LABELS = {"treatment": _l("Treatment"), "service": _l("Service")}


class ItemForm(VersionForm):
    """An item added to a draft (no item_id) or changed."""

    item_id = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    section = SelectField(_l("Section"), choices=choices(SECTION_LABELS.items()), default="service")
    code = StringField(
        _l("Tariff code"),
        validators=[Length(max=40)],
        description=_l("A treatment with a code is priced from the hospital's tariff."),
    )
    description = StringField(_l("Description"), validators=[Length(max=300)])
    quantity = _number(_l("Quantity"))
    unit_price = _number(_l("Unit price"), _l("In the base currency; ignored for a treatment priced from the tariff."))
    vat_category = SelectField(
        _l("VAT category"), choices=choices((key, _l(label)) for key, label in vat.LABELS.items()), default="standard"
    )
    optional = BooleanField(_l("Optional (the patient may choose it)"))


class InstalmentRow(PlainForm):
    payment = StringField(_l("Payment"), validators=[Length(max=100)])
    percent = _number(_l("Share in %"))
    due_on = _day(_l("Due on"))


class ScheduleForm(VersionForm):
    rows = FieldList(FormField(InstalmentRow), min_entries=SCHEDULE_ROWS, max_entries=SCHEDULE_ROWS)

    def lines(self) -> list[tuple[str, object, object]]:
        """The filled rows as (label, percent, due date); empty rows are left out."""
        return [
            (row.form.payment.data or "", row.form.percent.data or "", row.form.due_on.data)
            for row in self.rows
            if (row.form.payment.data or "").strip() or (row.form.percent.data or "").strip() or row.form.due_on.data
        ]


class AcceptanceForm(VersionForm):
    """An acceptance received outside the portal: the name as signed and the signed offer."""

    name = StringField(_l("Name as signed"), validators=[Length(max=200)])
    file = FileField(
        _l("Signed offer"),
        render_kw={"accept": ACCEPT},
        description=_l("PDF, JPEG or PNG; kept with the case's documents."),
    )


class DeclineForm(VersionForm):
    reason = TextAreaField(_l("The patient's reason"), validators=[Length(max=2000)])

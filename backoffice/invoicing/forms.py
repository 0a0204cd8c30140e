"""Forms of the invoice pages.

Amounts, quantities, shares and rates stay text here and are read by the operations (`invoices.parse_amount`), so
the message about a bad amount is the operation's, exact and never rounded; the forms only bound their length.
Every change of an existing invoice carries the version of it the user saw (optimistic locking).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from backoffice import vat
from backoffice.forms import FlaskForm, choices
from backoffice.invoicing.models import LINE_KIND_LABELS, LINE_KINDS, PAYMENT_METHOD_LABELS, RECEIVED_METHODS
from backoffice.params import MAX_ID, positive_int

AMOUNT_LENGTH = 30
AMOUNT_HINT = _l("Digits with a dot, such as 1234.50.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def amount_field(label, *, description=AMOUNT_HINT, **kwargs) -> StringField:
    return StringField(
        label,
        validators=[Length(max=AMOUNT_LENGTH, message=_l("at most %(count)s characters.", count=AMOUNT_LENGTH))],
        filters=[_strip],
        description=description,
        render_kw={"maxlength": AMOUNT_LENGTH, "inputmode": "decimal"},
        **kwargs,
    )


class DayField(DateField):
    """A calendar day written YYYY-MM-DD; anything else (2026-02-30, 01/03/2026) is refused with a message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%d", **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            shown = " ".join(valuelist)[:20]
            raise ValueError(
                _("%(value)s is not a date; write a real calendar day as YYYY-MM-DD.", value=repr(shown))
            ) from None


class VersionedForm(FlaskForm):
    """A change of an invoice, made from the version of it the user saw."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[
            InputRequired(message=_l("The form is out of date: reload the page.")),
            NumberRange(min=1, max=MAX_ID, message=_l("The form is out of date: reload the page.")),
        ],
    )


class VersionForm(VersionedForm):
    """A button that changes the invoice (issue, delete, remove a line): the version and the CSRF token."""


class OfferDifferenceForm(VersionedForm):
    """Why a final draft differs from the patient's accepted offer by more than the threshold."""

    reason = TextAreaField(
        _l("Reason for the difference from the accepted offer"),
        validators=[Length(max=2000, message=_l("at most %(count)s characters.", count=2000))],
        filters=[_strip],
        description=_l("Such as: a second infusion the patient asked for during the stay. Kept in the audit log."),
        render_kw={"maxlength": 2000, "rows": 2},
    )


class RateForm(FlaskForm):
    """The exchange rate of an invoice not in the base currency, and the day it is from."""

    exchange_rate = amount_field(_l("Exchange rate"), description="")
    exchange_rate_on = DayField(_l("Rate of"), validators=[Optional()])


class DepositForm(RateForm):
    amount = amount_field(_l("Amount"), description=_l("In the case's invoicing currency; or give a share instead."))
    share_percent = StringField(
        _l("or share of the accepted offer (%)"),
        validators=[Length(max=10, message=_l("at most %(count)s characters.", count=10))],
        filters=[_strip],
        description=_l("Such as 30 for 30 % of the accepted offer."),
        render_kw={"maxlength": 10, "inputmode": "decimal"},
    )


class FinalForm(RateForm):
    """A final invoice from the approved bill, the trip's costs and the fee: only the rate is asked."""


class CurrencyForm(FlaskForm):
    # The operation checks the code (its message names what is wrong); the choices are set by the view.
    currency = SelectField(_l("Invoicing currency"), validate_choice=False)


class HeaderForm(VersionedForm, RateForm):
    bill_to_name = StringField(
        _l("Bill to"),
        validators=[Length(max=200, message=_l("at most %(count)s characters.", count=200))],
        filters=[_strip],
        render_kw={"maxlength": 200},
    )
    bill_to_address = TextAreaField(
        _l("Address"),
        validators=[Length(max=1000, message=_l("at most 1,000 characters."))],
        render_kw={"rows": 4, "maxlength": 1000},
    )
    # The payer as its e-invoice states it (drafts.payer_details checks them, with a message naming the field).
    bill_to_reference = StringField(
        _l("Buyer reference (Leitweg-ID)"),
        validators=[Length(max=60, message=_l("at most %(count)s characters.", count=60))],
        filters=[_strip],
        description=_l("Only for a business payer (insurer, embassy, employer): it makes an XRechnung available."),
        render_kw={"maxlength": 60},
    )
    bill_to_vat_id = StringField(
        _l("Payer's VAT ID"),
        validators=[Length(max=24, message=_l("at most %(count)s characters.", count=24))],
        filters=[_strip],
        render_kw={"maxlength": 24},
    )
    bill_to_postcode = StringField(
        _l("Postcode"),
        validators=[Length(max=20, message=_l("at most %(count)s characters.", count=20))],
        filters=[_strip],
        render_kw={"maxlength": 20},
    )
    bill_to_city = StringField(
        _l("City"),
        validators=[Length(max=100, message=_l("at most %(count)s characters.", count=100))],
        filters=[_strip],
        render_kw={"maxlength": 100},
    )
    bill_to_country = StringField(
        _l("Country code"),
        validators=[Length(max=2, message=_l("two letters, such as DE."))],
        filters=[_strip],
        description=_l("Two letters, such as DE, AE, GB."),
        render_kw={"maxlength": 2},
    )
    service_from = DayField(_l("Service from"), validators=[Optional()])
    service_to = DayField(_l("Service to"), validators=[Optional()])
    note = TextAreaField(
        _l("Remark (printed on the invoice)"),
        validators=[Length(max=1000, message=_l("at most 1,000 characters."))],
        render_kw={"rows": 2, "maxlength": 1000},
    )


MANUAL_LINE_KINDS = tuple(kind for kind in LINE_KINDS if kind != "deposit")  # deposits come from the deposit form


class LineForm(VersionedForm):
    kind = SelectField(
        _l("Kind"),
        choices=choices((kind, _l(LINE_KIND_LABELS[kind])) for kind in MANUAL_LINE_KINDS),
        validate_choice=False,  # the operation refuses an unknown kind with its own message
    )
    description = StringField(
        _l("Description"),
        validators=[Length(max=300, message=_l("at most %(count)s characters.", count=300))],
        filters=[_strip],
        render_kw={"maxlength": 300},
    )
    service_on = DayField(_l("Service date"), validators=[Optional()])
    quantity = amount_field(_l("Quantity"), default="1", description="")
    unit_price = amount_field(_l("Unit price"), description=_l("Before VAT, in the invoice's currency."))
    # Empty: the category the VAT table gives the kind; the operation refuses a category it does not know.
    vat_category = SelectField(
        _l("VAT"),
        choices=choices(
            [("", _l("As the VAT table says for this kind"))] + [(key, _l(label)) for key, label in vat.LABELS.items()]
        ),
        default="",
        validate_choice=False,
    )


def method_field() -> SelectField:
    """How money came in or went back (bank transfer by default); the operation refuses a method it does not know."""
    return SelectField(
        _l("Method"),
        choices=choices((method, _l(PAYMENT_METHOD_LABELS[method])) for method in RECEIVED_METHODS),
        default="bank_transfer",
        validate_choice=False,
    )


def reference_field(description) -> StringField:
    return StringField(
        _l("Reference"),
        validators=[Length(max=100, message=_l("at most %(count)s characters.", count=100))],
        filters=[_strip],
        description=description,
        render_kw={"maxlength": 100},
    )


class PaymentForm(VersionedForm):
    """Money received for an issued invoice, or (the same fields) a refund paid back to the patient."""

    received_on = DayField(_l("Date"), validators=[InputRequired(message=_l("Enter the date the money was paid."))])
    amount = amount_field(_l("Amount"))
    currency = SelectField(_l("Currency"), validate_choice=False)  # the operation refuses another currency, with why
    method = method_field()
    reference = reference_field(_l("The bank's transaction reference, a receipt number."))


class ApplyCreditForm(FlaskForm):
    """Set the case's credit against one of its open invoices (the view lists those in the credit's currency)."""

    invoice_id = SelectField(_l("Apply to"), validate_choice=False)  # the operation refuses another case's invoice
    amount = amount_field(_l("Amount"), description=_l("Empty: as much as the credit holds and the invoice has open."))


class RefundCreditForm(FlaskForm):
    """The case's credit (or part of it) paid back to the patient."""

    currency = SelectField(_l("Currency"), validate_choice=False)
    amount = amount_field(_l("Amount"), description=_l("Empty: the whole credit in that currency."))
    paid_on = DayField(
        _l("Paid back on"), validators=[InputRequired(message=_l("Enter the date the money was paid back."))]
    )
    method = method_field()
    reference = reference_field(_l("The bank's transaction reference."))


class CreditNoteForm(FlaskForm):
    """The reason of a credit note; the lines it reverses are read by `chosen_lines` (one checkbox per line)."""

    reason = TextAreaField(
        _l("Reason (printed on the credit note)"),
        validators=[Length(max=1000, message=_l("at most 1,000 characters."))],
        render_kw={"rows": 3, "maxlength": 1000},
    )


class ChosenLinesError(ValueError):
    """The lines of a credit-note form cannot be read; the message is for people."""


def chosen_lines(formdata: Mapping) -> dict[int, str | None]:
    """The lines ticked on the credit-note form (`line` checkboxes, valued with the line's id), each with the net
    amount typed beside it (`amount-<id>`), or None to credit what is left of it in full."""
    chosen: dict[int, str | None] = {}
    for value in formdata.getlist("line"):
        line_id = positive_int(value)
        if line_id is None:
            raise ChosenLinesError(_("The form named a line that does not exist; reload the page and try again."))
        amount = (formdata.get(f"amount-{line_id}") or "").strip()
        if len(amount) > AMOUNT_LENGTH:
            raise ChosenLinesError(_("An amount to credit has at most %(count)s characters.", count=AMOUNT_LENGTH))
        chosen[line_id] = amount or None
    return chosen

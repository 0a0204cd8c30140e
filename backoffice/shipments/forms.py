"""Forms of the medicine-order pages and the pharmacy directory. They check shape and length; the rules (which
pharmacy, which prescription, quantities, countries) live in operations.py and pharmacies.py."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import HiddenInput

from backoffice.forms import FlaskForm, PlainForm, choices
from backoffice.geo import countries
from backoffice.languages import page_language
from backoffice.params import positive_int
from backoffice.shipments.models import SANDBOX_BEHAVIOUR_LABELS, SANDBOX_BEHAVIOURS
from backoffice.shipments.operations import ItemInput, OrderInput

EMPTY_ROWS = 5  # rows of a new order; an edited one shows its items and two empty rows more
MAX_ROWS = 30  # operations.MAX_ITEMS: the form never offers more rows than an order may have
_INDEX = re.compile(r"[0-9]{1,6}")


def country_choices(placeholder: str):
    """Every country by its name in the page's language (the stored value stays the two-letter code)."""
    return choices([("", placeholder), *countries(page_language()).items()])


class VersionForm(FlaskForm):
    """A change of an order, made from the version of it the user saw (optimistic locking)."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("The page was incomplete: reload it and try again.")), NumberRange(min=1)],
    )


class CancelForm(VersionForm):
    reason = StringField(
        _l("Reason for cancelling"),
        validators=[DataRequired(message=_l("Say why the order is cancelled.")), Length(max=1000)],
        render_kw={"maxlength": 1000},
    )


def _whole_number(form, field) -> None:
    # ASCII digits only: "²" passes str.isdigit() but not int(), and "2.5", "-1", "abc" are no quantities either.
    value = (field.data or "").strip()
    if value and not (value.isascii() and value.isdigit()):
        raise ValidationError(_("the quantity is a whole number such as 3"))


class ItemForm(PlainForm):
    """One row of the items table; an empty row is ignored, the operation checks the rest.

    Read `form` as `row["form"]`: on the FormField wrapping a row, `row.form` is the row's own form."""

    medicine = StringField(_l("Medicine"))
    strength = StringField(_l("Strength"))
    form = StringField(_l("Form"))
    quantity = StringField(_l("Quantity"), validators=[_whole_number], render_kw={"inputmode": "numeric"})


class ItemRows(FieldList):
    """A FieldList whose row numbers are read as ASCII digits only (WTForms' own `isdigit()` lets "²" through to
    `int()`, a 500)."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if _INDEX.fullmatch(index):
                    yield int(index)


class OrderForm(FlaskForm):
    """A new draft. The button pressed is `action`: "draft" saves, "submit" saves and submits."""

    # One per form shown: the same form sent twice (a double click, a resent POST) creates one order.
    client_token = StringField(widget=HiddenInput(), validators=[Length(max=64)])

    pharmacy_id = SelectField(_l("Pharmacy"), validate_choice=False)
    prescription_id = SelectField(
        _l("Prescription"),
        validate_choice=False,
        description=_l("A document uploaded to the case. Needed to submit; a draft may be saved without it."),
    )
    delivery_name = StringField(
        _l("Deliver to"),
        validators=[Length(max=200)],
        description=_l("Empty: the patient's name."),
        render_kw={"maxlength": 200},
    )
    delivery_address = TextAreaField(
        _l("Delivery address"),
        validators=[Length(max=1000)],
        description=_l("Empty: the patient's address."),
        render_kw={"rows": 3},
    )
    delivery_country = SelectField(
        _l("Delivery country"),
        validate_choice=False,
    )
    cold_chain = BooleanField(_l("Cold chain (refrigerated from the pharmacy to the door)"))
    customs_notes = TextAreaField(
        _l("Customs notes"),
        validators=[Length(max=2000)],
        description=_l("What the customs declaration should say, such as “prescription medicine for personal use”."),
        render_kw={"rows": 2},
    )
    sandbox_behaviour = SelectField(
        _l("Sandbox behaviour"),
        validate_choice=False,
        default="normal",
    )
    items = ItemRows(FormField(ItemForm), min_entries=EMPTY_ROWS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery_country.choices = country_choices(_("The patient's country"))
        self.sandbox_behaviour.choices = choices(
            [(value, _(SANDBOX_BEHAVIOUR_LABELS[value])) for value in SANDBOX_BEHAVIOURS]
        )

    def problems(self) -> list[str]:
        """The form's errors as sentences, items named by their row."""
        messages = []
        for name, errors in self.errors.items():
            if name == "items":
                for number, row in enumerate(errors, start=1):
                    for field_errors in (row or {}).values():
                        messages.extend(
                            _("Item %(number)s: %(problem)s.", number=number, problem=error) for error in field_errors
                        )
            elif name in ("version", "csrf_token"):
                messages.extend(str(error) for error in errors)  # a lazy message in the page's language
            else:
                label = self[name].label.text
                messages.extend(_("%(label)s: %(problem)s", label=label, problem=error) for error in errors)
        return messages

    def order_input(self) -> OrderInput:
        """The typed values as the operations take them; ids that are not numbers name nothing (refused there)."""
        return OrderInput(
            pharmacy_id=positive_int(self.pharmacy_id.data),
            prescription_id=_optional_id(self.prescription_id.data),
            delivery_name=self.delivery_name.data or "",
            delivery_address=self.delivery_address.data or "",
            delivery_country=self.delivery_country.data or "",
            cold_chain=bool(self.cold_chain.data),
            customs_notes=self.customs_notes.data or "",
            items=[
                ItemInput(
                    row.medicine.data or "", row.strength.data or "", row["form"].data or "", row.quantity.data or ""
                )
                for row in self.items
            ],
            sandbox_behaviour=self.sandbox_behaviour.data or "normal",
        )


class EditOrderForm(OrderForm):
    """A draft changed from the version of it the user saw."""

    version = IntegerField(
        widget=HiddenInput(),
        validators=[InputRequired(message=_l("The page was incomplete: reload it and try again.")), NumberRange(min=1)],
    )


def _optional_id(value: str | None) -> int | None:
    """None for "no prescription"; 0 (which no row has) for anything typed that is not an id, so that it is
    refused by name instead of silently dropped."""
    value = (value or "").strip()
    if not value:
        return None
    return positive_int(value) or 0


def order_form_data(order, case) -> dict:
    """A form's data: the stored draft, or a new order's defaults (the patient's name, address, country)."""
    if order is None:
        return {
            "delivery_name": case.patient.name,
            "delivery_address": case.patient.address or "",
            "delivery_country": case.patient.country or "",
            "sandbox_behaviour": "normal",
            "items": [{}] * EMPTY_ROWS,
        }
    rows = [
        {"medicine": i.medicine, "strength": i.strength, "form": i.form, "quantity": str(i.quantity)}
        for i in order.items
    ]
    rows += [{}] * max(0, min(MAX_ROWS, max(EMPTY_ROWS, len(rows) + 2)) - len(rows))
    return {
        "version": order.version,
        "pharmacy_id": str(order.pharmacy_id),
        "prescription_id": str(order.prescription_id or ""),
        "delivery_name": order.delivery_name,
        "delivery_address": order.delivery_address,
        "delivery_country": order.delivery_country,
        "cold_chain": order.cold_chain,
        "customs_notes": order.customs_notes,
        "sandbox_behaviour": order.sandbox_behaviour,
        "items": rows,
    }


# ---------------------------------------------------------------------------------------------- pharmacies


class PharmacyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Enter the pharmacy's name.")), Length(max=200)])
    country = SelectField(_l("Country"), validate_choice=False)
    city = StringField(_l("City"), validators=[Length(max=100)])
    address = TextAreaField(_l("Address"), validators=[Length(max=1000)], render_kw={"rows": 3})
    email = StringField(_l("Email"), validators=[Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    provider = SelectField(
        _l("Provider"),
        validate_choice=False,
        description=_l("How orders reach the pharmacy. The sandbox is a test mode: nothing is bought or shipped."),
    )
    cold_chain = BooleanField(_l("Can ship refrigerated (cold chain)"))
    active = BooleanField(_l("Active (offered for new orders)"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(_("Choose a country"))

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "country": self.country.data,
            "city": self.city.data,
            "address": self.address.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "provider": self.provider.data,
            "cold_chain": bool(self.cold_chain.data),
            "active": bool(self.active.data),
        }

"""What only the directory checks (hospital codes, the foreign-patient coefficient), and the two steps of every
directory change.

The general checks (text, email, phone, country, languages, time zone, days, prices) are `backoffice.validators`,
raising DirectoryError here. Hospitals, physicians, programmes (and pharmacies) share the two steps of a change:
applying the values (noting what changed for the audit row) and flushing where a unique key may be taken meanwhile.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from backoffice import validators
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.validators import plain

CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
CODE_MAX = 20
COEFFICIENT_PLACES = 4  # as the column keeps it
MIN_COEFFICIENT, MAX_COEFFICIENT = Decimal(1), Decimal(5)
COEFFICIENT_SOURCE_MAX = 300
VAT_ID_MAX = 20  # as the column keeps it
# A VAT identification number: the country's two letters, then its digits and letters (DE + 9 digits, ATU + 8 ...).
# Only the form is checked: several countries' check digits are not public, and sample numbers fail them.
VAT_ID_PATTERN = re.compile(r"[A-Z]{2}[0-9A-Z+*]{2,18}")


class DirectoryError(DomainError):
    pass


def code(value: str | None) -> str:
    """A hospital code such as FRA-ABM: capital letters and digits in groups joined by dashes."""
    code = (value or "").strip().upper()
    if not code:
        raise DirectoryError(_("Enter the hospital code (such as FRA-ABM)."))
    if len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise DirectoryError(
            _(
                "%(value)s is not a hospital code: use up to %(max)s capital letters and digits, "
                "in groups joined by dashes (such as FRA-ABM).",
                value=repr(code[:40]),
                max=CODE_MAX,
            )
        )
    return code


def vat_id(value: str | None) -> str:
    """A hospital's VAT ID as stored and compared with its e-invoices' seller VAT ID: capitals, no spaces, dots or
    dashes ("de 811.234.567" is DE811234567); empty when it has none on record."""
    compact = re.sub(r"[\s.\-]+", "", value or "").upper()
    if not compact:
        return ""
    if len(compact) > VAT_ID_MAX or not VAT_ID_PATTERN.fullmatch(compact):
        raise DirectoryError(
            _(
                "%(value)s is not a VAT ID: it starts with the country's two letters, then digits (such as "
                "DE811234567).",
                value=repr((value or "")[:40]),
            )
        )
    if compact.startswith("DE") and not re.fullmatch(r"DE[0-9]{9}", compact):
        raise DirectoryError(_("A German VAT ID is DE and nine digits (such as DE811234567)."))
    return compact


def foreign_coefficient(value: Decimal | str | None, source: str | None) -> tuple[Decimal | None, str]:
    """A hospital's documented foreign-patient coefficient and where it comes from, or (None, "") for none.

    What a foreign patient pays as a multiple of the resident price: from 1 (no surcharge) to 5, at most 4 decimals;
    a coefficient needs its source (such as "Hospital's price list for international patients, 2026"), and a source
    alone, without the coefficient it documents, is refused too.
    """
    label = _("foreign-patient coefficient")
    source_label = _("source of the foreign-patient coefficient")
    source_text = validators.text(source, source_label, COEFFICIENT_SOURCE_MAX, error=DirectoryError)
    if value is None or (isinstance(value, str) and not value.strip()):
        if source_text:
            raise DirectoryError(
                _("Enter the foreign-patient coefficient its source documents, or leave the source empty too.")
            )
        return None, ""
    coefficient = validators.decimal_value(value, label, places=COEFFICIENT_PLACES, error=DirectoryError)
    if not MIN_COEFFICIENT <= coefficient <= MAX_COEFFICIENT:
        raise DirectoryError(
            _(
                "The foreign-patient coefficient %(value)s is outside %(low)s to %(high)s: it is what a foreign "
                "patient pays as a multiple of the resident price (1.8 for 80%% more).",
                value=coefficient,
                low=MIN_COEFFICIENT,
                high=MAX_COEFFICIENT,
            )
        )
    if not source_text:
        raise DirectoryError(
            _(
                "Enter the source of the foreign-patient coefficient, such as “Hospital's price list for "
                "international patients, 2026”: a coefficient is only used with its source."
            )
        )
    return coefficient.quantize(Decimal(1).scaleb(-COEFFICIENT_PLACES)), source_text


def apply_changes(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `row`; return {field: [before, after]} for those that changed, for the audit row."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changes[name] = [plain(before), plain(value)]
            setattr(row, name, value)
    return changes


def flush_unique(message: str) -> None:
    """Flush; a unique key taken meanwhile by a concurrent request (after our check) becomes a message too.

    The caller rolls back on the error, as after any DomainError.
    """
    try:
        db.session.flush()
    except IntegrityError:
        raise DirectoryError(message) from None

"""Reading the values of an e-invoice's XML elements (amounts, quantities, dates, codes) the same way for UBL and CII:
exact Decimals, real dates, and a refusal naming the business term (BT-n) and the line when one cannot be read."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from flask_babel import gettext as _
from lxml import etree

from backoffice.einvoice.document import CREDIT_NOTE_TYPES, INVOICE_TYPES, EInvoiceError

NUMBER = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,10})?")
ZERO = Decimal(0)
MAX_TEXT = 1000  # longer texts are cut: no name, note or identifier of an invoice needs more


def child(element: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child with this Clark tag (C-level search: 10,000 lines are read in a blink)."""
    if element is None:
        return None
    return next(element.iterchildren(tag), None)


def children(element: etree._Element | None) -> dict[str, etree._Element]:
    """The first child of each tag, in one pass over the children: where several values of one element are read,
    cheaper than a search per value (a 10,000-line invoice has some 250,000 elements)."""
    found: dict[str, etree._Element] = {}
    if element is not None:
        for kid in element:
            found.setdefault(kid.tag, kid)
    return found


def path(element: etree._Element | None, *tags: str) -> etree._Element | None:
    for tag in tags:
        element = child(element, tag)
        if element is None:
            return None
    return element


def text(element: etree._Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return element.text.strip()[:MAX_TEXT]


def _where(term: str, line: str | None) -> str:
    return _("%(term)s of line %(line)s", term=term, line=line) if line is not None else term


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def amount(element: etree._Element | None, term: str, *, line: str | None = None, required: bool = False) -> Decimal:
    """A decimal number (an amount, a quantity or a percentage); zero when absent and not required."""
    value = text(element)
    if not value:
        if required:
            raise EInvoiceError(_("The e-invoice gives no %(what)s.", what=_where(term, line)))
        return Decimal(0)
    if not NUMBER.fullmatch(value):
        raise EInvoiceError(
            _("%(what)s, “%(value)s”, is not a number.", what=_capital(_where(term, line)), value=value[:40])
        )
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern lets only numbers through
        raise EInvoiceError(_("%(what)s is not a number.", what=_where(term, line))) from None


def optional_amount(element: etree._Element | None, term: str, *, line: str | None = None) -> Decimal | None:
    return amount(element, term, line=line) if text(element) else None


def iso_date(value: str, term: str, *, line: str | None = None, required: bool = False) -> date | None:
    """A date written YYYY-MM-DD (UBL) or YYYYMMDD (CII format 102)."""
    value = value.strip()
    if not value:
        if required:
            raise EInvoiceError(_("The e-invoice gives no %(what)s.", what=_where(term, line)))
        return None
    day = _day(value)
    if day is None:
        raise EInvoiceError(
            _("%(what)s, “%(value)s”, is not a date.", what=_capital(_where(term, line)), value=value[:40])
        )
    return day


_DAY_102 = re.compile(r"[0-9]{8}")
_DAY_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@lru_cache(maxsize=4096)  # an invoice's lines repeat a few hundred days at most
def _day(value: str) -> date | None:
    try:
        if _DAY_102.fullmatch(value):
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if _DAY_ISO.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    return None


def allowances_and_charges(
    entries: Iterable[tuple[etree._Element | None, etree._Element | None]], line: str
) -> tuple[Decimal, Decimal]:
    """The sums of a line's allowances (BT-136) and charges (BT-141), from each entry's (ChargeIndicator, amount)."""
    allowances = charges = Decimal(0)
    for indicator, value_element in entries:
        value = amount(value_element, "BT-136/BT-141", line=line, required=True)
        kind = text(indicator).lower()
        if kind == "true":
            charges += value
        elif kind == "false":
            allowances += value
        else:
            raise EInvoiceError(
                _("An allowance or charge of line %(line)s does not say which it is (ChargeIndicator).", line=line)
            )
    return allowances, charges


def check_type_code(type_code: str) -> str:
    """BT-3 must say invoice or credit note (UNTDID 1001)."""
    from_document = type_code.strip()
    if from_document not in INVOICE_AND_CREDIT_NOTE_TYPES:
        raise EInvoiceError(
            _(
                "The document's type code (BT-3) is “%(code)s”, not an invoice or credit note.",
                code=from_document[:20] or "-",
            )
        )
    return from_document


INVOICE_AND_CREDIT_NOTE_TYPES = frozenset(INVOICE_TYPES + CREDIT_NOTE_TYPES)

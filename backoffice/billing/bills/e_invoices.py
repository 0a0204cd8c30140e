"""A hospital's e-invoice (UBL, CII or a ZUGFeRD / Factur-X PDF, read by `einvoice`) as the bill lines the audit
reads, and the checks of what it states of itself against the hospital and against its own lines.

Each line becomes a `RawLine` as issue 19 states it:
- its number is the line identifier (BT-126) when that is a positive whole number, else its position from 1;
- its code is the seller's item identifier (BT-155);
- its date is the line's period start (BT-134), else the delivery date (BT-72), else the invoice period's start
  (BT-73), else the issue date (BT-2);
- its quantity is BT-129; its unit price the net price (BT-146) divided by the base quantity (BT-149) where one is
  given, rounded half-up to 4 decimals (the scale of tariff prices); its currency the invoice's (BT-5);
- its `charged` is the line net amount (BT-131) exactly, and a line whose BT-131 differs by more than a cent from
  quantity x net price minus its allowances (BT-136) plus its charges (BT-141) is `invalid`, saying so.
A credit note's lines give money back: their unit price and amount are read as negative (the audit's `credit`).
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

from backoffice.billing.bills.csv_file import BillFileError
from backoffice.billing.line_reading import MAX_DECIMALS, RawLine
from backoffice.directory.models import Hospital
from backoffice.einvoice.document import Document
from backoffice.money import round_half_up

CENT = Decimal("0.01")
MINUS_ONE = Decimal(-1)  # a credit note's values: (-1) x 0.00 is -0.00, as the hospital's own sign would be
_LINE_NUMBER = re.compile(r"[0-9]{1,9}")


def _text(value: Decimal) -> str:
    """A Decimal as the audit reads it: digits and a dot, no exponent, no trailing zeros beyond the cents."""
    return f"{value:f}"


def _line_number(line_id: str) -> int | None:
    if _LINE_NUMBER.fullmatch(line_id) and int(line_id) > 0:
        return int(line_id)
    return None


def raw_lines(document: Document) -> list[RawLine]:
    """The document's lines as raw bill lines, in document order."""
    default_day = document.delivery_date or document.period_start or document.issue_date
    credit = document.is_credit_note
    currency = document.currency
    lines: list[RawLine] = []
    for position, line in enumerate(document.lines, start=1):
        error = None
        unit_price = line.net_price
        if line.base_quantity is not None:
            if line.base_quantity <= 0:
                error = "its base quantity (BT-149) is not a positive number"
            else:
                unit_price = line.net_price / line.base_quantity
        if error is None:
            computed = line.quantity * unit_price - line.allowances + line.charges
            if abs(line.net_amount - computed) > CENT:
                error = (  # in English, as every reason the audit gives a line (stored, and printed by the CLI)
                    f"the line net amount (BT-131) {_text(line.net_amount)} differs from quantity x net price after "
                    f"the line's allowances and charges ({_text(round_half_up(computed, 2))})"
                )
        price_text = _text(unit_price)
        if len(price_text.partition(".")[2]) > MAX_DECIMALS:  # its decimals: `f` writes no exponent
            unit_price = round_half_up(unit_price, MAX_DECIMALS)
            price_text = _text(unit_price)
        lines.append(
            RawLine(
                position,
                _line_number(line.line_id),
                (line.period_start or default_day).isoformat(),
                line.seller_item_id,
                line.name,
                _text(line.quantity),
                _text(MINUS_ONE * unit_price) if credit else price_text,
                currency,
                error,
                _text(MINUS_ONE * line.net_amount if credit else line.net_amount),
            )
        )
    return lines


def _vat_id(text: str) -> str:
    return re.sub(r"[\s.-]+", "", text or "").upper()


def check_document(document: Document, hospital: Hospital) -> None:
    """Refuse (`BillFileError`) an e-invoice that has no line or no currency, whose seller's VAT ID (BT-31) is not the
    one on record for the hospital, or whose stated sum of line net amounts (BT-106) is not the sum of its lines."""
    if not document.lines:
        raise BillFileError(_("the e-invoice has no lines"))
    if not re.fullmatch(r"[A-Z]{3}", document.currency):
        raise BillFileError(_("the e-invoice gives no currency (BT-5)"))
    stated, on_record = _vat_id(document.seller.vat_id), _vat_id(hospital.vat_id)
    if not on_record:
        raise BillFileError(
            _(
                "no VAT ID is on record for %(hospital)s, so the seller of this e-invoice (%(vat_id)s) cannot be "
                "checked; enter the hospital's VAT ID on its page first",
                hospital=hospital.code,
                vat_id=stated or _("no VAT ID"),
            )
        )
    if stated != on_record:
        raise BillFileError(
            _(
                "the e-invoice's seller %(seller)s has the VAT ID %(stated)s, but %(hospital)s has %(on_record)s on "
                "record: it is not this hospital's bill",
                seller=document.seller.name[:80] or "?",
                stated=stated or _("(none)"),
                hospital=hospital.code,
                on_record=on_record,
            )
        )
    total = sum((line.net_amount for line in document.lines), Decimal(0))
    if total != document.line_total:
        raise BillFileError(
            _(
                "the e-invoice states a sum of line net amounts (BT-106) of %(stated)s %(currency)s, but its lines add "
                "up to %(total)s %(currency)s",
                stated=_text(document.line_total),
                total=_text(total),
                currency=document.currency,
            )
        )

"""A hospital bill's line as the hospital wrote it (`RawLine`, text), and as read (`BillLine`), for `audit`.

What a readable line is (decided here, since hospitals' CSVs vary):
- `date`: `YYYY-MM-DD`, a real calendar date.
- `quantity`: a positive number written with digits and an optional dot and up to 4 decimals (`1.5` hours).
- `unit_price`: a number written the same way, at least zero. A decimal comma (`12,50`), thousands separators,
  exponents and more than 4 decimals (finer than a tariff price is kept) are not read here (a bill file written
  with decimal commas is turned into this form when it is read, see `bills.csv_file`). A negative unit price is a
  credit.
- `code`: required, at most 40 characters as in tariffs; compared with the tariff's codes exactly, after trimming.
- `currency`: required, an ISO 4217 code (`eur` is read as `EUR`).

The texts a bill repeats on every line (its quantities, dates, currency) are read once each: the results are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache, partial

from backoffice.money import MAX_AMOUNT, MoneyError, check_currency

MAX_DECIMALS = 4  # the scale of tariff prices
MAX_CODE_LENGTH = 40  # as in tariffs

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_ROUNDS_TO_MAX = MAX_AMOUNT - Decimal("0.005")  # what rounds half-up to the cent to MAX_AMOUNT or beyond


@dataclass(frozen=True, slots=True)
class RawLine:
    """A bill line as the hospital wrote it: text values, not yet read.

    `row` is where it came from (the CSV row, the header being row 1); `line_no` is the bill's own line number when
    it is a positive whole number. `error` is set when the row itself is malformed (too many or too few values).
    """

    row: int
    line_no: int | None
    date: str
    code: str
    description: str
    quantity: str
    unit_price: str
    currency: str
    error: str | None = None
    charged: str | None = None  # the line's own amount, when the bill states one (an e-invoice's BT-131)

    @property
    def number(self) -> int:
        """The bill's line number, or the CSV row number when the bill gives none that is usable."""
        return self.line_no if self.line_no is not None else self.row


@dataclass(frozen=True, slots=True)
class BillLine:
    """A readable bill line."""

    date: date
    code: str
    quantity: Decimal
    unit_price: Decimal
    currency: str
    charged: Decimal | None = None  # as the bill states it; otherwise unit_price x quantity

    @property
    def duplicate_key(self) -> tuple[date, str, Decimal, Decimal, str]:
        return self.date, self.code, self.quantity, self.unit_price, self.currency


class UnreadableLine(ValueError):
    """A bill line that cannot be read; the message names the columns and is meant for people."""


def _amount(text: str, column: str, *, positive: bool) -> Decimal | str:
    """The number in a stripped text, or the problem with it (a text for people)."""
    if not text:
        return f"{column} is missing"
    if not _NUMBER.fullmatch(text):
        return f"{column} {text[:40]!r} is not a number (use digits and a dot, such as 1234.50)"
    number = Decimal(text)
    if positive and number <= 0:
        return f"{column} {text!r} is not a positive number"
    if len(text.partition(".")[2]) > MAX_DECIMALS:  # the pattern has no exponent: the decimals are the digits
        return f"{column} {text!r} has more than {MAX_DECIMALS} decimals"
    if abs(number) >= MAX_AMOUNT:
        return f"{column} {text[:40]!r} is too large"
    return number if number else number.copy_abs()  # "-0.00" is zero, not a negative zero


_quantity = lru_cache(maxsize=1024)(partial(_amount, column="quantity", positive=True))


@lru_cache(maxsize=4096)
def _date(text: str) -> date | str:
    if not text:
        return "date is missing"
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        return f"date {text[:40]!r} is not a date (use YYYY-MM-DD)"


@lru_cache(maxsize=256)
def _currency(text: str) -> str | None:
    try:
        return check_currency(text)
    except MoneyError:
        return None


def read_line(raw: RawLine) -> BillLine:
    """The line's values read, or `UnreadableLine` naming every column that cannot be read."""
    if raw.error:
        raise UnreadableLine(raw.error)
    day = _date((raw.date or "").strip())
    code = (raw.code or "").strip()
    quantity = _quantity((raw.quantity or "").strip())
    unit_price = _amount((raw.unit_price or "").strip(), "unit_price", positive=False)
    charged = _amount((raw.charged or "").strip(), "charged", positive=False) if raw.charged is not None else None
    currency = (raw.currency or "").strip().upper()
    checked = _currency(currency) if currency else None
    if (
        type(day) is date
        and code
        and len(code) <= MAX_CODE_LENGTH
        and type(quantity) is Decimal
        and type(unit_price) is Decimal
        and type(charged) is not str
        and checked is not None
    ):
        # round_half_up(x, 2) reaches MAX_AMOUNT exactly when |x| >= MAX_AMOUNT - 0.005
        if abs(unit_price * quantity) >= _ROUNDS_TO_MAX:
            raise UnreadableLine("unit_price x quantity is too large for an amount")
        return BillLine(day, code, quantity, unit_price, checked, charged)
    problems = [problem for problem in (day,) if type(problem) is str]
    if not code:
        problems.append("code is missing")
    elif len(code) > MAX_CODE_LENGTH:
        problems.append(f"code has more than {MAX_CODE_LENGTH} characters")
    problems.extend(value for value in (quantity, unit_price, charged) if type(value) is str)
    if not currency:
        problems.append("currency is missing")
    elif checked is None:
        problems.append(f"currency {currency[:40]!r} is not an ISO 4217 code (such as EUR)")
    raise UnreadableLine("; ".join(problems))

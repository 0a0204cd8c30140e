"""Money: an exact amount with its ISO 4217 currency, never a float.

Amounts are `Decimal` in code and fixed-scale integers in the database (`Amount(scale=...)`: cents for totals, a
finer scale such as 1/10,000 for unit prices), beside a three-letter currency column. `money_composite` maps the
pair to a `Money` attribute on a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision, get_territory_currencies, list_currencies
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import BigInteger
from sqlalchemy.orm import composite
from sqlalchemy.types import TypeDecorator


class MoneyError(ValueError):
    """A value that is not a valid amount or currency; the message is meant for people."""


# Far above any treatment, trip or invoice; keeps every stored amount inside a 64-bit integer column.
MAX_AMOUNT = Decimal(10) ** 12


@lru_cache(maxsize=1)
def currencies() -> frozenset[str]:
    """Currencies legal tender somewhere today (no historic ones such as DEM, no test codes such as XTS)."""
    today = datetime.now(UTC).date()
    codes: set[str] = set()
    for territory in Locale("en").territories:
        codes.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(code for code in codes if code in set(list_currencies()))


def check_currency(code: str) -> str:
    code = (code or "").strip().upper()
    if len(code) != 3 or code not in currencies():
        value = repr(code or _("an empty value"))
        raise MoneyError(_("%(value)s is not an ISO 4217 currency code (such as EUR, USD, GBP)", value=value))
    return code


AMOUNT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def to_decimal(value: Decimal | int | str) -> Decimal:
    """An exact Decimal from a Decimal, an int or a text such as '17650.00'; floats are refused."""
    if isinstance(value, bool | float):
        raise MoneyError("amounts must be exact (Decimal or text), never a float")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        text = str(value).strip().replace(" ", "").replace("\u00a0", "")
        # Decimal() alone would also read "1e3", "1_000", "NaN" and digits of other scripts (full-width ones):
        # an amount is plain ASCII digits with at most one dot.
        if not AMOUNT_TEXT.fullmatch(text):
            raise MoneyError(
                _("%(value)s is not an amount (use digits with a dot, such as 1234.50)", value=repr(value))
            )
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise MoneyError(
                _("%(value)s is not an amount (use digits with a dot, such as 1234.50)", value=repr(value))
            ) from None
    if not result.is_finite():
        raise MoneyError(_("%(value)s is not an amount", value=repr(value)))
    if abs(result) >= MAX_AMOUNT:
        raise MoneyError(_("%(value)s is too large for an amount", value=value))
    return result


def round_half_up(amount: Decimal, places: int = 2) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str):
        object.__setattr__(self, "amount", to_decimal(amount))
        object.__setattr__(self, "currency", check_currency(currency))

    @classmethod
    def checked(cls, amount: Decimal, currency: str) -> Money:
        """Money of an amount below MAX_AMOUNT and a currency `check_currency` passed, not checked a second time:
        for the loops that build thousands (a bill's audit, two per line) after checking each value once."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @property
    def minor_digits(self) -> int:
        return get_currency_precision(self.currency)

    def rounded(self) -> Money:
        """Rounded half-up to the currency's minor unit (cents for EUR, none for JPY)."""
        return Money(round_half_up(self.amount, self.minor_digits), self.currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float | Money):
            raise TypeError("multiply Money by a Decimal or an int")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __composite_values__(self) -> tuple[Decimal, str]:
        return self.amount, self.currency

    def format(self, locale: str = "en") -> str:
        return format_currency(self.amount, self.currency, locale=locale)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def format_money(amount: Decimal | None, currency: str | None, locale: str = "en") -> str:
    """An amount with every decimal it has (unit prices keep their 4), never rounded: €12.3456, €1,596.76."""
    if amount is None or not currency:
        return "—"
    return format_currency(amount, currency, locale=locale, decimal_quantization=False)


def parse_money(amount: str, currency: str) -> Money:
    """Money from form or CSV text, with a message naming what is wrong."""
    return Money(to_decimal(amount), currency)


def check_amount(money: Money, *, places: int = 2, allow_negative: bool = False) -> Money:
    """Money fit to store in an `Amount(scale=places)` column: refused, never rounded, when it is not.

    No more decimals than the currency has (none for JPY) nor than the column keeps; not negative unless allowed.
    """
    if money.amount < 0 and not allow_negative:
        raise MoneyError(_("the amount cannot be negative"))
    digits = min(money.minor_digits, places)
    if money.amount != money.amount.quantize(Decimal(1).scaleb(-digits)):
        if digits:
            message = ngettext(
                "an amount in %(currency)s has %(num)d decimal place; %(amount)s has more",
                "an amount in %(currency)s has %(num)d decimal places; %(amount)s has more",
                digits,
                currency=money.currency,
                amount=money.amount,
            )
        else:
            message = _(
                "an amount in %(currency)s has no decimal places; %(amount)s has more",
                currency=money.currency,
                amount=money.amount,
            )
        raise MoneyError(message)
    return money


class Amount(TypeDecorator):
    """A Decimal stored as an integer count of 10**-scale units; refuses values finer than the scale."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        units = to_decimal(value).scaleb(self.scale)
        if units != units.to_integral_value():
            raise MoneyError(f"{value} has more than {self.scale} decimal places")
        return int(units)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).scaleb(-self.scale)


def _money_or_none(amount: Decimal | None, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(amount, currency)


def money_composite(amount_column, currency_column):
    """A `Money` attribute over an `Amount` column and a currency column; None when either is empty."""
    return composite(_money_or_none, amount_column, currency_column)

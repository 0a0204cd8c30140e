"""The checks of values people type (text, email, phone, country, languages, time zone, days, money), once for all.

Each check returns the cleaned value or refuses it with a DomainError naming the field. The feature passes its own
error class (`error=DirectoryError`), so its callers and tests keep catching what they always caught. Imports no
feature package.

The refusals are in the page's language (they also answer the public request form and the portal); a field's `label`
is translated where the caller defines it (`lazy_gettext`), so a German page names the field in German.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from backoffice.errors import DomainError
from backoffice.geo import check_country, check_languages, known_timezones
from backoffice.languages import page_language
from backoffice.money import Money, MoneyError, check_amount, parse_money, to_decimal

PHONE_PATTERN = re.compile(r"[0-9+()./\- ]*[0-9][0-9+()./\- ]*")
MAX_LANGUAGES = 20


class InvalidValue(DomainError):
    """A typed value that does not fit its field."""


Error = type[DomainError]


def text(value: str | None, label: str, max_length: int, *, required: bool = False, error: Error = InvalidValue) -> str:
    """Trimmed text; refused when required and empty, or longer than its column."""
    text = (value or "").strip()
    if required and not text:
        raise error(_("Enter the %(label)s.", label=label))
    if len(text) > max_length:
        raise error(_("The %(label)s is too long (at most %(max)s characters).", label=label, max=max_length))
    return text


def email(value: str | None, label: str = "email", *, error: Error = InvalidValue) -> str:
    """An email address, lower-cased; empty when none is given."""
    email = text(value, label, 254, error=error).lower()
    if email and (email.count("@") != 1 or email.startswith("@") or email.endswith("@") or " " in email):
        raise error(_("The %(label)s %(value)s is not an email address.", label=label, value=repr(email)))
    return email


def phone(value: str | None, label: str = "phone", *, error: Error = InvalidValue) -> str:
    """A phone number as typed (digits, spaces and + ( ) - . /); empty when none is given."""
    phone = text(value, label, 40, error=error)
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise error(_("%(value)s is not a phone number (digits, spaces and + ( ) - . / only).", value=repr(phone)))
    return phone


def country(value: str | None, *, error: Error = InvalidValue) -> str:
    """A two-letter country code (ISO 3166-1)."""
    try:
        return check_country(value or "")
    except ValueError as problem:
        raise error(_("Country: %(problem)s.", problem=problem)) from None


def languages(
    value: Sequence[str] | str | None, *, missing: str | None = None, error: Error = InvalidValue
) -> list[str]:
    """Two-letter language codes (ISO 639-1), from a list or text such as 'de, en'; at most 20.

    `missing` is the message when at least one is needed (none are needed without it).
    """
    try:
        codes = check_languages(value or [])
    except ValueError as problem:
        raise error(_("Languages: %(problem)s.", problem=problem)) from None
    if missing is not None and not codes:
        raise error(missing)
    if len(codes) > MAX_LANGUAGES:
        raise error(_("List at most %(max)s languages.", max=MAX_LANGUAGES))
    return codes


def timezone(value: str | None, label: str, *, error: Error = InvalidValue) -> str:
    """An IANA time zone name such as Europe/Berlin."""
    name = (value or "").strip()
    if not name:
        raise error(_("Enter the %(label)s (such as Europe/Berlin).", label=label))
    if len(name) > 64 or name not in known_timezones():
        raise error(_("%(value)s is not an IANA time zone (such as Europe/Berlin, Asia/Dubai).", value=repr(name[:64])))
    return name


def days(value: int | str | None, label: str, maximum: int, *, error: Error = InvalidValue) -> int | None:
    """A whole number of days from 0 to `maximum`; none when no value is given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise error(_("The %(label)s must be a whole number, not %(value)s.", label=label, value=repr(text[:20])))
    days = int(text)
    if days < 0:
        raise error(_("The %(label)s cannot be negative.", label=label))
    if days > maximum:
        raise error(_("The %(label)s cannot be more than %(max)s days.", label=label, max=maximum))
    return days


def decimal_value(
    value: Decimal | str | int | None, label: str, *, places: int, error: Error = InvalidValue
) -> Decimal:
    """An exact number from text (a quantity, a price, a percentage or a rate): digits with one dot (a comma is read
    as the dot), no finer than `places` decimals; a clear message names `label` otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise error(_("Enter the %(label)s.", label=label))
    try:
        number = to_decimal(value.replace(",", ".") if isinstance(value, str) else value)
    except MoneyError as problem:
        raise error(_("%(label)s: %(problem)s.", label=label, problem=problem)) from None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise error(_("The %(label)s has at most %(places)s decimal places.", label=label, places=places))
    return number


def money(
    amount: Decimal | str | None, currency: str | None, label: str, *, below: Decimal, error: Error = InvalidValue
) -> Money | None:
    """Exact money from text; none when no amount is given.

    Never negative, no finer than the currency's minor unit nor than the cent (the columns keep cents), and below
    `below` (a larger one is a typing error). Comes back with the currency's decimals: 70 -> 70.00, as it reads back
    from the database.
    """
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    try:
        money = check_amount(parse_money(str(amount), currency or ""), places=2)
    except MoneyError as problem:
        raise error(_("%(label)s: %(problem)s.", label=label, problem=problem)) from None
    if money.amount >= below:
        limit = Money(below, money.currency).format(page_language())
        raise error(_("%(label)s: the amount must be below %(limit)s.", label=label, limit=limit))
    places = min(money.minor_digits, 2)
    return Money(money.amount.quantize(Decimal(1).scaleb(-places)), money.currency)


def plain(value: Any) -> Any:
    """A value fit for the audit log's JSON (dates as ISO text, Money and Decimal as text)."""
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return str(value) if isinstance(value, Money | Decimal) else value

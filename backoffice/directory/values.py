"""The values typed into the directory (names, codes, countries, contacts, days, prices), checked once for all.

Each check returns the cleaned value or refuses it with a DirectoryError naming the field. Hospitals, physicians
and programmes share them, and the two steps of every change: applying the values (noting what changed for the
audit row) and flushing where a unique key may be taken meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.geo import check_country, check_languages, known_timezones
from backoffice.money import Money, MoneyError, check_amount, parse_money

CODE_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
CODE_MAX = 20
PHONE_PATTERN = re.compile(r"[0-9+()./\- ]*[0-9][0-9+()./\- ]*")
MAX_PRICE = Decimal("100000000")  # indicative prices stay well below; larger ones are typing errors


class DirectoryError(DomainError):
    pass


def text(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    """Trimmed text; refused when required and empty, or longer than its column."""
    text = (value or "").strip()
    if required and not text:
        raise DirectoryError(f"Enter the {label}.")
    if len(text) > max_length:
        raise DirectoryError(f"The {label} is too long (at most {max_length} characters).")
    return text


def code(value: str | None) -> str:
    """A hospital code such as FRA-ABM: capital letters and digits in groups joined by dashes."""
    code = (value or "").strip().upper()
    if not code:
        raise DirectoryError("Enter the hospital code (such as FRA-ABM).")
    if len(code) > CODE_MAX or not CODE_PATTERN.fullmatch(code):
        raise DirectoryError(
            f"{code[:40]!r} is not a hospital code: use up to {CODE_MAX} capital letters and digits, "
            "in groups joined by dashes (such as FRA-ABM)."
        )
    return code


def country(value: str | None) -> str:
    """A two-letter country code (ISO 3166-1)."""
    try:
        return check_country(value or "")
    except ValueError as error:
        raise DirectoryError(f"Country: {error}.") from None


def languages(value: Sequence[str] | str | None) -> list[str]:
    """Two-letter language codes (ISO 639-1), from a list or text such as 'de, en'; at most 20."""
    try:
        languages = check_languages(value or [])
    except ValueError as error:
        raise DirectoryError(f"Languages: {error}.") from None
    if len(languages) > 20:
        raise DirectoryError("List at most 20 languages.")
    return languages


def timezone(value: str | None) -> str:
    """An IANA time zone name such as Europe/Berlin."""
    name = (value or "").strip()
    if not name:
        raise DirectoryError("Enter the hospital's time zone (such as Europe/Berlin).")
    if len(name) > 64 or name not in known_timezones():
        raise DirectoryError(f"{name[:64]!r} is not an IANA time zone (such as Europe/Berlin, Asia/Dubai).")
    return name


def email(value: str | None, label: str) -> str:
    """An email address, lower-cased; empty when none is given."""
    email = text(value, label, 254).lower()
    if email and (email.count("@") != 1 or email.startswith("@") or email.endswith("@") or " " in email):
        raise DirectoryError(f"The {label} {email!r} is not an email address.")
    return email


def phone(value: str | None) -> str:
    """A phone number as typed (digits, spaces and + ( ) - . /); empty when none is given."""
    phone = text(value, "contact phone", 40)
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise DirectoryError(f"{phone!r} is not a phone number (digits, spaces and + ( ) - . / only).")
    return phone


def days(value: int | str | None, label: str, maximum: int) -> int | None:
    """A whole number of days from 0 to `maximum`; none when no value is given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise DirectoryError(f"The {label} must be a whole number, not {text[:20]!r}.")
    days = int(text)
    if days < 0:
        raise DirectoryError(f"The {label} cannot be negative.")
    if days > maximum:
        raise DirectoryError(f"The {label} cannot be more than {maximum} days.")
    return days


def price(amount: Decimal | str | None, currency: str | None) -> Money | None:
    """An indicative price from text; none when no amount is given. Exact to the cent, never negative."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    try:
        price = parse_money(str(amount), currency or "")
        if price.amount >= MAX_PRICE:
            raise MoneyError(f"the price must be below {Money(MAX_PRICE, price.currency).format()}")
        return check_amount(price, places=2)
    except MoneyError as error:
        raise DirectoryError(f"Price from: {error}.") from None


def json(value: Any) -> Any:
    """A value fit for the audit log's JSON (Money and Decimal as text)."""
    return str(value) if isinstance(value, Money | Decimal) else value


def apply_changes(row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `row`; return {field: [before, after]} for those that changed, for the audit row."""
    changes: dict[str, list[Any]] = {}
    for name, value in values.items():
        before = getattr(row, name)
        if before != value:
            changes[name] = [json(before), json(value)]
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

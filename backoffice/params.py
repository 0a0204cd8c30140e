"""Reading numbers from query strings: ASCII digits only, within what an id or page number can be."""

from __future__ import annotations

import re

# str.isdigit() also accepts "²", which int() refuses; 18 digits always fit a 64-bit id column.
_DIGITS = re.compile(r"^[0-9]{1,18}$")


def positive_int(value: str | None) -> int | None:
    """The whole number > 0 in `value`, or None for anything else (empty, negative, huge, '1e3', '²')."""
    value = (value or "").strip()
    if not _DIGITS.match(value):
        return None
    number = int(value)
    return number if number > 0 else None


def page_number(value: str | None) -> int:
    return positive_int(value) or 1

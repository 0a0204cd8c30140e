"""Reading numbers from query strings: ASCII digits only, within what an id or page number can be."""

from __future__ import annotations

import re

# str.isdigit() also accepts "²", which int() refuses.
_DIGITS = re.compile(r"^[0-9]{1,10}$")
MAX_ID = 2**31 - 1  # id columns are INTEGER (int4 on PostgreSQL)


def positive_int(value: str | None) -> int | None:
    """The whole number > 0 in `value`, or None for anything else (empty, negative, huge, '1e3', '²')."""
    value = (value or "").strip()
    if not _DIGITS.match(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def page_number(value: str | None) -> int:
    return positive_int(value) or 1

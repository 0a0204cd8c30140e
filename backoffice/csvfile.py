"""Every CSV the app writes for people to open goes through `csv_text`, so no cell reaches a spreadsheet as a formula.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and their full-width forms) as a formula, and a
cell starts wherever the spreadsheet splits the text: German Excel splits on `;`, others on `,`, tab or `|`, and any
of them at a line break. So a text value is neutralised at its start and after every such character inside it,
whatever separator we write: an apostrophe goes before the dangerous character (`'=cmd`), which every spreadsheet
shows as text. Text cells are quoted as well; numbers (int, Decimal) are written as they are, so a negative amount
stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

# Where a spreadsheet may start a cell inside a value, then the characters that make a cell a formula.
_FORMULA_START = re.compile(r"(^|[,;\t|\r\n])([ \u00a0]*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])")


def safe_text(value: str) -> str:
    """The text with an apostrophe before every formula character a spreadsheet could read at a cell's start."""
    return _FORMULA_START.sub(r"\1\2'", value)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return safe_text(str(value))
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return safe_text(str(value))


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV (RFC 4180: comma-separated, CRLF line ends): text neutralised (`safe_text`) and quoted,
    numbers and dates written plainly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()

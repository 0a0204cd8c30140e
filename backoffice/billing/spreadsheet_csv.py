"""How a spreadsheet wrote a CSV: which separator, which decimal mark (pure functions, shared by the tariff and the
bill readers).

Excel saves "CSV" in the conventions of its locale: a German Excel separates values with `;` and writes amounts as
`1.234,56` (a dot between thousands, a comma before the decimals) and dates as `31.01.2026`. The separator is the one
that splits the header row into the file's known column names. The decimal convention is decided on the whole file:
in a file separated by `;` or a tab, amounts written with a decimal comma (`12,50`, `1.234,56`) make it a
decimal-comma file, and then `1.234` is one thousand two hundred and thirty-four. A file that mixes both conventions
(`12,50` and `12.5`) is refused with an example of each, since no reading of it is safe. A comma-separated file keeps
the decimal point (a decimal comma there would have to be quoted, and is reported as such by each reader).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from backoffice.languages import N_

SEPARATORS = (",", ";", "\t")
# Marked for the catalogues; translated where a message names them (in English on the command line).
SEPARATOR_NAMES = {",": N_("commas"), ";": N_("semicolons"), "\t": N_("tabs")}

# 12,50 · 1.234,56 · 1234,5 · -3,00
_DECIMAL_COMMA = re.compile(r"-?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
_HAS_COMMA = re.compile(r"-?[0-9.]*,[0-9]+")
# 12.5 · 1234.50 (but not 1.234, which is a thousand in a decimal-comma file)
_DECIMAL_POINT = re.compile(r"-?[0-9]+\.[0-9]+")
_THOUSANDS_ONLY = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


def detect_separator(header_line: str, columns: Collection[str]) -> str:
    """The separator that splits the header into the most known column names (a comma when none does better)."""
    names = {name.lower() for name in columns}

    def known(separator: str) -> int:
        return sum(1 for cell in header_line.split(separator) if cell.strip().strip('"').strip().lower() in names)

    best = max(SEPARATORS, key=lambda separator: (known(separator), separator == ","))
    return best if known(best) else ","


class MixedDecimals(ValueError):
    """The file writes amounts with both decimal marks; the message names an example of each, for people."""


@dataclass(frozen=True, slots=True)
class Convention:
    separator: str
    decimal_comma: bool

    @property
    def description(self) -> str:
        mark = "decimal commas (1.234,56)" if self.decimal_comma else "decimal points (1234.56)"
        return f"separated by {SEPARATOR_NAMES[self.separator]}, amounts with {mark}"


def decimal_comma(separator: str, amounts: Iterable[tuple[int, str, str]]) -> bool:
    """Whether the file's amounts (row, column, text) are written with a decimal comma; `MixedDecimals` when both
    marks appear. Only a file separated by `;` or a tab can use a decimal comma."""
    if separator == ",":
        return False
    comma = point = None
    for row, column, text in amounts:
        value = text.strip()
        if comma is None and _HAS_COMMA.fullmatch(value):
            comma = (row, column, value)
        elif point is None and _DECIMAL_POINT.fullmatch(value) and not _THOUSANDS_ONLY.fullmatch(value):
            point = (row, column, value)
        if comma and point:
            raise MixedDecimals(
                _(
                    "the amounts mix decimal commas (row %(comma_row)s, %(comma_column)s: %(comma)s) and decimal "
                    "points (row %(point_row)s, %(point_column)s: %(point)s); save the file again with one convention",
                    comma_row=comma[0],
                    comma_column=comma[1],
                    comma=repr(comma[2]),
                    point_row=point[0],
                    point_column=point[1],
                    point=repr(point[2]),
                )
            )
    return comma is not None


def to_decimal_point(text: str) -> str:
    """`1.234,56` as `1234.56`; a value that is not written with a decimal comma is returned as it is."""
    value = text.strip()
    if not _DECIMAL_COMMA.fullmatch(value):
        return text
    return value.replace(".", "").replace(",", ".")


def to_iso_date(text: str) -> str:
    """`31.01.2026` as `2026-01-31` (a German spreadsheet's date); any other text as it is."""
    match = _GERMAN_DATE.fullmatch(text.strip())
    if match is None:
        return text
    day, month, year = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"

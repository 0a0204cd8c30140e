"""Reading the CSV a hospital sends with its bill into raw bill lines (no request, no database; a refusal is in the
page's language when there is a page, in English on the command line).

The file is UTF-8 (an optional byte-order mark is dropped), with the header
`line,date,code,description,quantity,unit_price,currency`, separated by commas, or as a German Excel saves it: by
semicolons, amounts with decimal commas (`1.234,56`) and dates as `31.01.2026` (`spreadsheet_csv` detects which; the
values are then stored in the form the audit reads, `1234.56` and `2026-01-31`). The columns may come in any order
(they are read by name, case and surrounding spaces aside); each must be present once and no other column may
appear, so that nothing a hospital adds (a discount, a second price) is silently ignored. Empty trailing header
cells and empty trailing values, as spreadsheets export them, are ignored, and so are blank rows.

Rows are numbered as a spreadsheet shows them: the header is row 1. A row whose values cannot be read is not an
error of the file: it becomes a raw line the audit marks `invalid`. What makes the whole file unusable (not UTF-8,
no header or a wrong one, no lines, too large, broken quoting) raises `BillFileError` naming the row and column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from typing import BinaryIO

from flask_babel import gettext as _
from flask_babel import ngettext

from backoffice.billing.audit import RawLine
from backoffice.billing.spreadsheet_csv import (
    SEPARATOR_NAMES,
    MixedDecimals,
    decimal_comma,
    detect_separator,
    to_decimal_point,
    to_iso_date,
)
from backoffice.text import clean_line

BILL_COLUMNS = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
HEADER = ",".join(BILL_COLUMNS)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_LINES = 50_000

_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_LINE_NUMBER = re.compile(r"[0-9]{1,9}")


class BillFileError(ValueError):
    """The bill file cannot be used at all; the message is for people and names the row and column when it can."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        if row and column:
            self.message = _("row %(row)s, column %(column)s: %(problem)s", row=row, column=column, problem=message)
        elif row:
            self.message = _("row %(row)s: %(problem)s", row=row, problem=message)
        elif column:
            self.message = _("column %(column)s: %(problem)s", column=column, problem=message)
        else:
            self.message = message
        self.row = row
        self.column = column
        super().__init__(self.message)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


def read_bill_file(
    stream: BinaryIO, *, max_bytes: int = DEFAULT_MAX_BYTES, max_lines: int = DEFAULT_MAX_LINES
) -> list[RawLine]:
    """Read at most `max_bytes` (plus one, to know it is larger) from a binary stream, then `read_bill_csv`."""
    data = stream.read(max_bytes + 1)
    return read_bill_csv(data, max_bytes=max_bytes, max_lines=max_lines)


def read_bill_csv(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, max_lines: int = DEFAULT_MAX_LINES
) -> list[RawLine]:
    """The bill's rows as raw lines, in file order; `BillFileError` when the file cannot be used."""
    if len(data) > max_bytes:
        raise BillFileError(_("the file is larger than %(size)s; split the bill", size=_megabytes(max_bytes)))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BillFileError(_("the file is UTF-16; save it as CSV UTF-8"), row=1)
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    if "\x00" in text:
        row = text[: text.index("\x00")].count("\n") + 1
        raise BillFileError(_("the file contains a NUL character, which no bill has; save it again as CSV"), row=row)
    if not text.strip():
        raise BillFileError(_("the file is empty; a bill starts with the header %(header)s", header=HEADER), row=1)

    separator = detect_separator(text.split("\n", 1)[0], BILL_COLUMNS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    rows = _rows(reader, text)
    row_number, header = next(rows, (1, []))
    positions = _header_positions(header, row_number, separator)

    lines: list[RawLine] = []
    for row_number, values in rows:
        if not any(value.strip() for value in values):
            continue
        if len(lines) == max_lines:
            raise BillFileError(
                _("the bill has more than %(count)s lines; split it", count=f"{max_lines:,}"), row=row_number
            )
        lines.append(_raw_line(row_number, values, positions))
    if not lines:
        raise BillFileError(_("the file has a header but no bill lines"), row=row_number + 1)
    return _in_decimal_points(lines, separator)


def _in_decimal_points(lines: list[RawLine], separator: str) -> list[RawLine]:
    """A spreadsheet's local conventions (decimal commas, dates as 31.01.2026) as the audit reads them."""
    if separator == ",":
        return lines
    amounts = ((line.row, column, getattr(line, column)) for line in lines for column in ("quantity", "unit_price"))
    try:
        comma = decimal_comma(separator, amounts)
    except MixedDecimals as error:
        raise BillFileError(
            _(
                "%(problem)s (the file is separated by %(separator)s)",
                problem=error,
                separator=_(SEPARATOR_NAMES[separator]),
            )
        ) from None
    return [
        replace(
            line,
            date=to_iso_date(line.date),
            quantity=to_decimal_point(line.quantity) if comma else line.quantity,
            unit_price=to_decimal_point(line.unit_price) if comma else line.unit_price,
        )
        for line in lines
    ]


def _rows(reader, text: str):
    """(row number, values) for each CSV record; encoding and quoting problems named by row and column."""
    check_encoding = _NOT_UTF8.search(text) is not None
    header: list[str] = []
    row_number = 0
    while True:
        row_number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise BillFileError(
                _("the CSV cannot be read (%(error)s); check the quotes", error=error), row=row_number
            ) from None
        if check_encoding:
            for position, value in enumerate(values):
                if _NOT_UTF8.search(value):
                    column = header[position] if position < len(header) else str(position + 1)
                    raise BillFileError(
                        _("the text is not UTF-8; save the file as CSV UTF-8"), row=row_number, column=column
                    )
        if row_number == 1:
            header = [value.strip().lower() for value in values]
        yield row_number, values


def _header_positions(header: list[str], row: int, separator: str = ",") -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    while names and not names[-1]:
        names.pop()
    if separator == ",":
        expected = _("the header must be %(header)s", header=HEADER)
    else:
        expected = _(
            "the header must be %(header)s (this file is separated by %(separator)s)",
            header=HEADER,
            separator=_(SEPARATOR_NAMES[separator]),
        )
    if len(names) == 1 and (";" in names[0] or "\t" in names[0] or "," in names[0]):
        raise BillFileError(
            _("the header cannot be split into columns by commas, semicolons or tabs; %(expected)s", expected=expected),
            row=row,
            column="1",
        )
    positions: dict[str, int] = {}
    for position, name in enumerate(names):
        if name not in BILL_COLUMNS:
            shown = repr(header[position].strip()[:40]) if name else _("an empty name")
            raise BillFileError(
                _("%(name)s is not a bill column; %(expected)s", name=shown, expected=expected),
                row=row,
                column=str(position + 1),
            )
        if name in positions:
            raise BillFileError(
                _("the column %(name)s appears twice; %(expected)s", name=name, expected=expected),
                row=row,
                column=str(position + 1),
            )
        positions[name] = position
    missing = [name for name in BILL_COLUMNS if name not in positions]
    if missing:
        raise BillFileError(
            ngettext(
                "the column %(names)s is missing; %(expected)s",
                "the columns %(names)s are missing; %(expected)s",
                len(missing),
                names=", ".join(missing),
                expected=expected,
            ),
            row=row,
        )
    return positions


def _raw_line(row: int, values: list[str], positions: dict[str, int]) -> RawLine:
    width = len(positions)
    error = None
    if len(values) < width or any(value.strip() for value in values[width:]):
        error = f"the row has {len(values)} values, the header {width}"
    # Control characters and bidi overrides go here, where the file's text comes in (backoffice/text.py).
    cells = {
        name: clean_line(values[position]) if position < len(values) else "" for name, position in positions.items()
    }
    line_text = cells["line"].strip()
    line_no = int(line_text) if _LINE_NUMBER.fullmatch(line_text) and int(line_text) > 0 else None
    return RawLine(
        row=row,
        line_no=line_no,
        date=cells["date"],
        code=cells["code"],
        description=cells["description"],
        quantity=cells["quantity"],
        unit_price=cells["unit_price"],
        currency=cells["currency"],
        error=error,
    )

"""Reading a resident tariff from CSV: every row checked, every problem listed with its row and column.

The file has the header `code,description,resident_price,currency,valid_from,valid_to`, and optionally a `kind`
column (resident or international, the same on every row: see `tariffs.kinds`); the header is row 1, the first data
row is row 2. Prices are written with a dot and at most 4 decimals, dates as YYYY-MM-DD, an empty
valid_to is open-ended (valid_to is inclusive). Versions of one code must not overlap in time. A file saved by a
German Excel (separated by semicolons, prices such as `1.234,56`, dates such as `31.01.2026`) is read too: see
`spreadsheet_csv`, which detects the separator and the decimal convention.

Nothing here touches the database or needs a request: `parse_tariff` turns bytes into rows or raises
`TariffFileError` with the complete list of problems, so an import can be all-or-nothing. The problems are written
in the page's language when there is a page (gettext), in English on the command line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import ngettext

from backoffice.billing.spreadsheet_csv import (
    SEPARATOR_NAMES,
    MixedDecimals,
    decimal_comma,
    detect_separator,
    to_decimal_point,
    to_iso_date,
)
from backoffice.billing.tariffs.kinds import KIND_COLUMN, check_one_kind, read_kind
from backoffice.money import MAX_AMOUNT, MoneyError, check_currency

COLUMNS = ("code", "description", "resident_price", "currency", "valid_from", "valid_to")
HEADER = ",".join(COLUMNS)
OPTIONAL_COLUMNS = (KIND_COLUMN,)
KNOWN_COLUMNS = COLUMNS + OPTIONAL_COLUMNS
MAX_CODE_LENGTH = 40
MAX_DESCRIPTION_LENGTH = 300
PRICE_DECIMALS = 4
MAX_LISTED_PROBLEMS = 200

_PRICE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_COMMA_PRICE = re.compile(r"-?[0-9]+,[0-9]+(?:\.[0-9]+)?")
_CONTROL = re.compile(
    r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)  # NUL, line breaks, C1, bidi overrides; a tab may stay
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class TariffRow:
    """One version of one code, as read from row `row` of the file."""

    row: int
    code: str
    description: str
    resident_price: Decimal
    currency: str
    valid_from: date
    valid_to: date | None  # inclusive; None = open-ended
    kind: str | None = None  # the `kind` column's; None when the file has none

    def period(self) -> str:
        return f"{self.valid_from.isoformat()}..{self.valid_to.isoformat() if self.valid_to else 'open'}"


class TariffFileError(ValueError):
    """The file cannot be imported. `problems` lists what is wrong (at most MAX_LISTED_PROBLEMS lines, then a line
    saying how many more there are); `count` is the number of problems found in all."""

    def __init__(self, problems: list[str], *, count: int | None = None):
        self.count = len(problems) if count is None else count
        self.problems = problems[:MAX_LISTED_PROBLEMS]
        if self.count > len(self.problems):
            more = self.count - len(self.problems)
            self.problems.append(ngettext("… and %(num)d more problem.", "… and %(num)d more problems.", more))
        super().__init__("\n".join(self.problems))


class TariffFileTooLarge(TariffFileError):
    pass


def parse_tariff(data: bytes, *, max_bytes: int) -> list[TariffRow]:
    """The rows of a tariff file, or TariffFileError listing every problem (nothing is half-read)."""
    if len(data) > max_bytes:
        raise TariffFileTooLarge(
            [_("The file is too large: a tariff file may have at most %(size)s.", size=_megabytes(max_bytes))]
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]  # spreadsheet programs write one when saving "CSV UTF-8"
    if not data.strip():
        raise TariffFileError(
            [_("The file is empty: it needs the header row `%(header)s` and at least one item.", header=HEADER)]
        )
    text = _decode(data)
    problems = _Problems()
    rows: list[TariffRow] = []
    separator = detect_separator(text.split("\n", 1)[0], KNOWN_COLUMNS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    try:
        header = next(reader, None)
        positions = _check_header(header or [], problems)
        if positions is None:
            raise TariffFileError(problems.listed(), count=problems.count)
        records = [(number, cells) for number, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)]
    except csv.Error as error:
        problems.add(
            reader.line_num,
            _("row %(row)s: the CSV cannot be read past this row (%(error)s).", row=reader.line_num, error=error),
        )
        records = []
    records = _in_decimal_points(records, separator, positions, problems)
    for number, cells in records:
        row = _parse_row(number, cells, positions, problems)
        if row is not None:
            rows.append(row)
    if not rows and not problems:
        raise TariffFileError(
            [_("The file has a header but no items: add one row per item under `%(header)s`.", header=HEADER)]
        )
    _check_versions(rows, problems)
    check_one_kind(rows, problems.add)
    if problems:
        raise TariffFileError(problems.listed(), count=problems.count)
    return rows


def _in_decimal_points(records, separator: str, positions: dict[str, int], problems: _Problems):
    """A spreadsheet's local conventions (decimal commas, dates as 31.01.2026) as the rows are read, or a problem
    saying which conventions the file mixes."""
    if separator == "," or not records:
        return records
    price = positions["resident_price"]
    try:
        comma = decimal_comma(
            separator, ((n, "resident_price", cells[price]) for n, cells in records if price < len(cells))
        )
    except MixedDecimals as error:
        separated_by = _(SEPARATOR_NAMES[separator])
        problems.add(
            1, _("The file is separated by %(separator)s, but %(error)s.", separator=separated_by, error=error)
        )
        return []
    dates = [positions["valid_from"], positions["valid_to"]]
    converted = []
    for number, cells in records:
        cells = list(cells)
        for position in dates:
            if position < len(cells):
                cells[position] = to_iso_date(cells[position])
        if comma and price < len(cells):
            cells[price] = to_decimal_point(cells[price])
        converted.append((number, cells))
    return converted


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        raise TariffFileError(
            [
                _(
                    "row %(row)s: the file is not UTF-8 text (byte 0x%(byte)s cannot be read); "
                    "save it as “CSV UTF-8” and import it again.",
                    row=row,
                    byte=byte,
                )
            ]
        ) from None


class _Problems:
    """Problems keyed by the first row they name; only the first MAX_LISTED_PROBLEMS are kept as text."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []
        self.count = 0

    def add(self, row: int, message: str) -> None:
        self.count += 1
        self.items.append((row, message))
        if len(self.items) > 4 * MAX_LISTED_PROBLEMS:
            self.items = sorted(self.items, key=lambda item: item[0])[:MAX_LISTED_PROBLEMS]

    def listed(self) -> list[str]:
        return [message for _row, message in sorted(self.items, key=lambda item: item[0])][:MAX_LISTED_PROBLEMS]

    def __bool__(self) -> bool:
        return self.count > 0


def _check_header(header: list[str], problems: _Problems) -> dict[str, int] | None:
    """Column name -> position, or None when the header is wrong (the rows cannot be read without it)."""
    names = [name.strip().lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    unknown = [name for name in names if name not in KNOWN_COLUMNS]
    repeated = sorted({name for name in names if name in KNOWN_COLUMNS and names.count(name) > 1})
    if not (missing or unknown or repeated):
        return {name: position for position, name in enumerate(names)}
    details = []
    if missing:
        details.append(
            ngettext("missing column %(names)s", "missing columns %(names)s", len(missing), names=", ".join(missing))
        )
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:10])
        details.append(ngettext("unknown column %(names)s", "unknown columns %(names)s", len(unknown), names=shown))
    if repeated:
        details.append(
            ngettext(
                "repeated column %(names)s", "repeated columns %(names)s", len(repeated), names=", ".join(repeated)
            )
        )
    details_text = "; ".join(details)
    problems.add(1, _("row 1: the header must be `%(header)s`; %(details)s.", header=HEADER, details=details_text))
    return None


def _parse_row(number: int, cells: list[str], positions: dict[str, int], problems: _Problems) -> TariffRow | None:
    if len(cells) != len(positions):
        price = _split_price(cells, positions)
        if price:
            problems.add(
                number,
                _(
                    "row %(row)s, resident_price: %(price)s has a comma, which splits the row into %(count)s values; "
                    "write prices with a dot as the decimal mark, such as 1234.50.",
                    row=number,
                    price=repr(price),
                    count=len(cells),
                ),
            )
        else:
            problems.add(
                number,
                _(
                    "row %(row)s: %(count)s values, but the header has %(columns)s columns.",
                    row=number,
                    count=len(cells),
                    columns=len(positions),
                ),
            )
        return None
    values = {name: cells[position].strip() for name, position in positions.items()}
    found = problems.count

    def problem(column: str, message: str) -> None:
        problems.add(number, _("row %(row)s, %(column)s: %(problem)s", row=number, column=column, problem=message))

    code, description = values["code"], values["description"]
    if not code:
        problem("code", _("empty; every item needs its code."))
    elif len(code) > MAX_CODE_LENGTH:
        problem("code", _("%(count)s characters; a code has at most %(most)s.", count=len(code), most=MAX_CODE_LENGTH))
    if not description:
        problem("description", _("empty; every item needs a description."))
    elif len(description) > MAX_DESCRIPTION_LENGTH:
        problem(
            "description",
            _(
                "%(count)s characters; a description has at most %(most)s.",
                count=len(description),
                most=MAX_DESCRIPTION_LENGTH,
            ),
        )
    for column, value in (("code", code), ("description", description)):
        if control := _CONTROL.search(value):
            problem(
                column,
                _(
                    "contains a line break or control character (U+%(code)s); remove it.",
                    code=f"{ord(control.group()):04X}",
                ),
            )
    price = _price(values["resident_price"], lambda message: problem("resident_price", message))
    currency = None
    if not values["currency"]:
        problem("currency", _("empty; write the ISO 4217 currency code, such as EUR."))
    else:
        try:
            currency = check_currency(values["currency"])
        except MoneyError as error:
            problem("currency", f"{error}.")
    valid_from = _date(values["valid_from"], lambda message: problem("valid_from", message), required=True)
    valid_to = _date(values["valid_to"], lambda message: problem("valid_to", message), required=False)
    kind = (
        read_kind(values[KIND_COLUMN], lambda message: problem(KIND_COLUMN, message)) if KIND_COLUMN in values else None
    )
    if valid_from and valid_to and valid_to < valid_from:
        problem(
            "valid_to",
            _("%(to)s is before valid_from %(start)s.", to=valid_to.isoformat(), start=valid_from.isoformat()),
        )
    if problems.count > found:
        return None
    assert price is not None and currency is not None and valid_from is not None
    return TariffRow(number, code, description, price, currency, valid_from, valid_to, kind)


def _split_price(cells: list[str], positions: dict[str, int]) -> str | None:
    """The price, when an unquoted decimal comma in it (12,50) is what added a value to the row."""
    position = positions["resident_price"]
    if len(cells) != len(positions) + 1:
        return None
    joined = f"{cells[position]},{cells[position + 1]}".strip()
    return joined if _COMMA_PRICE.fullmatch(joined) else None


def _price(text: str, problem) -> Decimal | None:
    shown = repr(text[:40])
    if not text:
        problem(_("empty; write the resident unit price, such as 1234.50."))
    elif "," in text:
        problem(
            _(
                "%(price)s has a comma; write prices with a dot as the decimal mark and no thousands separator, "
                "such as 1234.50.",
                price=shown,
            )
        )
    elif text.startswith("-") and _PRICE.fullmatch(text[1:]):
        problem(_("%(price)s is negative; a resident price is 0 or more.", price=shown))
    elif not _PRICE.fullmatch(text):
        problem(_("%(price)s is not a price; write digits with a dot, such as 1234.50.", price=shown))
    elif "." in text and len(text.split(".")[1]) > PRICE_DECIMALS:
        problem(_("%(price)s has more than %(count)s decimals.", price=shown, count=PRICE_DECIMALS))
    elif Decimal(text) >= MAX_AMOUNT:
        problem(_("%(price)s is too large for a price.", price=shown))
    else:
        return Decimal(text)
    return None


def _date(text: str, problem, *, required: bool) -> date | None:
    if not text:
        if required:
            problem(_("empty; write the first day the price applies, as YYYY-MM-DD."))
        return None
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    problem(_("%(text)s is not a date; write dates as YYYY-MM-DD, such as 2026-01-31.", text=repr(text[:40])))
    return None


def _check_versions(rows: list[TariffRow], problems: _Problems) -> None:
    """Versions of one code follow each other without overlapping (valid_to is inclusive: a version ending on
    2025-12-31 and the next starting on 2026-01-01 touch, they do not overlap). A row repeated as is is named a
    duplicate rather than an overlap."""
    by_code: dict[str, list[TariffRow]] = {}
    for row in rows:
        by_code.setdefault(row.code, []).append(row)
    for code, versions in by_code.items():
        if len(versions) < 2:
            continue
        versions.sort(key=lambda row: (row.valid_from, row.row))
        reach = versions[0]  # of the versions seen so far, the one that runs furthest
        for version in versions[1:]:
            if reach.valid_to is None or reach.valid_to >= version.valid_from:
                first, second = sorted((reach, version), key=lambda row: row.row)
                if _same_item(first, second):
                    problems.add(
                        second.row,
                        _(
                            "row %(row)s: repeats row %(first)s (%(code)s from %(start)s); remove the duplicate row.",
                            row=second.row,
                            first=first.row,
                            code=code,
                            start=first.valid_from.isoformat(),
                        ),
                    )
                else:
                    problems.add(
                        first.row,
                        _(
                            "rows %(first)s and %(second)s: versions of %(code)s overlap (%(one)s and %(other)s)",
                            first=first.row,
                            second=second.row,
                            code=code,
                            one=first.period(),
                            other=second.period(),
                        ),
                    )
            if reach.valid_to is not None and (version.valid_to is None or version.valid_to > reach.valid_to):
                reach = version


def _same_item(first: TariffRow, second: TariffRow) -> bool:
    return (first.description, first.resident_price, first.currency, first.valid_from, first.valid_to) == (
        second.description,
        second.resident_price,
        second.currency,
        second.valid_from,
        second.valid_to,
    )

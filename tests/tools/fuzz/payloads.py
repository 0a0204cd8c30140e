"""What the sweep sends: bad values for fields, query parameters and addresses (drawn with hypothesis), a plausible
value for every field left alone, malformed CSV files and e-invoices (XML, PDF), and the `flask` import commands that
read files."""

from __future__ import annotations

import csv
import io

from hypothesis import strategies as st

from tests.tools.fuzz.einvoices import malformed_einvoice
from tests.tools.fuzz.pages import Field

HUGE = "9" * 40
BAD_VALUES = (
    "",
    " ",
    "\t\r\n",
    "A" * 10_000,
    "-1",
    "0",
    "-0",
    str(10**30),
    HUGE,
    "-" + HUGE,
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "1,5",
    "1.2.3",
    "0x1A",
    "1_000",
    "١٢٣",
    "²",
    "\uff11\uff12\uff13",  # full-width digits
    "12abc",
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "2026-13-01",
    "31/12/2026",
    "2026-12-01T25:61",
    "24:00",
    "-2026-01-01",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "1; DROP TABLE cases",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\u202eevil",
    "\ufeff",
    "😀" * 300,
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "../../etc/passwd",
    "%00",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "XXX",
    "eur",
    "€",
    "ZZ",
)

INJECTIONS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "x<script>alert(1)</script>x",
    "' OR 1=1 --",
    "1; DROP TABLE cases",
    "=cmd|' /C calc'!A0",
    "{{ 7*7 }}",
)
SAFE_CHARACTERS = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be sent as UTF-8
BAD_VALUE = st.one_of(
    st.sampled_from(BAD_VALUES),
    st.sampled_from(BAD_VALUES),
    st.sampled_from(INJECTIONS),
    st.text(SAFE_CHARACTERS, max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(BAD_VALUES).map(lambda value: value * 3),
)


def plausible_value(field_: Field) -> str:
    """A value the form would likely accept, so that one bad field reaches the rules behind the form."""
    if field_.options:
        chosen = field_.default if field_.default in field_.options else None
        return chosen or next((option for option in field_.options if option), field_.options[0])
    if field_.default:
        return field_.default
    name, kind = field_.name.lower(), field_.kind
    if kind == "date" or name.endswith("_on") or "date" in name:
        return "2026-12-01"
    if kind == "datetime-local" or name.endswith("_at"):
        return "2026-12-01T10:00"
    if kind == "time":
        return "10:00"
    if kind == "email" or "email" in name:
        return "fuzz@fuzz.example"
    if kind == "password" or "password" in name:
        return "fuzz fuzz fuzz fuzz"
    if any(word in name for word in ("amount", "price", "rate", "fee")):
        return "100.00"
    if any(word in name for word in ("quantity", "hours", "days", "percent", "share", "number", "count")):
        return "1"
    if kind == "number":
        return "1"
    if "currency" in name:
        return "EUR"
    if "country" in name:
        return "DE"
    if "language" in name:
        return "en"
    if "phone" in name:
        return "+49 69 000"
    if "airport" in name:
        return "FRA"
    return "fuzz"


TARIFF_COLUMNS = ("code", "description", "resident_price", "currency", "valid_from", "valid_to")
TARIFF_ROW = ("FZ-001", "Fuzz item", "100.00", "EUR", "2026-01-01", "")
BILL_COLUMNS = ("line", "date", "code", "description", "quantity", "unit_price", "currency")
BILL_ROW = ("1", "2026-10-20", "ABM-LAB1", "Laboratory panel", "1", "95.50", "EUR")
CSV_CELLS = st.one_of(
    st.sampled_from(
        (
            "=cmd|' /C calc'!A0",
            "+SUM(1+1)",
            "-1",
            "-100.00",
            "0",
            str(10**30),
            "1e309",
            "NaN",
            "Infinity",
            "1.23456789",
            "1,234.50",
            "XXX",
            "eur",
            "EURO",
            "€",
            "",
            "2026-02-30",
            "0000-00-00",
            "99999-01-01",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "a\x00b",
            "\x1b[31m",
            "A" * 5000,
        )
    ),
    st.text(SAFE_CHARACTERS, max_size=20),
)


@st.composite
def malformed_file(draw, columns: tuple[str, ...], row: tuple[str, ...], *, huge: bool = False) -> tuple[bytes, str]:
    """A CSV (or not-CSV) file: a valid template spoiled in one or more ways; returns (content, description)."""
    if huge:
        body = ",".join(columns) + "\n" + "\n".join(",".join(row) for _ in range(10 * 1024 * 1024 // 40)) + "\n"
        return body.encode()[: 10 * 1024 * 1024], "10 MB file"
    junk = draw(st.integers(0, 9))
    if junk == 0:
        return draw(
            st.sampled_from(
                (
                    (b"", "empty file"),
                    (b"\x00" * 64, "NUL bytes"),
                    (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "a PDF header"),
                    (b"\xff\xfe\x00\x00garbage", "binary junk"),
                    (b"PK\x03\x04" + bytes(range(256)), "a zip header"),
                    (",".join(columns).encode(), "header only"),
                    (b"\n\n\n", "blank lines"),
                )
            )
        )
    if junk == 1:
        return draw(st.binary(max_size=2000)), "random bytes"
    if junk == 2:  # bills may be e-invoices: XML and PDF bombs, XXE, truncated files, wrong roots
        return draw(malformed_einvoice())
    header = list(columns)
    how: list[str] = []
    variant = draw(st.integers(0, 7))
    if variant == 1:
        header = []
        how.append("no header")
    elif variant == 2:
        header = draw(st.permutations(header))
        how.append("columns reordered")
    elif variant == 3:
        header = [*header, "extra"]
        how.append("extra column")
    elif variant == 4:
        header = [*header, header[0]]
        how.append("repeated column")
    elif variant == 5:
        header = [name.upper() + " " for name in header]
        how.append("header in capitals")
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        cells = list(row)
        for _ in range(draw(st.integers(0, 3))):
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CSV_CELLS)
        shape = draw(st.integers(0, 6))
        if shape == 1:
            cells = cells[:-1]
        elif shape == 2:
            cells = [*cells, "surplus"]
        rows.append(cells)
    delimiter = draw(st.sampled_from((",", ",", ",", ";", "\t", "|")))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(("\n", "\r\n", "\r"))))
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16", "cp1252")))
    content = out.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        content = content[: draw(st.integers(0, len(content)))] + b"\xc3\x28\xff"  # cut, with invalid UTF-8
        how.append("truncated with invalid UTF-8")
    how += [f"delimiter {delimiter!r}", encoding]
    return content, ", ".join(how)


FILE_TEMPLATES = {
    # endpoint of the form's action -> (columns, a valid row); other file fields get the tariff's shape as junk
    "billing.import_tariff": (TARIFF_COLUMNS, TARIFF_ROW),
    "billing.receive_bill": (BILL_COLUMNS, BILL_ROW),
    "billing.receive_correction": (BILL_COLUMNS, BILL_ROW),
}
# Values put in place of one variable part of an address (an id, a booking kind, a token, an invoice number).
BAD_PATH_VALUES = (
    "0",
    "-1",
    "2147483648",
    "99999999999999999999999",
    "1e3",
    "1.5",
    "abc",
    "\u0661",
    "\uff11",
    "..",
    "A" * 300,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "caf\u00e9",
    " ",
    "%",
)

# `flask` commands that read a file (the file's path is appended), with the form whose file shape they take.
CLI_IMPORTS = {
    ("tariffs", "import", "FRA-ABM"): "billing.import_tariff",
    ("bills", "audit", "FRA-ABM"): "billing.receive_bill",
    ("bills", "audit", "FRA-ABM", "--json"): "billing.receive_bill",
}
FILE_NAMES = st.sampled_from(
    ("upload.csv", "upload.csv", "", "../../etc/passwd", "a" * 300 + ".csv", "x.exe", "<script>.csv", "ü\x01.csv")
)

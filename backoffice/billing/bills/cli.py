"""`flask bills ...`: hospital bills from the command line, for batch work.

`flask bills audit HOSPITAL_CODE FILE [--json]` audits a bill (its CSV, or its e-invoice as UBL, CII or a ZUGFeRD PDF:
`bill_file.read_bill`, as the app's upload reads it) against the hospital's current resident tariff (its latest
import). It writes nothing and reads the hospital, its current import and, of that import, only the bill's codes
(one SELECT per `findings.CODE_CHUNK` codes), whatever the size of the tariff. Exit status 0 whatever the findings;
2, with a message on stderr, when the hospital, its tariff, the file or its header cannot be used (an e-invoice that
is malformed, unsafe, of another seller or whose totals do not add up).
"""

from __future__ import annotations

import json
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from backoffice.billing.audit import SURCHARGE_THRESHOLD, AuditResult, LineResult, audit_bill
from backoffice.billing.bills.bill_file import BillFile, read_bill
from backoffice.billing.bills.csv_file import DEFAULT_MAX_LINES, BillFileError
from backoffice.billing.bills.findings import rounding_tolerance, tariff_index
from backoffice.billing.bills.receiving import max_bill_bytes
from backoffice.billing.tariffs.current import current_import_id, hospital_by_code
from backoffice.directory.models import Hospital
from backoffice.errors import CommandRefused, NotFound

bills_cli = AppGroup("bills", help="Hospital bills: audit a bill against the hospital's resident tariff.")


# ---------------------------------------------------------------------------------------------- the hospital


def find_hospital(code: str) -> Hospital:
    """The hospital with this code (any case), or CommandRefused naming the code."""
    try:
        return hospital_by_code(code)
    except NotFound:
        code = (code or "").strip().upper()
        raise CommandRefused(
            f"there is no hospital with the code {code[:40] or '(empty)'} (see `flask hospitals list`)"
        ) from None


# ---------------------------------------------------------------------------------------------- the command


@bills_cli.command("audit")
@click.argument("hospital_code")
@click.argument("file", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def audit_command(hospital_code: str, file: Path, as_json: bool) -> None:
    """Audit the bill FILE (`-` for standard input) of the hospital HOSPITAL_CODE against its resident tariff.

    FILE is the hospital's CSV, or its e-invoice: UBL 2.1 or UN/CEFACT CII XML (XRechnung, ZUGFeRD, Factur-X), or a
    ZUGFeRD / Factur-X PDF with the XML embedded; the form is told by the content. Every line gets one status:
    invalid, duplicate, credit, unknown_code, no_valid_tariff, currency_mismatch, overcharged, below_tariff,
    ok_rounding (within BILL_ROUNDING_TOLERANCE) or ok. Line numbers are the bill's `line` column (an e-invoice's
    line identifier) when it is a positive whole number, otherwise the CSV row (the header is row 1) or the
    e-invoice line's position. Exit status 0 whatever the findings, 2 when the input cannot be used.
    """
    hospital = find_hospital(hospital_code)
    import_id = current_import_id(hospital.id)
    if import_id is None:
        raise CommandRefused(
            f"{hospital.code} has no resident tariff yet: import its price list before auditing a bill"
        )
    lines = _read(file, hospital).lines
    tariff = tariff_index(import_id, {code for line in lines if (code := line.code.strip())})
    result = audit_bill(lines, tariff, rounding_tolerance=rounding_tolerance())
    if as_json:
        click.echo(json.dumps(audit_report(hospital.code, result), indent=2))
    else:
        click.echo(audit_table(hospital.code, str(file), result))


def _read(file: Path, hospital: Hospital) -> BillFile:
    name = "standard input" if str(file) == "-" else str(file)
    limit = max_bill_bytes()
    try:
        if str(file) == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with file.open("rb") as stream:
                data = stream.read(limit + 1)
        return read_bill(data, hospital, max_bytes=limit, max_lines=DEFAULT_MAX_LINES)
    except FileNotFoundError:
        raise CommandRefused(f"{name}: no such file") from None
    except OSError as error:
        raise CommandRefused(f"{name}: cannot be read ({error.strerror or error})") from None
    except BillFileError as error:
        raise CommandRefused(f"{name}{', ' if error.row else ': '}{error.message}") from None


# ---------------------------------------------------------------------------------------------- output


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def line_report(result: LineResult) -> dict[str, Any]:
    """One line of the JSON report: amounts only on priced lines, the reason only on invalid ones."""
    entry: dict[str, Any] = {"line": result.line, "status": result.status}
    if result.reason is not None:
        entry["reason"] = result.reason
    if result.priced and result.charged is not None and result.expected is not None:
        entry["charged"] = _amount(result.charged.amount)
        entry["expected"] = _amount(result.expected.amount)
        entry["difference"] = _amount(result.charged.amount - result.expected.amount)
    return entry


def audit_report(hospital_code: str, result: AuditResult) -> dict[str, Any]:
    """The audit as the JSON object of `flask bills audit --json`.

    Per currency, `charged`, `expected` and `overcharge` appear when the bill has priced lines in that currency (a
    "charged 0.00" beside money actually charged but not priceable would mislead); `unpriced` always appears.
    """
    totals: dict[str, dict[str, str]] = {}
    for currency, total in result.totals.items():
        entry = {}
        if total.priced_lines:
            entry = {
                "charged": _amount(total.charged),
                "expected": _amount(total.expected),
                "overcharge": _amount(total.overcharge),
            }
        entry["unpriced"] = _amount(total.unpriced)
        if total.credit_lines:
            entry["credit"] = _amount(total.credit)
        totals[currency] = entry
    coefficient = result.surcharge_coefficient
    return {
        "hospital": hospital_code,
        "lines": [line_report(line) for line in result.lines],
        "totals": totals,
        "surcharge_coefficient": _amount(coefficient) if coefficient is not None else None,
    }


def _cell(text: str, width: int) -> str:
    """Text from the hospital's file, safe for a terminal: control characters shown as '?', cut to the width."""
    shown = "".join("?" if unicodedata.category(char)[0] == "C" else char for char in text.strip())
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def audit_table(hospital_code: str, source: str, result: AuditResult) -> str:
    """The audit as a table for people: one row per line, then the totals, the counts and the coefficient."""
    rows = [
        f"Bill {_cell(source, 60)} of {hospital_code}: {len(result.lines)} line{'s' if len(result.lines) != 1 else ''}",
        "",
        f"{'line':>6}  {'date':<10}  {'code':<14}  {'status':<17}  "
        f"{'charged':>14}  {'expected':>14}  {'difference':>14}",
    ]
    for line in result.lines:
        raw = line.source
        charged = f"{line.charged.amount:,.2f} {line.charged.currency}" if line.charged is not None else ""
        expected = f"{line.expected.amount:,.2f}" if line.expected is not None else ""
        difference = f"{line.difference.amount:+,.2f}" if line.difference is not None else ""
        difference = "0.00" if difference == "+0.00" else difference
        row = (
            f"{line.line:>6}  {_cell(raw.date, 10):<10}  {_cell(raw.code, 14):<14}  {line.status:<17}  "
            f"{charged:>14}  {expected:>14}  {difference:>14}"
        )
        if line.reason:
            row += f"  {_cell(line.reason, 200)}"
        rows.append(row.rstrip())
    rows += ["", "Totals (charged, expected and overcharge over the priced lines; unpriced: charged but not priced):"]
    for currency, total in result.totals.items():
        priced = (
            f"charged {total.charged:,.2f}, expected {total.expected:,.2f}, overcharge {total.overcharge:,.2f}, "
            if total.priced_lines
            else "no priced line, "
        )
        rows.append(f"  {currency}: {priced}unpriced {total.unpriced:,.2f}")
    rows.append("Lines: " + ", ".join(f"{status} {count}" for status, count in result.counts.items()))
    if result.surcharge_coefficient is not None:
        rows.append(
            f"Surcharge coefficient: {result.surcharge_coefficient} (median of charged/expected over the priced lines;"
            " a systematic surcharge on the resident tariff)"
        )
    elif result.median_ratio is not None:
        rows.append(
            f"Surcharge coefficient: none (median charged/expected {result.median_ratio}, below {SURCHARGE_THRESHOLD})"
        )
    else:
        rows.append("Surcharge coefficient: none (no priced line)")
    return "\n".join(rows)

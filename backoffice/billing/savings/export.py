"""The savings report as CSV rows, one per hospital, month and currency."""

from __future__ import annotations

from collections.abc import Iterable

from backoffice.billing.savings.report import CENTS, FIELDS, SavingsReport

CSV_HEADER = (
    "hospital_code",
    "hospital",
    "month",
    "currency",
    "bills",
    "charged",
    "of_which_unpriced",
    "resident_expected",
    "approved",
    "found",
    "recovered",
)


def csv_rows(report: SavingsReport) -> Iterable[list]:
    """The report as CSV rows, header first; amounts as Decimals with two decimals (`backoffice.csvfile` writes
    them, neutralising any text a spreadsheet could read as a formula)."""
    yield list(CSV_HEADER)
    for row in report.rows:
        yield [
            row.hospital_code,
            row.hospital_name,
            row.month.strftime("%Y-%m"),
            row.currency,
            row.bills,
            *(getattr(row.amounts, name).quantize(CENTS) for name in FIELDS),
        ]

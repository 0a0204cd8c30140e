"""The savings report as CSV rows, one per hospital, month and currency: the saving realised on bills, then the
saving promised in accepted offers (its percentage of the foreign-patient price empty when no offer claims one)."""

from __future__ import annotations

from collections.abc import Iterable

from backoffice.billing.savings.report import CENTS, SavingsReport

BILL_FIELDS = ("charged", "unpriced", "expected", "approved", "found", "recovered")

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
    "offers_accepted",
    "promised_saving",
    "promised_foreign_total",
    "promised_percent",
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
            *(getattr(row.amounts, name).quantize(CENTS) for name in BILL_FIELDS),
            row.offers,
            row.promised.quantize(CENTS),
            row.promised_foreign.quantize(CENTS),
            "" if row.promised_percent is None else row.promised_percent,
        ]

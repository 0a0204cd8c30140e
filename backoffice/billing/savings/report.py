"""The savings report for finance: what hospitals charged, what the resident tariff says, what we approved, what
was found and what was recovered, per hospital, month and currency.

A bill and the corrected bills that replace it (`supersedes`) form a chain, counted once, in the hospital and the
month the first bill of the chain was received (a correction received in January for a December bill is December's
saving). In a row, with the figures defined once in `billing.figures` (as the case page, the dashboard and the
dispute letter show them):

- charged: the first bills' whole totals (corrections re-bill the same services; adding them up would count the
  services twice), unpriced lines included; `unpriced` is that part of it shown apart;
- expected: the resident price of the first bills' priced lines (lines the audit could price against the tariff);
- approved: the whole totals of the chains' bills that finance approved (or that were paid);
- found: what finance disputed on the chains' bills;
- recovered: of what was found, what the chain's final corrected bill removed, once it is approved or paid.

Beside the saving realised on bills, the saving promised to patients: the treatment offers accepted in the month
(in the operator's time zone, OPERATOR_TIMEZONE), per hospital and the offer's currency:

- offers: how many were accepted;
- promised: the savings they promised (what a foreign patient would pay, less the resident price), of the offers
  that claim one; promised_foreign: what a foreign patient would pay for those offers' treatments, the base of
  `promised_percent`.

Amounts are exact Decimals to the cent, never summed across currencies. The report takes three statements whatever
the number of bills and offers: the chains (a recursive query), the sums of their lines per bill, currency and code,
and the accepted offers (asked through `billing.signals.promised_savings`, which offers answers). Its filters are read
by `savings.filters`; `savings.export` and `savings.chart` turn it into CSV rows and SVG bars.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, case, func, literal, select, type_coerce
from sqlalchemy.orm import aliased

from backoffice.billing import audit, figures
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.signals import AcceptedWindow, promised_savings
from backoffice.config import settings
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.money import round_half_up

APPROVED_STATUSES = ("approved", "paid")
MAX_CHAIN = 50  # a chain of corrections longer than this is a data error, not a bill's history
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
FIELDS = ("charged", "unpriced", "expected", "approved", "found", "recovered", "promised", "promised_foreign")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def months(self) -> list[date]:
        """The first day of every month of the period, in order."""
        months, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append(date(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


@dataclass(slots=True)
class Amounts:
    charged: Decimal = ZERO
    unpriced: Decimal = ZERO
    expected: Decimal = ZERO
    approved: Decimal = ZERO
    found: Decimal = ZERO
    recovered: Decimal = ZERO
    promised: Decimal = ZERO  # saving promised in accepted offers
    promised_foreign: Decimal = ZERO  # what a foreign patient would pay for those offers' treatments

    def add(self, other: Amounts) -> None:
        for name in FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def promised_percent(self) -> Decimal | None:
        """The promised saving as a percentage of the foreign-patient price, to one decimal; None without one."""
        if not self.promised_foreign:
            return None
        return round_half_up(self.promised * HUNDRED / self.promised_foreign, 1)


@dataclass(slots=True)
class SavingsRow:
    hospital_id: int
    hospital_code: str
    hospital_name: str
    month: date  # first day of the month the chains' first bills were received
    currency: str
    amounts: Amounts = field(default_factory=Amounts)
    bills: int = 0  # chains with lines in this currency
    offers: int = 0  # offers accepted in this month, in this currency

    def __getattr__(self, name: str):  # row.charged rather than row.amounts.charged, in templates and the CSV
        if name in FIELDS or name == "promised_percent":
            return getattr(self.amounts, name)
        raise AttributeError(name)


@dataclass(frozen=True, slots=True)
class SavingsReport:
    period: Period
    hospital_id: int | None
    rows: list[SavingsRow]
    totals: dict[str, Amounts]  # by currency, over every row
    by_month: dict[str, dict[date, Amounts]]  # by currency, then month, over the hospitals


def _cents(value) -> Decimal:
    """An integer count of cents from the database (an int, or a Decimal for PostgreSQL's SUM) as an amount."""
    return (Decimal(int(value or 0)) * CENTS).quantize(CENTS)


def _chains(period: Period, hospital_id: int | None):
    """A recursive CTE: every bill of the chains whose first bill was received in the period, with its chain."""
    first = select(
        HospitalBill.id.label("bill_id"),
        HospitalBill.id.label("root_id"),
        HospitalBill.status.label("status"),
        literal(0).label("depth"),
    ).where(
        HospitalBill.supersedes_id.is_(None),
        HospitalBill.received_on >= period.start,
        HospitalBill.received_on <= period.end,
    )
    if hospital_id is not None:
        first = first.where(HospitalBill.hospital_id == hospital_id)
    chain = first.cte("chain", recursive=True)
    correction = aliased(HospitalBill)
    return chain.union_all(
        select(correction.id, chain.c.root_id, correction.status, chain.c.depth + 1).where(
            correction.supersedes_id == chain.c.bill_id, chain.c.depth < MAX_CHAIN
        )
    )


def savings_report(period: Period, hospital_id: int | None = None) -> SavingsReport:
    """Charged, unpriced, expected, approved, found and recovered per hospital, month and currency, beside the
    saving promised in the offers accepted (see the module).

    Three statements whatever the number of bills and offers.
    """
    chain = _chains(period, hospital_id)
    first_bill = aliased(HospitalBill)
    members = db.session.execute(
        select(
            chain.c.bill_id,
            chain.c.root_id,
            chain.c.status,
            chain.c.depth,
            first_bill.received_on,
            Hospital.id,
            Hospital.code,
            Hospital.name,
        )
        .join(first_bill, first_bill.id == chain.c.root_id)
        .join(Hospital, Hospital.id == first_bill.hospital_id)
    ).all()

    # Amount columns hold integer cents: sum them as integers, exactly, on both databases.
    charged = type_coerce(BillLine.charged, BigInteger)
    expected = type_coerce(BillLine.expected, BigInteger)
    priced = BillLine.status.in_(sorted(audit.PRICED))
    sums = db.session.execute(
        select(
            BillLine.bill_id,
            BillLine.currency,
            BillLine.code,
            func.sum(charged),
            func.sum(case((BillLine.status.in_(sorted(audit.UNPRICED)), charged), else_=0)),
            func.sum(case((priced & BillLine.expected.is_not(None), expected), else_=0)),
            func.sum(figures.found_cents(BillLine)),
        )
        .join(chain, chain.c.bill_id == BillLine.bill_id)
        .where(BillLine.currency.is_not(None), BillLine.charged.is_not(None))
        .group_by(BillLine.bill_id, BillLine.currency, BillLine.code)
    ).all()
    line_sums: dict[int, dict[str, Amounts]] = {}
    keyed: dict[int, dict[tuple[str, str], figures.CodeSums]] = {}
    for bill_id, currency, code, charged_sum, unpriced_sum, expected_sum, found_sum in sums:
        amounts = line_sums.setdefault(bill_id, {}).setdefault(currency, Amounts())
        amounts.charged += _cents(charged_sum)
        amounts.unpriced += _cents(unpriced_sum)
        amounts.expected += _cents(expected_sum)
        keyed.setdefault(bill_id, {})[(currency, code)] = figures.CodeSums(_cents(charged_sum), _cents(found_sum))

    chains: dict[int, list] = {}
    for member in members:
        chains.setdefault(member.root_id, []).append(member)
    rows: dict[tuple[int, date, str], SavingsRow] = {}
    for root_id, bills in chains.items():
        first = next(bill for bill in bills if bill.bill_id == root_id)
        month = first.received_on.replace(day=1)
        per_currency = _chain_amounts(root_id, bills, line_sums, keyed)
        for currency, amounts in per_currency.items():
            key = (first.id, month, currency)
            if key not in rows:
                rows[key] = SavingsRow(first.id, first.code, first.name, month, currency)
            rows[key].amounts.add(amounts)
            rows[key].bills += 1
    _add_promised(rows, period, hospital_id)
    ordered = sorted(
        rows.values(), key=lambda row: (row.hospital_name.lower(), row.hospital_id, row.month, row.currency)
    )
    return SavingsReport(period, hospital_id, ordered, _totals(ordered), _by_month(ordered))


def _add_promised(rows: dict[tuple[int, date, str], SavingsRow], period: Period, hospital_id: int | None) -> None:
    """The offers accepted in the period, each in the month it was accepted in the operator's time zone."""
    zone = ZoneInfo(settings().operator_timezone)

    def instant(day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

    window = AcceptedWindow(instant(period.start), instant(period.end + timedelta(days=1)), hospital_id)
    for _receiver, offers in promised_savings.send(window):
        for offer in offers or ():
            month = offer.accepted_at.astimezone(zone).date().replace(day=1)
            key = (offer.hospital_id, month, offer.currency)
            if key not in rows:
                rows[key] = SavingsRow(
                    offer.hospital_id, offer.hospital_code, offer.hospital_name, month, offer.currency
                )
            rows[key].offers += 1
            if offer.saving is not None and offer.foreign_total:
                rows[key].amounts.promised += offer.saving
                rows[key].amounts.promised_foreign += offer.foreign_total


def _chain_amounts(root_id: int, bills: list, line_sums, keyed) -> dict[str, Amounts]:
    first = line_sums.get(root_id, {})
    result: dict[str, Amounts] = {
        currency: Amounts(charged=a.charged, unpriced=a.unpriced, expected=a.expected) for currency, a in first.items()
    }
    for bill in bills:
        if bill.status in APPROVED_STATUSES:
            for currency, amounts in line_sums.get(bill.bill_id, {}).items():
                result.setdefault(currency, Amounts()).approved += amounts.charged
    ordered = sorted(bills, key=lambda bill: (bill.depth, bill.bill_id))
    found, recovered = figures.chain_figures([(bill.status, keyed.get(bill.bill_id, {})) for bill in ordered])
    for currency, amount in found.items():
        result.setdefault(currency, Amounts()).found += amount
    for currency, amount in recovered.items():
        result.setdefault(currency, Amounts()).recovered += amount
    return result


def _totals(rows: Iterable[SavingsRow]) -> dict[str, Amounts]:
    totals: dict[str, Amounts] = {}
    for row in rows:
        totals.setdefault(row.currency, Amounts()).add(row.amounts)
    return dict(sorted(totals.items()))


def _by_month(rows: Iterable[SavingsRow]) -> dict[str, dict[date, Amounts]]:
    result: dict[str, dict[date, Amounts]] = {}
    for row in rows:
        result.setdefault(row.currency, {}).setdefault(row.month, Amounts()).add(row.amounts)
    return dict(sorted(result.items()))

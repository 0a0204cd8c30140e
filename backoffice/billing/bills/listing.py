"""Reading hospital bills: one bill (with its lines), its summary, the case's bills and the filtered list of bills.

The totals and figures are computed from the stored audit of each line (`billing.audit` and `billing.figures`), so
the bill page, the case page, the dashboard and the bill list show the same numbers; the lists sum the lines in the
database in a fixed number of statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import case as sql_case
from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from backoffice.billing import audit
from backoffice.billing import figures as figures_
from backoffice.billing.bills.states import BLOCKING_STATUSES, NEEDS_REVIEW
from backoffice.billing.models import BillFinding, BillLine, HospitalBill
from backoffice.cases.models import Case
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.money import Amount, Money
from backoffice.pagination import Page, paginate
from backoffice.patients.restriction import not_erased

MAX_CHAIN = 50  # corrections of corrections followed on the case page
PAGE_SIZE = 50


def get_bill(bill_id: int, *, with_lines: bool = False) -> HospitalBill:
    """A bill with its hospital (and its lines and bill-level findings, in order, when asked); 404 when there is
    none."""
    options = [joinedload(HospitalBill.hospital)]
    if with_lines:
        options += [selectinload(HospitalBill.lines), selectinload(HospitalBill.findings)]
    bill = db.session.scalar(select(HospitalBill).where(HospitalBill.id == bill_id).options(*options))
    if bill is None:
        raise NotFound(_("There is no such bill."))
    return bill


def get_line(bill_id: int, line_id: int) -> BillLine:
    """A line of this bill; a line of another bill is as unknown as a line that does not exist."""
    line = db.session.scalar(select(BillLine).where(BillLine.id == line_id, BillLine.bill_id == bill_id))
    if line is None:
        raise NotFound(_("There is no such line on this bill."))
    return line


@dataclass
class BillSummary:
    """Per currency (alphabetical): charged, expected and overcharge over the priced lines, and unpriced; the
    surcharge coefficient when the median ratio shows one; how many lines have each status; what is undecided."""

    totals: dict[str, audit.Totals]
    surcharge_coefficient: Decimal | None
    median_ratio: Decimal | None
    counts: dict[str, int]
    undecided_blocking: dict[str, int] = field(default_factory=dict)
    disputed_lines: int = 0
    line_count: int = 0
    figures: dict[str, figures_.Figures] = field(default_factory=dict)  # charged, unpriced, found per currency
    above_offer: list[BillFinding] = field(default_factory=list)  # the bill-level `exceeds_offer` findings

    @property
    def undecided_blocking_count(self) -> int:
        return sum(self.undecided_blocking.values())


def results_of(lines: Iterable[BillLine]) -> list[audit.LineResult]:
    """The stored audit as the audit module's results, so totals and ratio are computed by the same code."""
    results = []
    for line in lines:
        currency = line.currency
        charged = Money(line.charged, currency) if line.charged is not None and currency else None
        expected = Money(line.expected, currency) if line.expected is not None and currency else None
        results.append(
            audit.LineResult(line.line_no, line.status, None, charged=charged, expected=expected)  # type: ignore[arg-type]
        )
    return results


def bill_summary(bill: HospitalBill) -> BillSummary:
    """The bill's totals and findings, recomputed from its stored lines (loaded with the bill)."""
    lines = bill.lines
    results = results_of(lines)
    median = audit.median_ratio(results)
    undecided: dict[str, int] = {}
    for line in lines:
        if line.status in BLOCKING_STATUSES and line.decision is None:
            undecided[line.status] = undecided.get(line.status, 0) + 1
    return BillSummary(
        totals=audit.bill_totals(results),
        surcharge_coefficient=median if median is not None and median >= audit.SURCHARGE_THRESHOLD else None,
        median_ratio=median,
        counts=audit.status_counts(results),
        undecided_blocking={s: undecided[s] for s in BLOCKING_STATUSES if s in undecided},
        disputed_lines=sum(1 for line in lines if line.decision == "disputed"),
        line_count=len(lines),
        figures=figures_.line_figures(lines),
        above_offer=[finding for finding in bill.findings if finding.kind == "exceeds_offer"],
    )


@dataclass
class BillOverview:
    """A bill in a list: the bill (with its hospital), its case number, its audit totals and its figures (charged,
    unpriced, found, recovered: `figures`) per currency."""

    bill: HospitalBill
    case_number: str
    totals: dict[str, audit.Totals]
    corrected_by: str | None = None  # the reference of the bill that replaced this one, if any
    figures: dict[str, figures_.Figures] = field(default_factory=dict)


def _sums_by_bill(
    bill_ids: Sequence[int],
) -> tuple[dict[int, dict[str, audit.Totals]], dict[int, dict[tuple[str, str], figures_.CodeSums]]]:
    """Audit totals per bill and currency, and the sums per bill, currency and code that the figures are made of, in
    one aggregate statement (no line is loaded)."""
    if not bill_ids:
        return {}, {}
    priced = BillLine.status.in_(sorted(audit.PRICED))
    unpriced = BillLine.status.in_(sorted(audit.UNPRICED))
    credit = BillLine.status == audit.CREDIT
    cents = Amount(scale=2)
    zero = type_coerce(0, cents)
    rows = db.session.execute(
        select(
            BillLine.bill_id,
            BillLine.currency,
            BillLine.code,
            type_coerce(func.sum(sql_case((priced, BillLine.charged), else_=zero)), cents),
            type_coerce(func.sum(sql_case((priced, BillLine.expected), else_=zero)), cents),
            type_coerce(
                func.sum(
                    sql_case(
                        (
                            priced & (BillLine.status != audit.OK_ROUNDING) & (BillLine.charged > BillLine.expected),
                            BillLine.charged - BillLine.expected,
                        ),
                        else_=zero,
                    )
                ),
                cents,
            ),
            type_coerce(func.sum(sql_case((unpriced, BillLine.charged), else_=zero)), cents),
            type_coerce(func.sum(sql_case((credit, BillLine.charged), else_=zero)), cents),
            type_coerce(func.sum(figures_.found_cents(BillLine)), cents),
            func.count(sql_case((priced, 1))),
            func.count(sql_case((unpriced, 1))),
            func.count(sql_case((credit, 1))),
        )
        .where(BillLine.bill_id.in_(bill_ids), BillLine.charged.is_not(None), BillLine.currency.is_not(None))
        .group_by(BillLine.bill_id, BillLine.currency, BillLine.code)
        .order_by(BillLine.bill_id, BillLine.currency, BillLine.code)
    )
    totals: dict[int, dict[str, audit.Totals]] = {}
    keyed: dict[int, dict[tuple[str, str], figures_.CodeSums]] = {}
    zero_amount = Decimal("0.00")
    for row in rows:
        bill_id, currency, code, charged, expected, overcharge, unpriced_sum, credit_sum, found = row[:9]
        priced_n, unpriced_n, credit_n = row[9:]
        total = totals.setdefault(bill_id, {}).setdefault(currency, audit.Totals(currency))
        total.charged += charged or zero_amount
        total.expected += expected or zero_amount
        total.overcharge += overcharge or zero_amount
        total.unpriced += unpriced_sum or zero_amount
        total.credit += credit_sum or zero_amount
        total.priced_lines += priced_n
        total.unpriced_lines += unpriced_n
        total.credit_lines += credit_n
        keyed.setdefault(bill_id, {})[(currency, code)] = figures_.CodeSums(
            (charged or zero_amount) + (unpriced_sum or zero_amount) + (credit_sum or zero_amount),
            found or zero_amount,
        )
    return totals, keyed


def _bill_figures(totals: dict[str, audit.Totals], keyed: Mapping[tuple[str, str], figures_.CodeSums]):
    found: dict[str, Decimal] = {}
    for (currency, _code), sums in keyed.items():
        found[currency] = found.get(currency, Decimal("0.00")) + sums.found
    return {
        currency: figures_.Figures(
            currency, charged=total.total, unpriced=total.unpriced, found=found.get(currency, Decimal("0.00"))
        )
        for currency, total in totals.items()
    }


def _overviews(bills: Sequence[HospitalBill]) -> tuple[list[BillOverview], dict]:
    """The bills as overviews, and their sums per currency and code (for the chains' figures)."""
    ids = [bill.id for bill in bills]
    totals, keyed = _sums_by_bill(ids)
    case_ids = sorted({bill.case_id for bill in bills})
    numbers = dict(db.session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all()) if bills else {}
    corrections = (
        dict(
            db.session.execute(
                select(HospitalBill.supersedes_id, HospitalBill.reference).where(HospitalBill.supersedes_id.in_(ids))
            ).all()
        )
        if bills
        else {}
    )
    overviews = [
        BillOverview(
            bill,
            numbers.get(bill.case_id, ""),
            totals.get(bill.id, {}),
            corrections.get(bill.id),
            _bill_figures(totals.get(bill.id, {}), keyed.get(bill.id, {})),
        )
        for bill in bills
    ]
    return overviews, keyed


def bills_of_case(case_id: int) -> list[BillOverview]:
    """The case's bills, newest first, with their totals and figures; the chain's recovered amount is on the row of
    its final bill (three statements)."""
    bills = db.session.scalars(
        select(HospitalBill)
        .where(HospitalBill.case_id == case_id)
        .options(joinedload(HospitalBill.hospital))
        .order_by(HospitalBill.received_on.desc(), HospitalBill.id.desc())
    ).all()
    overviews, keyed = _overviews(bills)
    by_id = {entry.bill.id: entry for entry in overviews}
    corrected_by = {bill.supersedes_id: bill.id for bill in bills if bill.supersedes_id in by_id}
    for entry in overviews:
        if entry.bill.supersedes_id is not None:
            continue  # chains are walked from their first bill
        chain = [entry.bill.id]
        while chain[-1] in corrected_by and len(chain) <= MAX_CHAIN:
            chain.append(corrected_by[chain[-1]])
        if len(chain) < 2:
            continue
        _found, recovered = figures_.chain_figures([(by_id[i].bill.status, keyed.get(i, {})) for i in chain])
        final = by_id[chain[-1]]
        for currency, amount in recovered.items():
            final.figures.setdefault(currency, figures_.Figures(currency)).recovered = amount
    return overviews


def list_bills(
    *, status: str | None = None, hospital_id: int | None = None, needs_review: bool = False, page: int = 1
) -> Page[BillOverview]:
    """One page of bills, newest first, filtered by status, hospital or "needs review" (received or under review);
    four statements whatever the number of bills or lines. An erased patient's bills are in no list (the savings
    report still counts them: `patients.restriction`)."""
    query = select(HospitalBill).join(Case, Case.id == HospitalBill.case_id).where(not_erased(Case.patient_id))
    if status:
        query = query.where(HospitalBill.status == status)
    if needs_review:
        query = query.where(HospitalBill.status.in_(NEEDS_REVIEW))
    if hospital_id:
        query = query.where(HospitalBill.hospital_id == hospital_id)
    bills = paginate(
        query,
        page=page,
        per_page=PAGE_SIZE,
        order_by=(HospitalBill.received_on.desc(), HospitalBill.id.desc()),
        options=(joinedload(HospitalBill.hospital),),
    )
    return Page(
        items=_overviews(bills.items)[0], page=bills.page, pages=bills.pages, total=bills.total, per_page=bills.per_page
    )


def corrections_of(bill: HospitalBill) -> tuple[HospitalBill | None, HospitalBill | None]:
    """The bill this one corrects, and the bill that corrects it (each None when there is none)."""
    related = db.session.scalars(
        select(HospitalBill).where((HospitalBill.id == bill.supersedes_id) | (HospitalBill.supersedes_id == bill.id))
    ).all()
    corrected = next((b for b in related if b.id == bill.supersedes_id), None)
    correction = next((b for b in related if b.supersedes_id == bill.id), None)
    return corrected, correction

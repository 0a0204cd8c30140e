"""Hospital bills: receiving them (a CSV or line by line), the audit stored per line, finance's decisions, and the
bill's workflow.

received -> under_review -> approved | disputed; a disputed bill stays as it was (read-only) when the hospital sends
a corrected bill, which supersedes it and starts under review; an approved bill becomes paid.

Every change is checked against the bill version the user saw (optimistic locking), appears on the case timeline
with an audit row, and flushes; the caller commits. The audit itself is `billing.audit` (pure); this module feeds it
the hospital's resident tariff, the case's stay and the programme's codes, and stores what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from backoffice.billing import audit
from backoffice.billing import figures as figures_
from backoffice.billing.bill_csv import BillFileError, read_bill_csv
from backoffice.billing.models import NEEDS_DECISION, BillLine, HospitalBill, TariffImport, TariffItem
from backoffice.billing.tariffs import latest_import
from backoffice.cases.documents import display_name
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, record_case_event
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics.models import HospitalAppointment
from backoffice.money import Amount, Money
from backoffice.pagination import Page, paginate

# A bill is received once the patient has confirmed the programme (pre-treatment examinations included).
BILLABLE_STATES = ("confirmed", "travel_booked", "in_treatment", "discharged", "aftercare", "closed")


def max_bill_bytes() -> int:
    """The largest bill file read, in the app and by `flask bills audit` (BILL_MAX_MB, 10 MB unless configured)."""
    return int(settings().bill_max_mb or 10) * 1024 * 1024


MIN_OVERRIDE_NOTE = 10
MAX_CHAIN = 50  # corrections of corrections followed on the case page
PAGE_SIZE = 50
CODE_CHUNK = 500
INSERT_CHUNK = 1_000  # bill lines per INSERT statement  # codes per IN (...) when reading the tariff items a bill uses

BLOCKING_STATUSES = NEEDS_DECISION  # see billing.models
# Accepting one of these says why: nothing compared its price, finance vouches for it (a credit gives money back).
ACCEPT_NEEDS_REASON = (audit.INVALID, *sorted(audit.UNPRICED))
OPEN_FOR_LINES = ("received", "under_review")
NEEDS_REVIEW = ("received", "under_review")
STATUS_LABELS = {
    "received": "Received",
    "under_review": "Under review",
    "approved": "Approved",
    "disputed": "Disputed",
    "paid": "Paid",
}
LINE_STATUS_LABELS = {
    audit.INVALID: "Unreadable",
    audit.DUPLICATE: "Duplicate",
    audit.CREDIT: "Credit",
    audit.UNKNOWN_CODE: "Unknown code",
    audit.NO_VALID_TARIFF: "No valid tariff",
    audit.CURRENCY_MISMATCH: "Currency mismatch",
    audit.OUTSIDE_STAY: "Outside the stay",
    audit.NOT_IN_PROGRAMME: "Not in the programme",
    audit.OVERCHARGED: "Overcharged",
    audit.BELOW_TARIFF: "Below tariff",
    audit.OK_ROUNDING: "OK with rounding",
    audit.OK: "OK",
}

_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class BillError(DomainError):
    pass


class BillChanged(BillError):
    """Someone else changed the bill since this user loaded it."""

    status_code = 409


# ---------------------------------------------------------------------------------------------- reading


def get_bill(bill_id: int, *, with_lines: bool = False) -> HospitalBill:
    """A bill with its hospital (and its lines, in order, when asked); 404 when there is none."""
    options = [joinedload(HospitalBill.hospital)]
    if with_lines:
        options.append(selectinload(HospitalBill.lines))
    bill = db.session.scalar(select(HospitalBill).where(HospitalBill.id == bill_id).options(*options))
    if bill is None:
        raise NotFound("There is no such bill.")
    return bill


def get_line(bill_id: int, line_id: int) -> BillLine:
    """A line of this bill; a line of another bill is as unknown as a line that does not exist."""
    line = db.session.scalar(select(BillLine).where(BillLine.id == line_id, BillLine.bill_id == bill_id))
    if line is None:
        raise NotFound("There is no such line on this bill.")
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

    @property
    def undecided_blocking_count(self) -> int:
        return sum(self.undecided_blocking.values())


def _results_of(lines: Iterable[BillLine]) -> list[audit.LineResult]:
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
    results = _results_of(lines)
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
    for (currency, _), sums in keyed.items():
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
        _, recovered = figures_.chain_figures([(by_id[i].bill.status, keyed.get(i, {})) for i in chain])
        final = by_id[chain[-1]]
        for currency, amount in recovered.items():
            final.figures.setdefault(currency, figures_.Figures(currency)).recovered = amount
    return overviews


def list_bills(
    *, status: str | None = None, hospital_id: int | None = None, needs_review: bool = False, page: int = 1
) -> Page[BillOverview]:
    """One page of bills, newest first, filtered by status, hospital or "needs review" (received or under review);
    four statements whatever the number of bills or lines."""
    query = select(HospitalBill)
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


# ---------------------------------------------------------------------------------------------- the audit inputs


def stay_margin_days() -> int:
    return settings().bill_stay_margin_days


def rounding_tolerance() -> Decimal:
    """The difference per line read as rounding, ok with rounding (BILL_ROUNDING_TOLERANCE, 0.01 unless configured)."""
    return settings().bill_rounding_tolerance


def programme_codes(text: str | None) -> frozenset[str] | None:
    """The codes of a programme's `tariff_codes` (separated by commas, semicolons, spaces or new lines); None when it
    lists none, which skips the check."""
    codes = frozenset(code for code in _CODE_SEPARATORS.split(text or "") if code)
    return codes or None


def case_stay(case_id: int) -> tuple[date, date] | None:
    """From the earliest admission to the latest discharge of the case's confirmed hospital appointments."""
    first, last = db.session.execute(
        select(func.min(HospitalAppointment.admission_on), func.max(HospitalAppointment.discharge_on)).where(
            HospitalAppointment.case_id == case_id, HospitalAppointment.status == "confirmed"
        )
    ).one()
    return (first, last) if first is not None else None


def _tariff_versions(import_id: int, codes: Iterable[str]) -> dict[str, list[audit.TariffVersion]]:
    """The versions of the bill's codes in one tariff import, indexed for the audit (one statement per 500 codes)."""
    wanted = sorted({code for code in codes if code})
    versions: list[audit.TariffVersion] = []
    for start in range(0, len(wanted), CODE_CHUNK):
        rows = db.session.execute(
            select(
                TariffItem.id,
                TariffItem.code,
                TariffItem.resident_price,
                TariffItem.currency,
                TariffItem.valid_from,
                TariffItem.valid_to,
            ).where(TariffItem.import_id == import_id, TariffItem.code.in_(wanted[start : start + CODE_CHUNK]))
        )
        versions.extend(
            audit.TariffVersion(code, price, currency, valid_from, valid_to, item_id)
            for item_id, code, price, currency, valid_from, valid_to in rows
        )
    return audit.index_tariff(versions)


@dataclass
class _Context:
    stay: tuple[date, date] | None
    margin: int
    programme_name: str
    codes: frozenset[str] | None
    tolerance: Decimal = Decimal(0)


def _context(case: Case) -> _Context:
    programme = case.programme
    return _Context(
        stay=case_stay(case.id),
        margin=stay_margin_days(),
        programme_name=programme.name if programme else "",
        codes=programme_codes(programme.tariff_codes) if programme else None,
        tolerance=rounding_tolerance(),
    )


def _read(raw: audit.RawLine) -> audit.BillLine | None:
    try:
        return audit.read_line(raw)
    except audit.UnreadableLine:
        return None


def _reason(
    result: audit.LineResult,
    line: audit.BillLine | None,
    index: dict[str, list[audit.TariffVersion]],
    first_of: dict[tuple, int],
    context: _Context,
) -> str:
    """Why a line has its status, in words finance can repeat to the hospital."""
    status = result.status
    if status == audit.INVALID or line is None:
        return result.reason or ""
    if status == audit.DUPLICATE:
        return f"Same date, code, quantity, unit price and currency as line {first_of.get(line.duplicate_key, '?')}."
    if status == audit.CREDIT:
        return "A credit: the hospital gives this amount back; it lowers the bill's total."
    if status == audit.UNKNOWN_CODE:
        return f"The resident tariff has no code {line.code}."
    if status == audit.NO_VALID_TARIFF:
        return f"No resident price of {line.code} is valid on {line.date.isoformat()}."
    version = result.version
    if status == audit.CURRENCY_MISMATCH:
        valid = audit.version_on(index.get(line.code, []), line.date)
        return f"Billed in {line.currency}; the resident price is in {valid.currency if valid else '?'}."
    if status == audit.OUTSIDE_STAY and context.stay:
        first, last = context.stay
        return (
            f"Dated {line.date.isoformat()}, outside the stay {first.isoformat()} to {last.isoformat()} "
            f"(± {context.margin} days)."
        )
    if status == audit.NOT_IN_PROGRAMME:
        return f"{line.code} is not among the items of the programme {context.programme_name}."
    if status == audit.OK_ROUNDING and version is not None and result.difference is not None:
        return (
            f"OK with rounding: {result.difference.amount:+} {line.currency} from the resident price "
            f"{_price_text(version.price)} {version.currency} x {line.quantity.normalize():f} "
            f"(tolerated up to {context.tolerance} per line)"
        )
    if status in (audit.OVERCHARGED, audit.BELOW_TARIFF) and version is not None:
        return (
            f"unit price {_price_text(line.unit_price)} {line.currency}, "
            f"resident price {_price_text(version.price)} {version.currency}"
        )
    return ""


def _price_text(price: Decimal) -> str:
    """A unit price as people write it: at least the cents, more decimals only when the price has them."""
    cents = price.quantize(Decimal("0.01"))
    return f"{cents:,}" if cents == price else f"{price.normalize():,}"


def _audit(raws: list[audit.RawLine], import_id: int, context: _Context):
    """Run the audit and yield, per line, (result, the line as read or None, the reason in words)."""
    parsed = [_read(raw) for raw in raws]
    index = _tariff_versions(import_id, (line.code for line in parsed if line is not None))
    result = audit.audit_bill(
        raws,
        index,
        stay=context.stay,
        stay_margin_days=context.margin,
        programme_codes=context.codes,
        rounding_tolerance=context.tolerance,
    )
    first_of: dict[tuple, int] = {}
    for line_result, line in zip(result.lines, parsed, strict=True):
        if line is not None and line_result.status != audit.INVALID:
            first_of.setdefault(line.duplicate_key, line_result.line)
    for line_result, line in zip(result.lines, parsed, strict=True):
        yield line_result, line, _reason(line_result, line, index, first_of, context)


def _audited_values(result: audit.LineResult, line: audit.BillLine | None, reason: str) -> dict:
    """The columns of a bill line that the audit sets (not the raw text, not the decision)."""
    return {
        "service_on": line.date if line else None,
        "quantity": line.quantity if line else None,
        "unit_price": line.unit_price if line else None,
        "currency": line.currency if line else None,
        "status": result.status,
        "reason": reason[:300],
        "charged": result.charged.amount if result.charged is not None else None,
        "expected": result.expected.amount if result.expected is not None else None,
        "tariff_item_id": result.version.item_id if result.version is not None and result.priced else None,
    }


def _apply_result(row: BillLine, result: audit.LineResult, line: audit.BillLine | None, reason: str) -> None:
    for name, value in _audited_values(result, line, reason).items():
        setattr(row, name, value)


def _raw_of(row: BillLine) -> audit.RawLine:
    return audit.RawLine(
        row=row.position + 1,
        line_no=row.line_no,
        date=row.raw_date,
        code=row.code,
        description=row.description,
        quantity=row.raw_quantity,
        unit_price=row.raw_unit_price,
        currency=row.raw_currency,
    )


# ---------------------------------------------------------------------------------------------- changes


def _event(bill: HospitalBill, actor_id: int | None, note: str, **details) -> None:
    case = db.session.get(Case, bill.case_id)
    record_case_event(
        case,
        "bill",
        actor_id,
        note=note,
        audit={"bill_id": bill.id, "reference": bill.reference, "status": bill.status, **details},
    )


def _check_version(bill: HospitalBill, expected_version: int | None) -> None:
    if expected_version is not None and bill.version != expected_version:
        raise BillChanged(
            f"Bill {bill.reference} was changed by someone else while you were looking at it. "
            "Reload the page to see the change, then try again."
        )


def _require_status(bill: HospitalBill, allowed: str | tuple[str, ...], rule: str) -> None:
    if bill.status not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise BillError(f"Bill {bill.reference} is {STATUS_LABELS[bill.status].lower()}: {rule}.")


def _save(bill: HospitalBill) -> None:
    """Flush, bumping the bill's version; a concurrent change of the same bill becomes BillChanged."""
    reference = bill.reference
    flag_modified(bill, "status")  # a decision on a line is a change of the bill the other reader must see
    try:
        db.session.flush()
    except StaleDataError:
        raise BillChanged(
            f"Bill {reference} was changed by someone else at the same moment. Reload the page and try again."
        ) from None


def _check_reference(reference: str | None, hospital_id: int, *, allowed: str | None = None) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise BillError("Enter the hospital's invoice number of the bill.")
    if len(reference) > 60:
        raise BillError("The invoice number has at most 60 characters.")
    if reference != allowed:
        taken = db.session.scalar(
            select(HospitalBill.id).where(HospitalBill.hospital_id == hospital_id, HospitalBill.reference == reference)
        )
        if taken is not None:
            raise BillError(f"A bill {reference} of this hospital has already been received.")
    return reference


def _check_received_on(received_on: date | None) -> date:
    if received_on is None:
        raise BillError("Enter the date the bill was received.")
    if received_on > utcnow().date():
        raise BillError("The date the bill was received cannot be in the future.")
    return received_on


def _tariff_of(case: Case) -> TariffImport:
    if case.hospital_id is None or case.hospital is None:
        raise BillError(f"Case {case.number} has no hospital yet: choose its programme before receiving a bill.")
    tariff_import = latest_import(case.hospital_id)
    if tariff_import is None:
        raise BillError(f"{case.hospital.code} has no resident tariff yet; import it first.")
    return tariff_import


def _new_bill(
    case: Case,
    data: bytes | None,
    filename: str,
    reference: str,
    received_on: date,
    actor_id: int | None,
    *,
    status: str = "received",
    supersedes: HospitalBill | None = None,
) -> HospitalBill:
    if case.state not in BILLABLE_STATES:
        raise BillError(
            f"Case {case.number} is {case.state.replace('_', ' ')}: hospital bills are received once the patient has "
            "confirmed the programme."
        )
    tariff_import = _tariff_of(case)
    reference = _check_reference(reference, case.hospital_id, allowed=supersedes.reference if supersedes else None)
    received_on = _check_received_on(received_on)
    name = display_name(filename) if data is not None else ""
    raws: list[audit.RawLine] = []
    if data is not None:
        try:
            raws = read_bill_csv(data, max_bytes=max_bill_bytes())
        except BillFileError as error:
            raise BillError(f"Nothing was stored from “{name or 'the file'}”: {error.message}.") from None
    bill = HospitalBill(
        case_id=case.id,
        hospital_id=case.hospital_id,
        reference=reference,
        received_on=received_on,
        status=status,
        tariff_import_id=tariff_import.id,
        supersedes_id=supersedes.id if supersedes else None,
        source_filename=(name or "")[:255],
        created_at=utcnow(),
        created_by_id=actor_id,
    )
    db.session.add(bill)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Two uploads of the same bill at once: the unique index lets one through.
        raise BillError(f"Bill {reference} of this hospital was received a moment ago; reload the case.") from None
    rows = []
    for position, (result, line, reason) in enumerate(_audit(raws, tariff_import.id, _context(case)), start=1):
        raw = result.source
        rows.append(
            {
                "bill_id": bill.id,
                "position": position,
                "line_no": result.line,
                "raw_date": (raw.date or "").strip()[:40],
                "code": (raw.code or "").strip()[:40],
                "description": (raw.description or "").strip()[:300],
                "raw_quantity": (raw.quantity or "").strip()[:40],
                "raw_unit_price": (raw.unit_price or "").strip()[:40],
                "raw_currency": (raw.currency or "").strip()[:10],
                "decision_reason": "",
                **_audited_values(result, line, reason),
            }
        )
    # One executemany per chunk: the ORM would insert row by row where it needs the new ids back (SQLite).
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert(BillLine.__table__), rows[start : start + INSERT_CHUNK])
    stored = db.session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.position)).all()
    set_committed_value(bill, "lines", list(stored))
    return bill


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {LINE_STATUS_LABELS[s].lower()}" for s, n in counts.items()) or "no lines"


def receive_bill(
    case_id: int,
    data: bytes | None,
    filename: str,
    reference: str,
    received_on: date | None,
    actor_id: int | None,
) -> HospitalBill:
    """Store a hospital's bill for a case, audited line by line against the hospital's current resident tariff.

    The hospital is the case's; without a current tariff nothing is stored. A file that cannot be used at all is
    refused whole; an unreadable row becomes an `invalid` line. Without a file the bill starts empty, for line-by-line
    entry. The case's stay (with BILL_STAY_MARGIN_DAYS) and its programme's codes are checked too.
    """
    case = get_case(case_id)
    bill = _new_bill(case, data, filename, reference, received_on, actor_id)
    summary = audit.status_counts(_results_of(bill.lines))
    source = f" from {bill.source_filename}" if bill.source_filename else " (lines to be entered)"
    _event(bill, actor_id, f"Bill {bill.reference}: received{source}, {_counts_text(summary)}", lines=len(bill.lines))
    return bill


def add_line(
    bill_id: int,
    *,
    service_date: str,
    code: str,
    description: str,
    quantity: str,
    unit_price: str,
    currency: str,
    actor_id: int | None,
    expected_version: int | None = None,
) -> BillLine:
    """Add a line as the hospital wrote it, then audit the whole bill again (a duplicate is seen whichever line came
    first). Only while the bill is received or under review; against the tariff the bill was received with."""
    bill = get_bill(bill_id, with_lines=True)
    _check_version(bill, expected_version)
    _require_status(bill, OPEN_FOR_LINES, "its lines cannot change")
    if not (code or "").strip():
        raise BillError("Enter the line's code.")
    case = get_case(bill.case_id)
    lines = list(bill.lines)
    row = BillLine(
        position=len(lines) + 1,
        line_no=max((line.line_no for line in lines), default=0) + 1,
        raw_date=(service_date or "").strip()[:40],
        code=(code or "").strip()[:40],
        description=(description or "").strip()[:300],
        raw_quantity=(quantity or "").strip()[:40],
        raw_unit_price=(unit_price or "").strip()[:40],
        raw_currency=(currency or "").strip().upper()[:10],
        status=audit.INVALID,
    )
    lines.append(row)
    # The whole bill is audited so that the new line is checked against the earlier ones (a duplicate), but only the
    # new line takes its result: the stored lines keep the status they were decided on.
    *_, (result, line, reason) = _audit([_raw_of(line) for line in lines], bill.tariff_import_id, _context(case))
    _apply_result(row, result, line, reason)
    bill.lines.append(row)
    _save(bill)
    _event(
        bill,
        actor_id,
        f"Bill {bill.reference}: line {row.line_no} added ({row.code}, {LINE_STATUS_LABELS[row.status].lower()})",
        line=row.line_no,
    )
    return row


def start_review(bill_id: int, *, actor_id: int | None, expected_version: int | None = None) -> HospitalBill:
    """received -> under_review: finance starts working the findings. A bill without lines has nothing to review."""
    bill = get_bill(bill_id, with_lines=True)
    _check_version(bill, expected_version)
    _require_status(bill, "received", "its review has already started")
    if not bill.lines:
        raise BillError(f"Bill {bill.reference} has no lines yet: enter them before the review.")
    bill.status = "under_review"
    _save(bill)
    _event(bill, actor_id, f"Bill {bill.reference}: review started")
    return bill


def decide_line(
    line_id: int,
    decision: str,
    reason: str | None,
    *,
    actor_id: int | None,
    bill_id: int | None = None,
    expected_version: int | None = None,
) -> BillLine:
    """Accept or dispute one line (a dispute needs a reason for the hospital). Only while the bill is under review;
    a decision may be changed, and every decision is logged."""
    line = db.session.get(BillLine, line_id)
    if line is None or (bill_id is not None and line.bill_id != bill_id):
        raise NotFound("There is no such line on this bill.")
    bill = get_bill(line.bill_id)
    _check_version(bill, expected_version)
    _require_status(bill, "under_review", "lines are decided while it is under review")
    if decision not in ("accepted", "disputed"):
        raise BillError("Choose to accept or to dispute the line.")
    reason = (reason or "").strip()
    if decision == "disputed" and not reason:
        raise BillError(f"Say why line {line.line_no} is disputed: the hospital will read it.")
    if decision == "accepted" and not reason and line.status in ACCEPT_NEEDS_REASON:
        raise BillError(
            f"Say why line {line.line_no} is accepted: it is {LINE_STATUS_LABELS[line.status].lower()}, so no "
            "resident price was compared with it."
        )
    if len(reason) > 1000:
        raise BillError("The reason has at most 1,000 characters.")
    before = line.decision
    line.decision = decision
    line.decision_reason = reason
    line.decided_at = utcnow()
    line.decided_by_id = actor_id
    _save(bill)
    verb = "accepted" if decision == "accepted" else "disputed"
    change = f" (was {before})" if before and before != decision else (" again" if before == decision else "")
    _event(
        bill,
        actor_id,
        f"Bill {bill.reference}: line {line.line_no} ({line.code}, {LINE_STATUS_LABELS[line.status].lower()}) "
        f"{verb}{change}" + (f": {reason}" if reason else ""),
        line=line.line_no,
        decision=decision,
        previous_decision=before,
    )
    return line


def approve_bill(
    bill_id: int, *, actor_id: int | None, override_note: str | None = None, expected_version: int | None = None
) -> HospitalBill:
    """under_review -> approved. Refused while a line is disputed (dispute the bill instead), and while a finding
    that matters (overcharged, outside the stay, not in the programme) or a line without a price comparison (invalid,
    duplicate, credit, unknown code, no valid tariff, currency mismatch) is undecided, unless an override note of at
    least 10 characters says why. An overridden line is still not accepted: no invoice charges it."""
    bill = get_bill(bill_id, with_lines=True)
    _check_version(bill, expected_version)
    _require_status(bill, "under_review", "only a bill under review is approved")
    summary = bill_summary(bill)
    if summary.disputed_lines:
        n = summary.disputed_lines
        raise BillError(
            f"Bill {bill.reference} has {n} disputed line{'s' if n != 1 else ''}: dispute the bill instead, "
            "or accept the line first."
        )
    note = (override_note or "").strip()
    if summary.undecided_blocking_count:
        if not note:
            raise BillError(
                f"Bill {bill.reference} still has undecided findings ({_counts_text(summary.undecided_blocking)}): "
                "decide them, or approve with an override note saying why."
            )
        if len(note) < MIN_OVERRIDE_NOTE:
            raise BillError(f"The override note needs at least {MIN_OVERRIDE_NOTE} characters: say why.")
    if len(note) > 2000:
        raise BillError("The override note has at most 2,000 characters.")
    bill.status = "approved"
    bill.decided_at = utcnow()
    bill.decided_by_id = actor_id
    bill.override_note = note if summary.undecided_blocking_count else ""
    _save(bill)
    override = (
        f" despite {summary.undecided_blocking_count} undecided finding"
        f"{'s' if summary.undecided_blocking_count != 1 else ''} ({note})"
        if bill.override_note
        else ""
    )
    _event(bill, actor_id, f"Bill {bill.reference}: approved{override}", override=bool(bill.override_note))
    return bill


def dispute_bill(
    bill_id: int, *, actor_id: int | None, note: str | None = None, expected_version: int | None = None
) -> HospitalBill:
    """under_review -> disputed: the bill goes back to the hospital with its disputed lines (at least one)."""
    bill = get_bill(bill_id, with_lines=True)
    _check_version(bill, expected_version)
    _require_status(bill, "under_review", "only a bill under review is disputed")
    disputed = [line for line in bill.lines if line.decision == "disputed"]
    if not disputed:
        raise BillError(f"Bill {bill.reference} has no disputed line: dispute a line (with its reason) first.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise BillError("The note has at most 2,000 characters.")
    bill.status = "disputed"
    bill.decided_at = utcnow()
    bill.decided_by_id = actor_id
    _save(bill)
    n = len(disputed)
    _event(
        bill,
        actor_id,
        f"Bill {bill.reference}: disputed ({n} line{'s' if n != 1 else ''})" + (f": {note}" if note else ""),
        disputed_lines=n,
    )
    return bill


def receive_correction(
    bill_id: int,
    data: bytes | None,
    filename: str,
    reference: str,
    received_on: date | None,
    actor_id: int | None,
    *,
    expected_version: int | None = None,
) -> HospitalBill:
    """The hospital's corrected bill for a disputed one: a new bill that supersedes it and starts under review.
    The disputed bill stays as it was, read-only; a bill is corrected once (correct the correction after that)."""
    old = get_bill(bill_id)
    _check_version(old, expected_version)
    _require_status(old, "disputed", "only a disputed bill is corrected")
    _, correction = corrections_of(old)
    if correction is not None:
        raise BillError(f"Bill {old.reference} has already been corrected by bill {correction.reference}.")
    if data is None:
        raise BillError("Choose the corrected bill's CSV file.")
    case = get_case(old.case_id)
    if case.hospital_id != old.hospital_id:
        raise BillError(
            f"Case {case.number} has moved to another hospital since bill {old.reference}; a correction comes from "
            "the hospital that sent the bill. Receive it as a new bill instead."
        )
    bill = _new_bill(case, data, filename, reference, received_on, actor_id, status="under_review", supersedes=old)
    _save(old)  # two corrections of the same bill at once: the second is refused
    counts = audit.status_counts(_results_of(bill.lines))
    _event(
        bill,
        actor_id,
        f"Bill {bill.reference}: corrected bill received for {old.reference} from {bill.source_filename}, "
        f"{_counts_text(counts)}",
        supersedes=old.reference,
        lines=len(bill.lines),
    )
    return bill


def mark_paid(
    bill_id: int, paid_on: date | None, *, actor_id: int | None, expected_version: int | None = None
) -> HospitalBill:
    """approved -> paid, on the date the transfer left."""
    bill = get_bill(bill_id)
    _check_version(bill, expected_version)
    _require_status(bill, "approved", "only an approved bill is paid")
    if paid_on is None:
        raise BillError("Enter the date the bill was paid.")
    if paid_on > utcnow().date():
        raise BillError("The payment date cannot be in the future.")
    if paid_on < bill.received_on:
        raise BillError("The payment date cannot be before the bill was received.")
    bill.status = "paid"
    bill.paid_on = paid_on
    _save(bill)
    _event(bill, actor_id, f"Bill {bill.reference}: paid on {paid_on.isoformat()}")
    return bill

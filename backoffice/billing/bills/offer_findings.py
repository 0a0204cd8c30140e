"""A hospital bill held against what the case's accepted treatment offer promised (`billing.signals`): the bill's
total, or one code's charges, above the offer's figures become bill-level `exceeds_offer` findings.

Compared in the same currency only (the offer's limits are in the tariff's currency, what bills are in); a line
without a readable amount does not count; a credit line lowers what is charged. A code the offer does not list is
not compared by code (the audit's "not in the programme" and the total cover it). The findings are replaced each time
the bill's lines are audited (received, corrected, a line added).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete
from sqlalchemy.orm.attributes import set_committed_value

from backoffice.billing.models import BillFinding, BillLine, HospitalBill
from backoffice.billing.signals import OfferLimits, limits_of
from backoffice.cases.models import Case
from backoffice.extensions import db

EXCEEDS_OFFER = "exceeds_offer"
TOTAL_DESCRIPTION = "Bill total (treatment)"


@dataclass(frozen=True, slots=True)
class Excess:
    code: str  # "": the bill's total
    description: str
    charged: Decimal
    promised: Decimal
    currency: str
    offer_id: int
    offer_label: str

    @property
    def difference(self) -> Decimal:
        return self.charged - self.promised


def charged_by_code(lines: Iterable[BillLine], currency: str) -> tuple[Decimal, dict[str, Decimal]]:
    """What the bill charges in `currency`: in total and per code (lines without a readable amount left out)."""
    total = Decimal("0.00")
    by_code: dict[str, Decimal] = {}
    for line in lines:
        if line.charged is None or line.currency != currency:
            continue
        total += line.charged
        by_code[line.code] = by_code.get(line.code, Decimal("0.00")) + line.charged
    return total, by_code


def excesses(lines: Iterable[BillLine], limits: Iterable[OfferLimits]) -> list[Excess]:
    """The bill's total and each code's charges above the offer's, per currency the offer has: the total first."""
    lines = list(lines)
    found: list[Excess] = []
    for limit in limits:
        total, by_code = charged_by_code(lines, limit.currency)
        if not any(line.currency == limit.currency and line.charged is not None for line in lines):
            continue
        if total > limit.total:
            found.append(Excess("", TOTAL_DESCRIPTION, total, limit.total, limit.currency, limit.offer_id, limit.label))
        for code, (description, promised) in limit.per_code.items():
            charged = by_code.get(code)
            if charged is not None and charged > promised:
                found.append(Excess(code, description, charged, promised, limit.currency, limit.offer_id, limit.label))
    return found


def refresh_offer_findings(bill: HospitalBill, case: Case, lines: Iterable[BillLine]) -> list[BillFinding]:
    """Replace the bill's findings by what its lines charge against the case's accepted offer now
    (none when the case has no accepted offer); flushes."""
    db.session.execute(
        delete(BillFinding).where(BillFinding.bill_id == bill.id).execution_options(synchronize_session=False)
    )
    rows = [
        BillFinding(
            bill_id=bill.id,
            position=position,
            kind=EXCEEDS_OFFER,
            code=excess.code,
            description=excess.description[:300],
            charged=excess.charged,
            promised=excess.promised,
            currency=excess.currency,
            offer_id=excess.offer_id,
            offer_label=excess.offer_label[:60],
        )
        for position, excess in enumerate(excesses(lines, limits_of(case)), start=1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    set_committed_value(bill, "findings", rows)
    return rows


def above_offer_text(findings: Iterable[BillFinding]) -> str:
    """For the timeline (stored, so in English): ", above the accepted offer: total, SC-001", or nothing."""
    names = [finding.code or "total" for finding in findings]
    return f", above the accepted offer: {', '.join(names)}" if names else ""

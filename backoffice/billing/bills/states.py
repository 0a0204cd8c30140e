"""A bill's states and its lines' statuses, what each allows, and what every change of a bill does.

received -> under_review -> approved | disputed; a disputed bill stays as it was (read-only) when the hospital sends
a corrected bill, which supersedes it and starts under review; an approved bill becomes paid.

Every change is checked against the bill version the user saw (optimistic locking), appears on the case timeline
with an audit row, and flushes; the caller commits.
"""

from __future__ import annotations

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from backoffice.billing import audit
from backoffice.billing.models import NEEDS_DECISION, HospitalBill
from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.errors import DomainError
from backoffice.extensions import db

# A bill is received once the patient has confirmed the programme (pre-treatment examinations included).
BILLABLE_STATES = ("confirmed", "travel_booked", "in_treatment", "discharged", "aftercare", "closed")
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


class BillError(DomainError):
    pass


class BillChanged(BillError):
    """Someone else changed the bill since this user loaded it."""

    status_code = 409


def counts_text(counts: dict[str, int]) -> str:
    """How many lines have each status, in words for the timeline ("3 ok, 1 overcharged")."""
    return ", ".join(f"{n} {LINE_STATUS_LABELS[s].lower()}" for s, n in counts.items()) or "no lines"


def log_change(bill: HospitalBill, actor_id: int | None, note: str, **details) -> None:
    """The change on the case timeline, with its audit row."""
    case = db.session.get(Case, bill.case_id)
    record_case_event(
        case,
        "bill",
        actor_id,
        note=note,
        audit={"bill_id": bill.id, "reference": bill.reference, "status": bill.status, **details},
    )


def check_version(bill: HospitalBill, expected_version: int | None) -> None:
    """The bill is still the version the user saw."""
    if expected_version is not None and bill.version != expected_version:
        raise BillChanged(
            f"Bill {bill.reference} was changed by someone else while you were looking at it. "
            "Reload the page to see the change, then try again."
        )


def require_status(bill: HospitalBill, allowed: str | tuple[str, ...], rule: str) -> None:
    """The bill is in one of the `allowed` states; otherwise BillError saying the `rule`."""
    if bill.status not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise BillError(f"Bill {bill.reference} is {STATUS_LABELS[bill.status].lower()}: {rule}.")


def save_bill(bill: HospitalBill) -> None:
    """Flush, bumping the bill's version; a concurrent change of the same bill becomes BillChanged."""
    reference = bill.reference
    flag_modified(bill, "status")  # a decision on a line is a change of the bill the other reader must see
    try:
        db.session.flush()
    except StaleDataError:
        raise BillChanged(
            f"Bill {reference} was changed by someone else at the same moment. Reload the page and try again."
        ) from None

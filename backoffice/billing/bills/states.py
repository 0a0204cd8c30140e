"""A bill's states and its lines' statuses, what each allows, and what every change of a bill does.

received -> under_review -> approved | disputed; a disputed bill stays as it was (read-only) when the hospital sends
a corrected bill, which supersedes it and starts under review; an approved bill becomes paid.

Every change is checked against the bill version the user saw (optimistic locking), appears on the case timeline
with an audit row, and flushes; the caller commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from backoffice.billing import audit
from backoffice.billing.models import NEEDS_DECISION, HospitalBill
from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.patients.restriction import refuse_changes

# A bill is received once the patient has confirmed the programme (pre-treatment examinations included).
BILLABLE_STATES = ("confirmed", "travel_booked", "in_treatment", "discharged", "aftercare", "closed")
BLOCKING_STATUSES = NEEDS_DECISION  # see billing.models
# Accepting one of these says why: nothing compared its price, finance vouches for it (a credit gives money back).
ACCEPT_NEEDS_REASON = (audit.INVALID, *sorted(audit.UNPRICED))
OPEN_FOR_LINES = ("received", "under_review")
NEEDS_REVIEW = ("received", "under_review")
# Labels marked for the catalogues; translated where shown (the timeline and refusals keep the English words).
STATUS_LABELS = {
    "received": N_("Received"),
    "under_review": N_("Under review"),
    "approved": N_("Approved"),
    "disputed": N_("Disputed"),
    "paid": N_("Paid"),
}
LINE_STATUS_LABELS = {
    audit.INVALID: N_("Unreadable"),
    audit.DUPLICATE: N_("Duplicate"),
    audit.CREDIT: N_("Credit"),
    audit.UNKNOWN_CODE: N_("Unknown code"),
    audit.NO_VALID_TARIFF: N_("No valid tariff"),
    audit.CURRENCY_MISMATCH: N_("Currency mismatch"),
    audit.OUTSIDE_STAY: N_("Outside the stay"),
    audit.NOT_IN_PROGRAMME: N_("Not in the programme"),
    audit.OVERCHARGED: N_("Overcharged"),
    audit.BELOW_TARIFF: N_("Below tariff"),
    audit.OK_ROUNDING: N_("OK with rounding"),
    audit.OK: N_("OK"),
}
# The same labels inside a sentence ("2 overcharged", "the bill is approved"): English lowers them, German keeps its
# nouns capitalised, so each language has its own in-sentence word. Translated where shown.
STATUS_WORDS = {
    "received": N_("received"),
    "under_review": N_("under review"),
    "approved": N_("approved"),
    "disputed": N_("disputed"),
    "paid": N_("paid"),
}
LINE_STATUS_WORDS = {
    audit.INVALID: N_("unreadable"),
    audit.DUPLICATE: N_("duplicate"),
    audit.CREDIT: N_("credit"),
    audit.UNKNOWN_CODE: N_("unknown code"),
    audit.NO_VALID_TARIFF: N_("no valid tariff"),
    audit.CURRENCY_MISMATCH: N_("currency mismatch"),
    audit.OUTSIDE_STAY: N_("outside the stay"),
    audit.NOT_IN_PROGRAMME: N_("not in the programme"),
    audit.OVERCHARGED: N_("overcharged"),
    audit.BELOW_TARIFF: N_("below tariff"),
    audit.OK_ROUNDING: N_("ok with rounding"),
    audit.OK: N_("ok"),
}


class BillError(DomainError):
    pass


class BillChanged(BillError):
    """Someone else changed the bill since this user loaded it."""

    status_code = 409


def counts_text(counts: dict[str, int]) -> str:
    """How many lines have each status, in words for the timeline ("3 ok, 1 overcharged"): stored, so in English."""
    return ", ".join(f"{n} {LINE_STATUS_LABELS[s].lower()}" for s, n in counts.items()) or "no lines"


def counts_shown(counts: dict[str, int]) -> str:
    """The same counts in the page's language, for a message shown right away."""
    return ", ".join(f"{n} {_(LINE_STATUS_WORDS[s])}" for s, n in counts.items()) or _("no lines")


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


def refuse_restricted(bill: HospitalBill) -> None:
    """An erased patient's bill is kept for the books as it stands: no line, decision, correction or payment is added
    (`patients.restriction`)."""
    refuse_changes(db.session.get(Case, bill.case_id).patient_id)


def check_version(bill: HospitalBill, expected_version: int | None) -> None:
    """The bill is still the version the user saw."""
    if expected_version is not None and bill.version != expected_version:
        raise BillChanged(
            _(
                "Bill %(reference)s was changed by someone else while you were looking at it. "
                "Reload the page to see the change, then try again.",
                reference=bill.reference,
            )
        )


def require_status(bill: HospitalBill, allowed: str | tuple[str, ...], rule: str) -> None:
    """The bill is in one of the `allowed` states; otherwise BillError saying the `rule` (marked with `N_()`)."""
    if bill.status not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise BillError(
            _(
                "Bill %(reference)s is %(status)s: %(rule)s.",
                reference=bill.reference,
                status=_(STATUS_WORDS[bill.status]),
                rule=_(rule),
            )
        )


def save_bill(bill: HospitalBill) -> None:
    """Flush, bumping the bill's version; a concurrent change of the same bill becomes BillChanged."""
    reference = bill.reference
    flag_modified(bill, "status")  # a decision on a line is a change of the bill the other reader must see
    try:
        db.session.flush()
    except StaleDataError:
        raise BillChanged(
            _(
                "Bill %(reference)s was changed by someone else at the same moment. Reload the page and try again.",
                reference=reference,
            )
        ) from None

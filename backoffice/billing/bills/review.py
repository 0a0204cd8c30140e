"""The review of a hospital bill by finance: starting it, accepting or disputing each line, then approving or
disputing the bill, and marking an approved bill paid (the states are in `bills.states`).

A finding that matters, or a line nothing could price, needs a decision before the bill is approved; a disputed
line goes back to the hospital with its reason (`billing.disputes`).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from backoffice.billing.bills.listing import bill_summary, get_bill
from backoffice.billing.bills.states import (
    ACCEPT_NEEDS_REASON,
    LINE_STATUS_LABELS,
    LINE_STATUS_WORDS,
    BillError,
    check_version,
    counts_shown,
    log_change,
    refuse_restricted,
    require_status,
    save_bill,
)
from backoffice.billing.models import BillLine, HospitalBill
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import N_

MIN_OVERRIDE_NOTE = 10


def start_review(bill_id: int, *, actor_id: int | None, expected_version: int | None = None) -> HospitalBill:
    """received -> under_review: finance starts working the findings. A bill without lines has nothing to review."""
    bill = get_bill(bill_id, with_lines=True)
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, "received", N_("its review has already started"))
    if not bill.lines:
        raise BillError(
            _("Bill %(reference)s has no lines yet: enter them before the review.", reference=bill.reference)
        )
    bill.status = "under_review"
    save_bill(bill)
    log_change(bill, actor_id, f"Bill {bill.reference}: review started")
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
        raise NotFound(_("There is no such line on this bill."))
    bill = get_bill(line.bill_id)
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, "under_review", N_("lines are decided while it is under review"))
    if decision not in ("accepted", "disputed"):
        raise BillError(_("Choose to accept or to dispute the line."))
    reason = (reason or "").strip()
    if decision == "disputed" and not reason:
        raise BillError(_("Say why line %(number)s is disputed: the hospital will read it.", number=line.line_no))
    if decision == "accepted" and not reason and line.status in ACCEPT_NEEDS_REASON:
        raise BillError(
            _(
                "Say why line %(number)s is accepted: it is %(status)s, so no resident price was compared with it.",
                number=line.line_no,
                status=_(LINE_STATUS_WORDS[line.status]),
            )
        )
    if len(reason) > 1000:
        raise BillError(_("The reason has at most 1,000 characters."))
    before = line.decision
    line.decision = decision
    line.decision_reason = reason
    line.decided_at = utcnow()
    line.decided_by_id = actor_id
    save_bill(bill)
    verb = "accepted" if decision == "accepted" else "disputed"
    change = f" (was {before})" if before and before != decision else (" again" if before == decision else "")
    log_change(
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
    least 10 characters says why. An overridden line is still not accepted: no invoice charges it.

    A bill above the patient's accepted offer (an `exceeds_offer` finding: its total or a code's charges) is approved
    only with such a note too: the final invoice passes the bill on to a patient who was promised less. Bill-level
    findings have no decision of their own; disputing the lines above the offer, or the note, is the decision."""
    bill = get_bill(bill_id, with_lines=True)
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, "under_review", N_("only a bill under review is approved"))
    summary = bill_summary(bill)
    if summary.disputed_lines:
        raise BillError(
            ngettext(
                "Bill %(reference)s has %(num)d disputed line: dispute the bill instead, or accept the line first.",
                "Bill %(reference)s has %(num)d disputed lines: dispute the bill instead, or accept the line first.",
                summary.disputed_lines,
                reference=bill.reference,
            )
        )
    note = (override_note or "").strip()
    needs_note = bool(summary.undecided_blocking_count or summary.above_offer)
    if needs_note:
        if not note and summary.undecided_blocking_count:
            raise BillError(
                _(
                    "Bill %(reference)s still has undecided findings (%(counts)s): decide them, or approve with an "
                    "override note saying why.",
                    reference=bill.reference,
                    counts=counts_shown(summary.undecided_blocking),
                )
            )
        if not note:
            what = ", ".join(finding.code or _("the total") for finding in summary.above_offer)
            raise BillError(
                _(
                    "Bill %(reference)s charges more than the patient's accepted offer (%(what)s): approve it with an "
                    "override note saying why, or dispute the lines above the offer.",
                    reference=bill.reference,
                    what=what,
                )
            )
        if len(note) < MIN_OVERRIDE_NOTE:
            raise BillError(
                _("The override note needs at least %(count)s characters: say why.", count=MIN_OVERRIDE_NOTE)
            )
    if len(note) > 2000:
        raise BillError(_("The override note has at most 2,000 characters."))
    bill.status = "approved"
    bill.decided_at = utcnow()
    bill.decided_by_id = actor_id
    bill.override_note = note if needs_note else ""
    save_bill(bill)
    log_change(
        bill,
        actor_id,
        f"Bill {bill.reference}: approved{_override_text(summary, note) if needs_note else ''}",
        override=bool(bill.override_note),
    )
    return bill


def _override_text(summary, note: str) -> str:
    """For the timeline (English): " despite 2 undecided findings and charges above the accepted offer (note)"."""
    n = summary.undecided_blocking_count
    reasons = [f"{n} undecided finding{'s' if n != 1 else ''}"] if n else []
    if summary.above_offer:
        reasons.append("charges above the accepted offer")
    return f" despite {' and '.join(reasons)} ({note})"


def dispute_bill(
    bill_id: int, *, actor_id: int | None, note: str | None = None, expected_version: int | None = None
) -> HospitalBill:
    """under_review -> disputed: the bill goes back to the hospital with its disputed lines (at least one)."""
    bill = get_bill(bill_id, with_lines=True)
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, "under_review", N_("only a bill under review is disputed"))
    disputed = [line for line in bill.lines if line.decision == "disputed"]
    if not disputed:
        raise BillError(
            _(
                "Bill %(reference)s has no disputed line: dispute a line (with its reason) first.",
                reference=bill.reference,
            )
        )
    note = (note or "").strip()
    if len(note) > 2000:
        raise BillError(_("The note has at most 2,000 characters."))
    bill.status = "disputed"
    bill.decided_at = utcnow()
    bill.decided_by_id = actor_id
    save_bill(bill)
    n = len(disputed)
    log_change(
        bill,
        actor_id,
        f"Bill {bill.reference}: disputed ({n} line{'s' if n != 1 else ''})" + (f": {note}" if note else ""),
        disputed_lines=n,
    )
    return bill


def mark_paid(
    bill_id: int, paid_on: date | None, *, actor_id: int | None, expected_version: int | None = None
) -> HospitalBill:
    """approved -> paid, on the date the transfer left."""
    bill = get_bill(bill_id)
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, "approved", N_("only an approved bill is paid"))
    if paid_on is None:
        raise BillError(_("Enter the date the bill was paid."))
    if paid_on > utcnow().date():
        raise BillError(_("The payment date cannot be in the future."))
    if paid_on < bill.received_on:
        raise BillError(_("The payment date cannot be before the bill was received."))
    bill.status = "paid"
    bill.paid_on = paid_on
    save_bill(bill)
    log_change(bill, actor_id, f"Bill {bill.reference}: paid on {paid_on.isoformat()}")
    return bill

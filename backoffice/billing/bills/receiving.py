"""Receiving hospital bills: a bill from the hospital's CSV (or empty, for line-by-line entry), a line added by
hand, and the corrected bill the hospital sends for a disputed one.

Each line is audited when it is received (`bills.findings`) against the hospital's resident tariff, the case's stay
and its programme, and the result is stored with the line as the hospital wrote it.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from backoffice.billing import audit
from backoffice.billing.bills.bill_file import BillFile, read_bill
from backoffice.billing.bills.csv_file import BillFileError
from backoffice.billing.bills.findings import apply_result, audit_context, audit_lines, audited_values, raw_of
from backoffice.billing.bills.listing import corrections_of, get_bill, results_of
from backoffice.billing.bills.offer_findings import above_offer_text, refresh_offer_findings
from backoffice.billing.bills.originals import keep_original
from backoffice.billing.bills.states import (
    BILLABLE_STATES,
    LINE_STATUS_LABELS,
    OPEN_FOR_LINES,
    BillError,
    check_version,
    counts_text,
    log_change,
    refuse_restricted,
    require_status,
    save_bill,
)
from backoffice.billing.models import BillLine, HospitalBill, TariffImport
from backoffice.billing.tariffs.current import latest_import
from backoffice.cases import states as case_states
from backoffice.cases.documents import display_name
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.einvoice.document import Document
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.notifications.operations import notify_case, path_for
from backoffice.patients.restriction import refuse_changes

INSERT_CHUNK = 1_000  # bill lines per INSERT statement


def max_bill_bytes() -> int:
    """The largest bill file read, in the app and by `flask bills audit` (BILL_MAX_MB, 10 MB unless configured)."""
    return int(settings().bill_max_mb or 10) * 1024 * 1024


def _check_reference(reference: str | None, hospital_id: int, *, allowed: str | None = None) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise BillError(_("Enter the hospital's invoice number."))
    if len(reference) > 60:
        raise BillError(_("The invoice number has at most 60 characters."))
    if reference != allowed:
        taken = db.session.scalar(
            select(HospitalBill.id).where(HospitalBill.hospital_id == hospital_id, HospitalBill.reference == reference)
        )
        if taken is not None:
            raise BillError(_("A bill %(reference)s of this hospital has already been received.", reference=reference))
    return reference


def _check_received_on(received_on: date | None) -> date:
    if received_on is None:
        raise BillError(_("Enter the date the bill was received (YYYY-MM-DD)."))
    if received_on > utcnow().date():
        raise BillError(_("The date the bill was received cannot be in the future."))
    return received_on


def _tariff_of(case: Case) -> TariffImport:
    if case.hospital_id is None or case.hospital is None:
        raise BillError(
            _("Case %(number)s has no hospital yet: choose its programme before receiving a bill.", number=case.number)
        )
    tariff_import = latest_import(case.hospital_id)
    if tariff_import is None:
        raise BillError(_("%(hospital)s has no resident tariff yet; import it first.", hospital=case.hospital.code))
    return tariff_import


def _read_file(data: bytes | None, name: str, hospital: Hospital) -> BillFile | None:
    """The uploaded file read (CSV or e-invoice, `bill_file.read_bill`), or a BillError saying nothing was stored."""
    if data is None:
        return None
    try:
        return read_bill(data, hospital, max_bytes=max_bill_bytes())
    except BillFileError as error:
        if name:
            message = _("Nothing was stored from “%(name)s”: %(problem)s.", name=name, problem=error.message)
        else:
            message = _("Nothing was stored from the file: %(problem)s.", problem=error.message)
        raise BillError(message) from None


def _reference_of(document: Document, entered: str | None) -> str:
    """An e-invoice's number (BT-1) is the bill's reference; one entered on the form must be the same."""
    number = document.number.strip()
    entered = (entered or "").strip()
    if entered and number and entered != number:
        raise BillError(
            _(
                "The e-invoice's number is %(number)s, not %(entered)s: check that this is the bill you meant, or "
                "leave the invoice number empty.",
                number=number,
                entered=entered,
            )
        )
    return entered or number


def _new_bill(
    case: Case,
    data: bytes | None,
    filename: str,
    reference: str,
    received_on: date | None,
    actor_id: int | None,
    *,
    status: str = "received",
    supersedes: HospitalBill | None = None,
) -> HospitalBill:
    if case.state not in BILLABLE_STATES:
        raise BillError(
            _(
                "Case %(number)s is at “%(state)s”: hospital bills are received once the patient has confirmed the "
                "programme.",
                number=case.number,
                state=_(case_states.label(case.state)),
            )
        )
    tariff_import = _tariff_of(case)
    name = display_name(filename) if data is not None else ""
    received = _read_file(data, name, case.hospital)
    document = received.document if received is not None else None
    if document is not None:
        reference = _reference_of(document, reference)
        received_on = received_on or utcnow().date()
    reference = _check_reference(reference, case.hospital_id, allowed=supersedes.reference if supersedes else None)
    received_on = _check_received_on(received_on)
    raws = received.lines if received is not None else []
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
    if received is not None and data is not None:
        keep_original(bill, case.hospital, data, received)
    db.session.add(bill)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Two uploads of the same bill at once: the unique index lets one through.
        raise BillError(
            _("Bill %(reference)s of this hospital was received a moment ago; reload the case.", reference=reference)
        ) from None
    rows = []
    audited = audit_lines(raws, tariff_import.id, audit_context(case))
    for position, (result, line, reason) in enumerate(audited, start=1):
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
                **audited_values(result, line, reason),
            }
        )
    # One executemany per chunk: the ORM would insert row by row where it needs the new ids back (SQLite).
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert(BillLine.__table__), rows[start : start + INSERT_CHUNK])
    stored = db.session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.position)).all()
    set_committed_value(bill, "lines", list(stored))
    refresh_offer_findings(bill, case, stored)
    notify_case(
        "bill_received",
        case,
        key=f"bill:{bill.id}",
        note=f"bill {reference}",
        except_user_id=actor_id,
        link=path_for("billing.show_bill", bill_id=bill.id),
    )
    return bill


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
    refuse_changes(case.patient)  # an erased patient's case takes no new bill
    bill = _new_bill(case, data, filename, reference, received_on, actor_id)
    counts = counts_text(audit.status_counts(results_of(bill.lines)))
    source = f" from {bill.source_filename}" if bill.source_filename else " (lines to be entered)"
    log_change(
        bill,
        actor_id,
        f"Bill {bill.reference}: received{source}, {counts}{above_offer_text(bill.findings)}",
        lines=len(bill.lines),
        above_offer=len(bill.findings),
        original_format=bill.original_format,
        original_sha256=bill.original_sha256,
    )
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
    refuse_restricted(bill)
    check_version(bill, expected_version)
    require_status(bill, OPEN_FOR_LINES, N_("its lines cannot change"))
    if not (code or "").strip():
        raise BillError(_("Enter the line's code."))
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
    raws = [raw_of(line) for line in lines]
    *_earlier, (result, line, reason) = audit_lines(raws, bill.tariff_import_id, audit_context(case))
    apply_result(row, result, line, reason)
    bill.lines.append(row)
    save_bill(bill)
    findings = refresh_offer_findings(bill, case, bill.lines)
    log_change(
        bill,
        actor_id,
        f"Bill {bill.reference}: line {row.line_no} added ({row.code}, {LINE_STATUS_LABELS[row.status].lower()})"
        f"{above_offer_text(findings)}",
        line=row.line_no,
        above_offer=len(findings),
    )
    return row


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
    refuse_restricted(old)
    check_version(old, expected_version)
    require_status(old, "disputed", N_("only a disputed bill is corrected"))
    _corrected, correction = corrections_of(old)
    if correction is not None:
        raise BillError(
            _(
                "Bill %(reference)s has already been corrected by bill %(correction)s.",
                reference=old.reference,
                correction=correction.reference,
            )
        )
    if data is None:
        raise BillError(_("Choose the corrected bill's CSV file."))
    case = get_case(old.case_id)
    if case.hospital_id != old.hospital_id:
        raise BillError(
            _(
                "Case %(number)s has moved to another hospital since bill %(reference)s; a correction comes from the "
                "hospital that sent the bill. Receive it as a new bill instead.",
                number=case.number,
                reference=old.reference,
            )
        )
    bill = _new_bill(case, data, filename, reference, received_on, actor_id, status="under_review", supersedes=old)
    save_bill(old)  # two corrections of the same bill at once: the second is refused
    counts = audit.status_counts(results_of(bill.lines))
    log_change(
        bill,
        actor_id,
        f"Bill {bill.reference}: corrected bill received for {old.reference} from {bill.source_filename}, "
        f"{counts_text(counts)}{above_offer_text(bill.findings)}",
        supersedes=old.reference,
        lines=len(bill.lines),
        above_offer=len(bill.findings),
    )
    return bill

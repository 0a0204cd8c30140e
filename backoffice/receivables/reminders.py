"""Payment reminders: finance sends the first, then the second, reminder of an issued invoice past its due date with
something left to pay.

Each reminder is a PDF in the patient's language (`reminder_letter`), archived once with its SHA-256 like the invoice
(`archive.store_pdf`), recorded in `payment_reminders` (one per invoice and level: the unique constraint makes a
second click, or two people at once, a refusal) and mailed to the patient through the automatic messages
(`payment_reminder`), in the same transaction; the audit trail and the case's timeline say who sent which. A
second reminder needs the first, and REMINDER_INTERVAL_DAYS since it; each asks for payment within
REMINDER_PAYMENT_DAYS of the day it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import operator_today
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.invoicing.accounts import account_of
from backoffice.invoicing.invoices import record_invoice_event
from backoffice.invoicing.models import Invoice
from backoffice.languages import for_patient
from backoffice.messages import automatic
from backoffice.messages.models import Message
from backoffice.patients.models import Patient
from backoffice.patients.restriction import RecordRestricted, refuse_changes
from backoffice.receivables.models import REMINDER_LEVELS, PaymentReminder
from backoffice.receivables.reminder_letter import render_reminder_pdf
from backoffice.storage import archive


class ReminderRefused(DomainError):
    """This reminder cannot be sent (not overdue, nothing left, already sent, the first missing or too recent)."""

    status_code = 409


class InvoiceNotFound(DomainError):
    status_code = 404


def level_name(level: int) -> str:
    return _("first reminder") if level == 1 else _("second reminder")


def reminders_of(invoice_id: int) -> list[PaymentReminder]:
    """The reminders sent for an invoice, first first (one statement)."""
    return list(
        db.session.scalars(
            select(PaymentReminder).where(PaymentReminder.invoice_id == invoice_id).order_by(PaymentReminder.level)
        )
    )


@dataclass(frozen=True, slots=True)
class ReminderPanel:
    """An issued invoice's reminders as its page shows them, and the one that may be sent next (None: none now)."""

    sent: list[PaymentReminder]
    next_level: int | None


def panel_of(invoice: Invoice) -> ReminderPanel:
    """The reminders sent for an issued invoice and the next level the rules allow today (three statements)."""
    sent = reminders_of(invoice.id)
    levels = {reminder.level for reminder in sent}
    next_level = next((level for level in REMINDER_LEVELS if level not in levels), None)
    if next_level is not None:
        try:
            refuse_changes(invoice.patient_id)
            _check(invoice, next_level, account_of(invoice).outstanding, sent, operator_today())
        except (ReminderRefused, RecordRestricted):
            next_level = None
    return ReminderPanel(sent, next_level)


@dataclass(frozen=True, slots=True)
class ReminderSent:
    reminder: PaymentReminder
    number: str
    message: Message | None  # None: the patient has no address, or an administrator switched the mail off


def _check(invoice: Invoice, level: int, left: Decimal, sent: list[PaymentReminder], today: date) -> None:
    """Refuse a reminder the rules do not allow, saying why."""
    if level not in REMINDER_LEVELS:
        raise ReminderRefused(_("There is no reminder level %(level)s: send the first or the second.", level=level))
    if invoice.is_draft or invoice.is_credit_note:
        raise ReminderRefused(_("Only an issued invoice can be reminded of."))
    if left <= 0:
        raise ReminderRefused(_("Nothing is left to pay on %(number)s: no reminder is due.", number=invoice.number))
    if invoice.due_on is None or invoice.due_on >= today:
        raise ReminderRefused(
            _(
                "%(number)s is not overdue yet: a reminder can be sent from the day after its due date.",
                number=invoice.number,
            )
        )
    by_level = {reminder.level: reminder for reminder in sent}
    if level in by_level:
        raise ReminderRefused(
            _(
                "The %(level)s of %(number)s was already sent on %(day)s; it is not sent twice.",
                level=level_name(level),
                number=invoice.number,
                day=by_level[level].sent_on.isoformat(),
            )
        )
    if level == 2:
        first = by_level.get(1)
        if first is None:
            raise ReminderRefused(_("Send the first reminder of %(number)s before the second.", number=invoice.number))
        earliest = first.sent_on + timedelta(days=settings().reminder_interval_days)
        if today < earliest:
            raise ReminderRefused(
                _(
                    "The second reminder of %(number)s can be sent from %(day)s, %(days)s days after the first.",
                    number=invoice.number,
                    day=earliest.isoformat(),
                    days=settings().reminder_interval_days,
                )
            )


def send_reminder(invoice_id: int, level: int, *, actor_id: int | None) -> ReminderSent:
    """Send the `level` reminder (1 or 2) of an overdue invoice: PDF archived, row stored, mail queued, trail written.

    Refused with the reason, nothing stored, when the invoice is not an issued overdue invoice with something left,
    when this level was sent already, or for the second when the first is missing or too recent, and to an erased
    patient (`patients.restriction`)."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None:
        raise InvoiceNotFound(_("There is no such invoice."))
    refuse_changes(invoice.patient_id)
    today = operator_today()
    left = account_of(invoice).outstanding
    _check(invoice, level, left, reminders_of(invoice.id), today)
    case = db.session.get(Case, invoice.case_id)
    patient = db.session.get(Patient, invoice.patient_id)
    language = for_patient(patient.preferred_language)
    due_on = today + timedelta(days=settings().reminder_payment_days)
    pdf = render_reminder_pdf(
        invoice,
        language=language,
        level=level,
        case_number=case.number,
        patient_name=patient.name,
        left=left,
        sent_on=today,
        due_on=due_on,
    )
    archived = archive.store_pdf(f"{invoice.number}-R{level}", today.year, pdf, kind="payment_reminder")
    reminder = PaymentReminder(
        invoice_id=invoice.id,
        level=level,
        sent_on=today,
        open_amount=left,
        currency=invoice.currency,
        due_on=due_on,
        language=language,
        pdf_filename=archived.filename,
        pdf_sha256=archived.sha256,
        pdf_size=archived.size,
        sent_by_id=actor_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
            db.session.flush()
    except IntegrityError:  # someone sent the same level at the same moment
        raise ReminderRefused(
            _(
                "The %(level)s of %(number)s was just sent by someone else.",
                level=level_name(level),
                number=invoice.number,
            )
        ) from None
    message = automatic.to_patient(
        "payment_reminder",
        patient,
        case_id=case.id,
        level=level,
        number=invoice.number,
        left=left,
        currency=invoice.currency,
        missed_due_on=invoice.due_on,
        due_on=due_on,
        portal_link=automatic.public_link("portal.list_invoices"),
    )
    record_invoice_event(
        invoice,
        case,
        actor_id,
        "reminder_sent",
        f"Payment reminder {level} for {invoice.number}: {left} {invoice.currency} left, due by {due_on.isoformat()}",
        level=level,
        left=str(left),
        due_on=due_on.isoformat(),
        pdf_sha256=archived.sha256,
        mailed=message is not None,
    )
    return ReminderSent(reminder, invoice.number, message)


def reminder_pdf(reminder_id: int, *, actor_id: int) -> tuple[PaymentReminder, bytes]:
    """The archived PDF of a reminder, exactly as sent (its hash checked), the download recorded in the trail."""
    reminder = db.session.get(PaymentReminder, reminder_id)
    if reminder is None:
        raise InvoiceNotFound(_("There is no such reminder."))
    pdf = archive.read_recorded(
        reminder.pdf_filename,
        reminder.pdf_sha256,
        action="invoice.reminder_downloaded",
        actor_id=actor_id,
        object_type="invoice",
        object_id=reminder.invoice_id,
        details={"level": reminder.level},
    )
    return reminder, pdf

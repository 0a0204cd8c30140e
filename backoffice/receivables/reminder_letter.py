"""How a payment reminder prints: plain text in the patient's language for `templates/receivables/reminder_pdf.html`,
rendered by `backoffice/pdf.py`.

It names the invoice (number, issue date, the due date it missed), what is left of it, the new date to pay by, and
the bank account frozen on the invoice when it was issued (never the live configuration: the patient pays to the
account the invoice named). Amounts and days are written the way the language writes them (`invoicing.printing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _

from backoffice.invoicing.models import Invoice
from backoffice.invoicing.printing import format_amount, format_day
from backoffice.pdf import isolate, render_pdf

TEMPLATE = "receivables/reminder_pdf.html"


@dataclass(frozen=True, slots=True)
class PrintedReminder:
    issuer: dict
    title: str
    level: int
    name: str
    bill_to_name: str
    bill_to_address: list[str]
    rows: list[tuple[str, str]]  # the reference block: label, value
    paragraphs: list[str]
    amounts: list[tuple[str, str]]  # total, paid or credited, left
    payment: str
    closing: str

    @property
    def reference(self) -> str:
        return f"{self.issuer.get('name', '')} · {self.title}"


def printed_reminder(
    invoice: Invoice,
    *,
    level: int,
    case_number: str,
    patient_name: str,
    left: Decimal,
    sent_on: date,
    due_on: date,
) -> PrintedReminder:
    """What the reminder shows, as text in the current language (call it under `force_locale`)."""
    issuer = dict(invoice.issuer or {})
    currency = invoice.currency
    number = invoice.number or ""
    title = _("Payment reminder") if level == 1 else _("Second payment reminder")
    paragraphs = [
        _(
            "according to our records, invoice %(number)s of %(issued)s, due on %(due)s, is not yet paid in full.",
            number=isolate(number),
            issued=format_day(invoice.issue_date),
            due=format_day(invoice.due_on),
        )
    ]
    if level == 2:
        paragraphs.append(
            _("We already reminded you of this invoice and have not received the amount left to pay since.")
        )
    paragraphs.append(_("If you have paid in the meantime, please disregard this reminder."))
    total = invoice.total or Decimal(0)
    address = [row.strip() for row in (invoice.bill_to_address or "").splitlines() if row.strip()]
    return PrintedReminder(
        issuer=issuer,
        title=f"{title} · {number}",
        level=level,
        name=" ".join(patient_name.split()),
        bill_to_name=invoice.bill_to_name or patient_name,
        bill_to_address=address,
        rows=[
            (_("Invoice no."), number),
            (_("Issue date"), format_day(invoice.issue_date)),
            (_("Due date"), format_day(invoice.due_on)),
            (_("Reminder date"), format_day(sent_on)),
            (_("Case"), case_number),
        ],
        paragraphs=paragraphs,
        amounts=[
            (_("Invoice total"), format_amount(total, currency)),
            (_("Paid, credited or deducted"), format_amount(total - left, currency)),
            (_("Left to pay"), format_amount(left, currency)),
        ],
        payment=_(
            "Please transfer %(amount)s by %(day)s to %(bank)s, IBAN %(iban)s, BIC %(bic)s, quoting %(reference)s.",
            amount=format_amount(left, currency),
            day=format_day(due_on),
            bank=issuer.get("bank", ""),
            iban=isolate(issuer.get("iban", "").replace(" ", "\u00a0")),
            bic=isolate(issuer.get("bic", "")),
            reference=isolate(number),
        ),
        closing=_("Kind regards,"),
    )


def render_reminder_pdf(invoice: Invoice, *, language: str, **values) -> bytes:
    """The reminder as an A4 PDF in `language` (the patient's; Arabic right to left)."""
    with force_locale(language):
        printed = printed_reminder(invoice, **values)
    return render_pdf(TEMPLATE, language=language, reminder=printed)

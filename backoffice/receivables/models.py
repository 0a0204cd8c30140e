"""Payment reminders: the first and the second reminder of an overdue invoice, each a PDF in the patient's language
given out once (archived with its SHA-256, like the invoice) and mailed."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.money import Amount

REMINDER_LEVELS = (1, 2)


class PaymentReminder(db.Model):
    __tablename__ = "payment_reminders"
    __table_args__ = (
        UniqueConstraint("invoice_id", "level", name="uq_payment_reminders_invoice_level"),
        CheckConstraint("level IN (1, 2)", name="level"),
        CheckConstraint("open_amount > 0", name="open_amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    level: Mapped[int]  # 1: first reminder, 2: second reminder
    sent_on: Mapped[date]  # the operator's day
    # What was still open, and the new date it is due by, as printed
    open_amount: Mapped[Decimal] = mapped_column(Amount(scale=2))
    currency: Mapped[str] = mapped_column(String(3))
    due_on: Mapped[date]
    language: Mapped[str] = mapped_column(String(5))  # the patient's, as printed and mailed
    pdf_filename: Mapped[str] = mapped_column(String(255))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf_size: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

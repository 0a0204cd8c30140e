"""A notification: something that needs one staff member, shown in their notification centre and, if they chose,
gathered into their email digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

# kind -> what the centre calls it
KINDS = {
    "new_request": "New request in the queue",
    "first_contact_due": "First contact due within 2 hours",
    "first_contact_overdue": "First contact overdue",
    "reply_received": "Reply received on my case",
    "unmatched_mail": "Mail matching no case",
    "mail_bounced": "Mail could not be delivered",
    "itinerary_problem": "Itinerary problem within 72 hours of travel",
    "medicine_order_failed": "Medicine order failed",
    "bill_received": "Hospital bill received for my case",
    "patient_upload": "The patient sent a document",
    "portal_message": "Portal message from the patient",
}


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per user and event: a job that runs twice (or every 15 minutes) does not repeat itself.
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notifications_user_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(300), default="")  # a path in the app, e.g. /cases/42
    dedupe_key: Mapped[str] = mapped_column(String(120))  # e.g. "reply_received:message:17"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # went out in an email digest

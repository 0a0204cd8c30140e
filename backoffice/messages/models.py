"""A message is a row first: what is sent, to whom, and how its sending went (the send job reads only this row).

Not yet here (later slices of issue 16): attachments, the `bounced` state from delivery reports, incoming replies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

MESSAGE_STATES = ("queued", "sent", "failed")


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (CheckConstraint(f"state IN ({', '.join(repr(s) for s in MESSAGE_STATES)})", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # "request_received", later "portal_invite", "manual" ...
    language: Mapped[str] = mapped_column(String(2))  # ISO 639-1 of the text
    to_addresses: Mapped[str] = mapped_column(Text)  # comma-separated, validated, lower-case
    cc_addresses: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # `<random@domain of MAIL_FROM>`, fixed when queued: every attempt sends the same one, so a receiver (and a test)
    # can tell a resend from a second message, and a reply's In-Reply-To finds its case.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: sent by the product itself
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def recipients(self) -> list[str]:
        return [a for a in (self.to_addresses + "," + self.cc_addresses).split(",") if a]

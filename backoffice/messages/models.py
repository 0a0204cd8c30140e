"""A message is a row first: what is sent or received, to and from whom, and how its sending went.

Outgoing messages (`direction` "outbound") are queued, then sent by the send job, which reads only this row and its
attachments; a delivery report (DSN) marks one `bounced`. Incoming ones ("inbound", state "received") are fetched
from the operator's mailbox and hang on their case's thread, or, matching no case, wait on the unmatched list
(`case_id` None) until staff assign them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

MESSAGE_STATES = ("queued", "sent", "failed", "bounced", "received")
DIRECTIONS = ("outbound", "inbound")
# Who is on the other side of a message, as coordinators name them.
COUNTERPARTS = ("patient", "hospital", "physician", "interpreter", "hotel", "staff", "other")
MATCHED_BY = ("in_reply_to", "references", "token", "staff")
# How a message travels: by mail (sent by the send job, or fetched from the mailbox), or on the patient portal's secure
# thread (stored only: the patient reads it signed in, and is told by mail that a message waits, without its content).
CHANNELS = ("email", "portal")


def _one_of(column: str, values: tuple[str, ...], *, nullable: bool = False) -> CheckConstraint:
    allowed = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return CheckConstraint(f"{column} IS NULL OR {allowed}" if nullable else allowed, name=column)


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        _one_of("state", MESSAGE_STATES),
        _one_of("direction", DIRECTIONS),
        _one_of("counterpart", COUNTERPARTS, nullable=True),
        _one_of("matched_by", MATCHED_BY, nullable=True),
        _one_of("channel", CHANNELS),
        Index("ix_messages_case_created_at", "case_id", "created_at"),
        Index("ix_messages_direction_case_id", "direction", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8), default="outbound", server_default="outbound")
    kind: Mapped[str] = mapped_column(String(40))  # "request_received", "portal_invite", "manual", "reply" ...
    language: Mapped[str] = mapped_column(String(2))  # ISO 639-1 of the text
    counterpart: Mapped[str | None] = mapped_column(String(12))
    from_address: Mapped[str] = mapped_column(String(254), default="", server_default="")  # inbound: the sender
    to_addresses: Mapped[str] = mapped_column(Text)  # comma-separated, validated, lower-case
    cc_addresses: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    # Outbound: written by us. Inbound: sanitised on arrival (nh3), never the sender's raw HTML.
    body_html: Mapped[str | None] = mapped_column(Text)
    # `<random@domain of MAIL_FROM>`, fixed when queued: every attempt sends the same one, so a receiver (and a test)
    # can tell a resend from a second message, and a reply's In-Reply-To finds its case. Inbound: the sender's.
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    in_reply_to: Mapped[str] = mapped_column(String(250), default="", server_default="")
    thread_references: Mapped[str] = mapped_column(Text, default="", server_default="")  # the References header
    matched_by: Mapped[str | None] = mapped_column(String(12))  # inbound: how its case was found
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the product itself / inbound
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # inbound: when we fetched it
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # inbound, matched by staff
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # inbound: first opened by staff
    channel: Mapped[str] = mapped_column(String(6), default="email", server_default="email")
    # Unmatched mail staff took off the list without a case: who, when and why (the mail itself is kept).
    discarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    discard_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", lazy="raise"
    )
    discarded_by: Mapped[User | None] = relationship(foreign_keys=[discarded_by_id], lazy="raise")

    @property
    def recipients(self) -> list[str]:
        return [a for a in (self.to_addresses + "," + self.cc_addresses).split(",") if a]


RECEIVED_FILE = "received"  # MessageAttachment.source of a received file kept (filed, or waiting for a case)


class MessageAttachment(db.Model):
    """A file that went out with a message, kept as sent in the store (`stored_key`: every attempt sends these bytes,
    checked against `sha256`), or one that came in with a reply: filed as a case document (`document_id`, type
    "received"), or, while its mail waits for a case (or its case took no documents), kept in the store."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # The key of its bytes in the store (`messages.attachments`); None: a received file filed at once, or not kept.
    stored_key: Mapped[str | None] = mapped_column(String(300))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    # Medical records and anything else about the patient's health: only to the patient, physician or hospital.
    health_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    source: Mapped[str] = mapped_column(String(30), default="", server_default="")  # "case_document", "itinerary" ...

    message: Mapped[Message] = relationship(back_populates="attachments")

    @property
    def kept(self) -> bool:
        """Its bytes are kept with the message (a file sent, or one waiting for a case): it is opened from the
        message. A received file filed as a case document is opened there."""
        return self.stored_key is not None and not (self.source == RECEIVED_FILE and self.document_id is not None)


class UndeliverableAddress(db.Model):
    """An address a delivery report said cannot be reached: the compose form warns, the coordinator is told."""

    __tablename__ = "undeliverable_addresses"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)  # lower-case
    reason: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the message that bounced
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AutomaticMessageSwitch(db.Model):
    """An administrator turned an automatic message kind off (or back on). No row: the kind is on."""

    __tablename__ = "automatic_message_switches"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


SHARING_CONSENT_FORMS = ("written", "verbal", "portal")


class SharingConsent(db.Model):
    """The patient agreed that these medical records of the case go to this physician (recorded before the
    consultation request that carries them is queued)."""

    __tablename__ = "sharing_consents"
    __table_args__ = (_one_of("given_as", SHARING_CONSENT_FORMS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("physicians.id"))
    document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    given_as: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the consultation request it allowed

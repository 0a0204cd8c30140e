"""A case: one patient's treatment abroad, from the first request to aftercare."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.cases.states import PIPELINE
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.directory.models import Contraindication, Hospital, Physician, Programme
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.patients.models import Patient

STATES = (*PIPELINE, "on_hold", "cancelled")
OPEN_STATES = tuple(state for state in STATES if state not in ("closed", "cancelled"))
SOURCES = ("web", "phone", "email", "referral")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in STATES)})", name="state"),
        Index("ix_cases_state_requested_at", "state", "requested_at"),
        Index("ix_cases_coordinator_state", "coordinator_id", "state"),
        Index("ix_cases_state_first_response_due_at", "state", "first_response_due_at"),
        # Trigram indexes on PostgreSQL answer LIKE '%word%'; on SQLite they are plain indexes.
        Index(
            "ix_cases_search_key", "search_key", postgresql_using="gin", postgresql_ops={"search_key": "gin_trgm_ops"}
        ),
        Index(
            "ix_cases_treatment_key",
            "treatment_key",
            postgresql_using="gin",
            postgresql_ops={"treatment_key": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # C-2026-00042
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(20), default="new")
    # Optimistic locking: every change bumps it; a change based on an older version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    source: Mapped[str] = mapped_column(String(10), default="web")
    requested_treatment: Mapped[str] = mapped_column(String(300))  # the diagnosis or treatment asked for
    destination_country: Mapped[str | None] = mapped_column(String(2))
    message: Mapped[str] = mapped_column(Text, default="")
    health_data_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"), index=True)
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physicians.id"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    # Every invoice of the case is in this currency (fixed once the first one is issued).
    invoicing_currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")

    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    next_action_on: Mapped[date | None] = mapped_column(index=True)
    next_action: Mapped[str] = mapped_column(String(200), default="")
    state_before_hold: Mapped[str | None] = mapped_column(String(20))
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Folded search keys (number, patient's name, email, phone; the treatment), kept by cases.search on every flush.
    search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    treatment_key: Mapped[str] = mapped_column(Text, default="", server_default="")

    patient: Mapped[Patient] = relationship(lazy="raise")
    coordinator: Mapped[User | None] = relationship(lazy="raise")
    hospital: Mapped[Hospital | None] = relationship(lazy="raise")
    physician: Mapped[Physician | None] = relationship(lazy="raise")
    programme: Mapped[Programme | None] = relationship(lazy="raise")
    screening: Mapped[list[ScreeningAnswer]] = relationship(
        back_populates="case", order_by="ScreeningAnswer.position", lazy="raise"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.state}>"


REMINDER_SOURCES = ("user", "follow_up", "medicine_order", "discharge")
REMINDER_STATES = ("open", "done", "cleared")


class Reminder(db.Model):
    """Something due on a case on a day, and whose it is: a user's own (`owner_id`), or the system's about one thing
    (`source` and `source_id`: the follow-up, the medicine order). A case has any number; nothing overwrites another's.
    The earliest open one is copied onto the case (`next_action_on`, `next_action`) by cases.reminders alone."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(f"source IN ({', '.join(repr(s) for s in REMINDER_SOURCES)})", name="source"),
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in REMINDER_STATES)})", name="state"),
        Index("ix_reminders_case_state_due_on", "case_id", "state", "due_on"),
        Index("ix_reminders_source_source_id", "source", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system's
    source: Mapped[str] = mapped_column(String(20), default="user")
    source_id: Mapped[int | None]  # the follow-up or medicine order a system reminder is about
    text: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date]
    # An optional time of day, as the UTC instant of that time on `due_on` in the operator's zone. The day stays in
    # `due_on`, so the case's copy, the case list's sort and the dashboard's "Due today" read the day alone.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="raise")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="raise")

    def is_late(self, now: datetime | None = None) -> bool:
        """Due on an earlier day, or today at a time already past."""
        now = now or utcnow()
        return self.due_on < now.date() or (self.due_at is not None and self.due_at < now)

    @property
    def owner_label(self) -> str:
        """Whose reminder it is, for people: the user's name (owner loaded), or "System (medicine order #12)"."""
        if self.source == "user":
            return self.owner.name if self.owner else "Nobody (a reminder from before reminders had owners)"
        what = self.source.replace("_", " ").replace("follow up", "follow-up")
        return f"System ({what} #{self.source_id})" if self.source_id else f"System ({what})"


class CaseEvent(db.Model):
    """One line of a case's history: a transition, an assignment, a change. Appended, never changed."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_occurred_at", "case_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))  # transition, assigned, programme_set, screening, document, ...
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(lazy="raise")


class ScreeningAnswer(db.Model):
    """One contraindication of the case's programme, as a question answered for this patient."""

    __tablename__ = "screening_answers"
    __table_args__ = (
        UniqueConstraint("case_id", "position"),
        CheckConstraint("answer IS NULL OR answer IN ('yes', 'no')", name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    contraindication_id: Mapped[int | None] = mapped_column(ForeignKey("contraindications.id", ondelete="SET NULL"))
    position: Mapped[int]
    question: Mapped[str] = mapped_column(String(300))  # copied: the checklist stays as it was asked
    resolution_hint: Mapped[str] = mapped_column(String(200), default="")
    answer: Mapped[str | None] = mapped_column(String(3))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")  # how a "yes" was resolved
    resolved_on: Mapped[date | None]
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The physician's written clearance the resolution rests on; None only when an administrator cleared it.
    clearance_document_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))

    case: Mapped[Case] = relationship(back_populates="screening")
    contraindication: Mapped[Contraindication | None] = relationship(lazy="raise")

    @property
    def is_open_positive(self) -> bool:
        return self.answer == "yes" and self.resolved_on is None


class CaseNote(db.Model):
    """An internal note, or the record of a message to or from the patient, the hospital or the physician."""

    __tablename__ = "case_notes"
    __table_args__ = (
        Index("ix_case_notes_case_created_at", "case_id", "created_at"),
        CheckConstraint("kind IN ('internal', 'message')", name="kind"),
        CheckConstraint("direction IS NULL OR direction IN ('inbound', 'outbound')", name="direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(10), default="internal")
    channel: Mapped[str | None] = mapped_column(String(20))  # email, phone, whatsapp, video, letter
    direction: Mapped[str | None] = mapped_column(String(10))
    counterpart: Mapped[str | None] = mapped_column(String(10))  # patient, hospital, physician
    body: Mapped[str] = mapped_column(Text)

    author: Mapped[User] = relationship(lazy="raise")


DOCUMENT_TYPES = {  # translated where shown (the patient's portal lists the documents shared with them)
    "medical_record": N_("Medical record"),
    "prescription": N_("Prescription"),
    "clearance": N_("Physician's clearance"),
    "passport_visa": N_("Passport or visa"),
    "received": N_("Received by mail"),
    "letter": N_("Letter"),
    "other": N_("Other"),
}


RECEIVED_BY_MAIL = "Received by mail"  # the uploader shown for a document that came with a mail


class CaseDocument(db.Model):
    """A document uploaded to a case, stored outside any web-served folder under a server-chosen name.

    Removing one is a soft delete: the row and the file stay (the audit trail points at them), lists hide it.
    """

    __tablename__ = "case_documents"
    __table_args__ = (
        CheckConstraint(f"document_type IN ({', '.join(repr(t) for t in DOCUMENT_TYPES)})", name="document_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # Who put it on the case: staff, or the patient through the portal; None for a file that came with a mail.
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))  # detected from the content, not the name
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(300), default="")
    document_type: Mapped[str] = mapped_column(String(20), default="medical_record", server_default="medical_record")
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removal_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Shared with the patient: the portal lists it for them to read and download (None: staff only).
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The coordinator's request this upload (by the patient, in the portal) answers.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("document_requests.id"))

    uploaded_by: Mapped[User | None] = relationship(lazy="raise", foreign_keys=[uploaded_by_id])

    @property
    def type_label(self) -> str:
        return DOCUMENT_TYPES.get(self.document_type, self.document_type)

    @property
    def uploader_name(self) -> str:
        """Who put it on the case, as pages show it: a file that came with a mail is nobody's upload (the
        description names the sender)."""
        return self.uploaded_by.name if self.uploaded_by_id is not None and self.uploaded_by else RECEIVED_BY_MAIL

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class DocumentRequest(db.Model):
    """What the coordinator asked the patient to upload through the portal ("your latest HbA1c results"): open until
    the patient uploads a file for it or the coordinator withdraws it."""

    __tablename__ = "document_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the patient uploaded a file for it
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None and self.withdrawn_at is None

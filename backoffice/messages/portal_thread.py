"""The patient portal's secure thread: what a patient and their coordinator write to each other about a case.

A portal message is a `Message` row on the case's thread with channel "portal", and never crosses a mail server
(the patient's mails about their health belong here rather than in plain email). The patient's ("inbound", state
"received", counterpart "patient") waits for the coordinator on the case page, who is notified; the coordinator's
("outbound", "sent" at once: there is no send job) waits in the portal, and the patient is told by an automatic
mail that a message waits, with the portal's link and without its content (kind "portal_message_waiting").

A patient reaches only the cases of the patient record their account opens: any other case id, another patient's or
none at all, gets the same NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.auth.models import User
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import for_patient
from backoffice.messages import automatic
from backoffice.messages.compose import check_composer
from backoffice.messages.models import Message
from backoffice.messages.operations import MessageRefused, new_message_id
from backoffice.notifications.operations import notify_case, path_for
from backoffice.patients.models import Patient
from backoffice.patients.restriction import refuse_changes
from backoffice.text import clean_text
from backoffice.trail import record_event

PORTAL = "portal"
MAX_TEXT = 5000  # characters of one portal message: a letter, not a file (documents go through their own upload)
SUBJECT_LENGTH = 80  # the staff thread lists a portal message by its beginning (it has no subject of its own)
WAITING = "portal_message_waiting"


class NoSuchCase(NotFound):
    def __init__(self) -> None:
        super().__init__(_("There is no such case among yours."))


@dataclass(frozen=True)
class PortalEntry:
    """One portal message as the patient reads it: from them, or from the named member of staff."""

    message: Message
    author: str  # the member of staff who wrote it; "" for the patient's own

    @property
    def from_patient(self) -> bool:
        return self.message.direction == "inbound"

    @property
    def at(self) -> datetime:
        return self.message.created_at


# ---------------------------------------------------------------------------------------------- reading


def case_of_account(case_id: int, user_id: int) -> Case:
    """The case, with its patient, when it belongs to the account's patient record; NoSuchCase otherwise."""
    case = db.session.scalar(
        select(Case)
        .join(Patient, Patient.id == Case.patient_id)
        .where(Case.id == case_id, Patient.user_id == user_id)
        .options(joinedload(Case.patient), joinedload(Case.coordinator))
    )
    if case is None:
        raise NoSuchCase()
    return case


def portal_thread(case_id: int) -> list[PortalEntry]:
    """The case's portal messages, oldest first (a conversation: the newest last), with who wrote each (two
    statements whatever their number)."""
    messages = db.session.scalars(
        select(Message)
        .where(Message.case_id == case_id, Message.channel == PORTAL)
        .order_by(Message.created_at, Message.id)
    ).all()
    staff_ids = {m.created_by_id for m in messages if m.direction == "outbound" and m.created_by_id}
    names = (
        dict(db.session.execute(select(User.id, User.name).where(User.id.in_(staff_ids))).all()) if staff_ids else {}
    )
    return [
        PortalEntry(m, "" if m.direction == "inbound" else names.get(m.created_by_id, settings().operator_name))
        for m in messages
    ]


# ---------------------------------------------------------------------------------------------- writing


def _checked_text(text: str | None) -> str:
    """The message as it is stored: control characters gone, line breaks kept; refused when empty or too long."""
    body = clean_text(text or "").strip()
    if not body:
        raise MessageRefused(_("Write your message first."))
    if len(body) > MAX_TEXT:
        raise MessageRefused(
            _("A message has at most %(limit)s characters; this one has %(count)s.", limit=MAX_TEXT, count=len(body))
        )
    return body


def _subject(body: str) -> str:
    first_line = " ".join(body.split("\n", 1)[0].split())
    return first_line if len(first_line) <= SUBJECT_LENGTH else first_line[: SUBJECT_LENGTH - 1] + "…"


def _portal_message(case: Case, body: str, **fields) -> Message:
    message = Message(
        case_id=case.id,
        channel=PORTAL,
        kind=PORTAL,
        counterpart="patient",
        language=for_patient(case.patient.preferred_language),
        subject=_subject(body),
        body_text=body + "\n",
        message_id=new_message_id(),  # unique like every message's; nobody's mail program ever sees it
        **fields,
    )
    db.session.add(message)
    db.session.flush()
    return message


def write_as_patient(case_id: int, *, user_id: int, text: str) -> Message:
    """The patient writes to their coordinator on one of their own cases; flushes, the caller commits.

    The case's coordinator is notified (every coordinator while nobody has taken the case), without the text: a
    notification may leave the building in the digest. The audit trail records who wrote on which case, not what.
    """
    case = case_of_account(case_id, user_id)
    body = _checked_text(text)
    now = utcnow()
    message = _portal_message(
        case,
        body,
        direction="inbound",
        state="received",
        from_address=case.patient.email or "",
        to_addresses="",
        created_by_id=user_id,
        received_at=now,
    )
    notify_case(
        "portal_message",
        case,
        key=f"message:{message.id}",
        link=path_for("messages.show_message", case_id=case.id, message_id=message.id),
        everyone_if_unassigned=True,
    )
    record_event(
        "portal.message_written",
        actor_id=user_id,
        object_type="case",
        object_id=case.id,
        details={"message_id": message.id, "characters": len(body), "by": "patient"},
    )
    return message


def write_to_patient(case_id: int, *, actor_id: int, text: str) -> Message:
    """A coordinator answers in the portal: the message waits there, and the patient is told by mail that it does
    (without its content). Refused when the patient has no portal account to read it with; flushes."""
    check_composer(actor_id)
    case = get_case(case_id)
    patient = case.patient
    refuse_changes(patient)
    if patient.user_id is None:
        raise MessageRefused(
            _("%(name)s has no portal account yet: invite them to the portal, or write by mail.", name=patient.name)
        )
    body = _checked_text(text)
    message = _portal_message(
        case,
        body,
        direction="outbound",
        state="sent",
        to_addresses=patient.email or "",
        created_by_id=actor_id,
        sent_at=utcnow(),
    )
    mail = tell_patient_a_message_waits(patient, case.id)
    record_event(
        "portal.message_written",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={
            "message_id": message.id,
            "characters": len(body),
            "by": "staff",
            "waiting_mail_id": mail.id if mail else None,
        },
    )
    return message


def tell_patient_a_message_waits(patient: Patient, case_id: int) -> Message | None:
    """Queue the "a message waits in the portal" mail in the patient's language, with the portal's link and
    nothing of the message; None when the kind is switched off or the patient has no usable address."""
    return automatic.to_patient(
        WAITING,
        patient,
        case_id=case_id,
        link=automatic.public_link("portal.case_messages", case_id=case_id),
        operator_name=settings().operator_name,
    )

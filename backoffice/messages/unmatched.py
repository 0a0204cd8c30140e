"""The unmatched list: received mail that matched no case, until staff assign it to a case or discard it.

Assigning puts the mail on the case's thread as if it had matched (its kept files filed as documents of type
"received", a line on the timeline, the coordinator told). Discarding keeps the mail (kind "discarded") and hides
it from the list; who discarded it and why is in the audit trail. Both are audited.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.messages import filing
from backoffice.messages.models import Message, MessageAttachment
from backoffice.pagination import Page, paginate
from backoffice.text import clean_line
from backoffice.trail import record_event

DISCARDED = "discarded"  # Message.kind of a mail taken off the list without a case
MAX_REASON = 500


class UnmatchedMailError(DomainError):
    """The mail cannot be assigned or discarded as asked (no such case, no reason)."""


def _waiting():
    return select(Message).where(Message.direction == "inbound", Message.case_id.is_(None), Message.kind != DISCARDED)


def list_unmatched(*, page: int = 1, per_page: int = 50) -> Page[Message]:
    """The mail waiting for a case, newest first (two statements)."""
    return paginate(_waiting(), page=page, per_page=per_page, order_by=(Message.received_at.desc(), Message.id.desc()))


def count_unmatched() -> int:
    return db.session.scalar(select(func.count()).select_from(_waiting().subquery())) or 0


def get_unmatched(message_id: int) -> Message:
    """One waiting mail with its files; 404 for anything else (a message of a case, a discarded one)."""
    message = db.session.scalar(_waiting().where(Message.id == message_id).options(selectinload(Message.attachments)))
    if message is None:
        raise NotFound("There is no such mail on the unmatched list.")
    return message


def waiting_file(message_id: int, attachment_id: int) -> MessageAttachment:
    """A kept file of a waiting mail (its bytes are on the row until the mail is assigned)."""
    message = get_unmatched(message_id)
    for attachment in message.attachments:
        if attachment.id == attachment_id and attachment.content is not None:
            return attachment
    raise NotFound("This mail has no such file.")


def assign_to_case(message_id: int, case_number: str, actor_id: int) -> Message:
    """Put a waiting mail on the case numbered `case_number`, as if it had matched: files filed, coordinator told."""
    message = get_unmatched(message_id)
    number = clean_line(case_number or "").strip().upper()
    if not number:
        raise UnmatchedMailError("Enter the number of the case this mail belongs to.")
    case = db.session.scalar(select(Case).where(func.upper(Case.number) == number))
    if case is None:
        raise UnmatchedMailError(f"There is no case {number[:40]}.")
    message.case_id, message.matched_by, message.assigned_by_id = case.id, "staff", actor_id
    message.counterpart = filing.counterpart_of(message.from_address, case)
    message.kind = "reply"
    filed = []
    for attachment in message.attachments:
        if attachment.content is not None and filing.file_attachment(attachment, case, message) is not None:
            filed.append(attachment.filename)
    db.session.flush()
    kept = [a.filename for a in message.attachments if a.source == filing.KEPT]
    filing.tell_about_reply(message, case, kept, actor_id=actor_id)
    record_event(
        "message.assigned",
        actor_id=actor_id,
        object_type="message",
        object_id=message.id,
        details={"case_id": case.id, "number": case.number, "from": message.from_address, "filed": filed},
    )
    return message


def discard(message_id: int, reason: str, actor_id: int) -> Message:
    """Take a waiting mail off the list (spam, a newsletter, a duplicate): kept, hidden, the reason audited."""
    message = get_unmatched(message_id)
    reason = " ".join(clean_line(reason or "").split())
    if not reason:
        raise UnmatchedMailError("Say why the mail is discarded.")
    if len(reason) > MAX_REASON:
        raise UnmatchedMailError(f"Keep the reason under {MAX_REASON} characters.")
    message.kind, message.assigned_by_id, message.read_at = DISCARDED, actor_id, message.read_at or utcnow()
    db.session.flush()
    record_event(
        "message.discarded",
        actor_id=actor_id,
        object_type="message",
        object_id=message.id,
        details={"reason": reason, "from": message.from_address, "subject": message.subject},
    )
    return message

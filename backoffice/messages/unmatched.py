"""The unmatched list: received mail that matched no case, until staff assign it to a case or discard it.

Assigning puts the mail on the case's thread as if it had matched (its kept files filed as documents of type
"received", a line on the timeline, the coordinator told). Discarding keeps the mail (kind "discarded", with who,
when and why on the row) and moves it from the list to the discarded ones, where it can be found and restored to
the list. Each is audited. Opening a mail marks it read, as opening a received message on a case does.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.messages import filing, thread
from backoffice.messages.models import Message, MessageAttachment
from backoffice.pagination import Page, paginate
from backoffice.text import clean_line
from backoffice.trail import record_event

DISCARDED = "discarded"  # Message.kind of a mail taken off the list without a case
RECEIVED = "reply"  # Message.kind of every received mail (receiving), the kind a restored one gets back
MAX_REASON = 500


class UnmatchedMailError(DomainError):
    """The mail cannot be assigned or discarded as asked (no such case, no reason)."""


def _without_case():
    return select(Message).where(Message.direction == "inbound", Message.case_id.is_(None))


def _waiting():
    return _without_case().where(Message.kind != DISCARDED)


def list_unmatched(*, page: int = 1, per_page: int = 50) -> Page[Message]:
    """The mail waiting for a case, newest first (two statements)."""
    return paginate(_waiting(), page=page, per_page=per_page, order_by=(Message.received_at.desc(), Message.id.desc()))


def list_discarded(*, page: int = 1, per_page: int = 50) -> Page[Message]:
    """The mail staff discarded, the latest discarded first, with who discarded it (two statements)."""
    return paginate(
        _without_case().where(Message.kind == DISCARDED),
        page=page,
        per_page=per_page,
        order_by=(Message.discarded_at.desc(), Message.id.desc()),
        options=(joinedload(Message.discarded_by),),
    )


def count_unmatched() -> int:
    return db.session.scalar(select(func.count()).select_from(_waiting().subquery())) or 0


def get_unmatched(message_id: int, *, discarded_too: bool = False) -> Message:
    """One waiting mail (or, `discarded_too`, a discarded one) with its files and who discarded it; 404 for anything
    else (a message of a case)."""
    query = _without_case() if discarded_too else _waiting()
    message = db.session.scalar(
        query.where(Message.id == message_id).options(
            selectinload(Message.attachments), joinedload(Message.discarded_by)
        )
    )
    if message is None:
        raise NotFound(_("There is no such mail on the unmatched list."))
    return message


def open_unmatched(message_id: int) -> Message:
    """A waiting or discarded mail, to read: marked read the first time, as a received message on a case is."""
    return thread.mark_read(get_unmatched(message_id, discarded_too=True))


def waiting_file(message_id: int, attachment_id: int) -> MessageAttachment:
    """A kept file of a waiting or discarded mail (its bytes in the store until the mail is assigned)."""
    message = get_unmatched(message_id, discarded_too=True)
    for attachment in message.attachments:
        if attachment.id == attachment_id and attachment.kept:
            return attachment
    raise NotFound(_("This mail has no such file."))


def assign_to_case(message_id: int, case_number: str, actor_id: int) -> Message:
    """Put a waiting mail on the case numbered `case_number`, as if it had matched: files filed, coordinator told."""
    message = get_unmatched(message_id)
    number = clean_line(case_number or "").strip().upper()
    if not number:
        raise UnmatchedMailError(_("Enter the number of the case this mail belongs to."))
    case = db.session.scalar(select(Case).where(func.upper(Case.number) == number))
    if case is None:
        raise UnmatchedMailError(_("There is no case %(number)s.", number=number[:40]))
    message.case_id, message.matched_by, message.assigned_by_id = case.id, "staff", actor_id
    message.counterpart = filing.counterpart_of(message.from_address, case)
    message.kind = "reply"
    filed = []
    for attachment in message.attachments:
        if attachment.kept and filing.file_attachment(attachment, case, message) is not None:
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
    """Take a waiting mail off the list (spam, a newsletter, a duplicate): kept among the discarded ones with who,
    when and why (and audited)."""
    message = get_unmatched(message_id)
    reason = " ".join(clean_line(reason or "").split())
    if not reason:
        raise UnmatchedMailError(_("Say why the mail is discarded."))
    if len(reason) > MAX_REASON:
        raise UnmatchedMailError(_("Keep the reason under %(max)s characters.", max=MAX_REASON))
    message.kind, message.read_at = DISCARDED, message.read_at or utcnow()
    message.discarded_at, message.discarded_by_id, message.discard_reason = utcnow(), actor_id, reason
    db.session.flush()
    record_event(
        "message.discarded",
        actor_id=actor_id,
        object_type="message",
        object_id=message.id,
        details={"reason": reason, "from": message.from_address, "subject": message.subject},
    )
    return message


def restore(message_id: int, actor_id: int) -> Message:
    """Put a discarded mail back on the list (discarded by mistake): it waits for a case again; the discarding
    stays in the audit trail, with this restoring."""
    message = get_unmatched(message_id, discarded_too=True)
    if message.kind != DISCARDED:
        raise UnmatchedMailError(_("This mail is on the unmatched list already."))
    before = {"reason": message.discard_reason, "discarded_by": message.discarded_by_id}
    message.kind, message.discarded_at, message.discarded_by_id, message.discard_reason = RECEIVED, None, None, ""
    db.session.flush()
    record_event(
        "message.restored",
        actor_id=actor_id,
        object_type="message",
        object_id=message.id,
        details={**before, "from": message.from_address, "subject": message.subject},
    )
    return message

"""A case's thread: every message sent and received on the case, newest first (the newest on the case page, all of
them page by page), one message, and the timeline's lines.

Messages are health data (what the patient, the physician and the hospital write): the thread is read by the roles
that read a case's health data (`may_see_health_data`), never by finance or patients; the views declare the read.
Opening a received message marks it read (the first time only).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.auth.models import User
from backoffice.cases import signals as case_signals
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.messages.models import Message, MessageAttachment
from backoffice.pagination import Page, paginate

STATE_LABELS = {
    "queued": N_("Queued"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "bounced": N_("Bounced"),
    "received": N_("Received"),
}
COUNTERPART_LABELS = {
    "patient": N_("patient"),
    "hospital": N_("hospital"),
    "physician": N_("physician"),
    "interpreter": N_("interpreter"),
    "hotel": N_("hotel"),
    "staff": N_("staff"),
    "other": N_("other"),
}


def counterpart_label(code: str | None) -> str:
    """Who a message is with, in the page's language ("" when nobody in particular)."""
    label = COUNTERPART_LABELS.get(code or "")
    return _(label) if label else ""


@dataclass(frozen=True)
class ThreadEntry:
    """One message as the thread shows it: who wrote it, to whom, and when it happened."""

    message: Message
    author: User | None

    @property
    def inbound(self) -> bool:
        return self.message.direction == "inbound"

    @property
    def at(self):
        if self.inbound:
            return self.message.received_at or self.message.created_at
        return self.message.created_at

    @property
    def sender(self) -> str:
        if self.inbound:
            return self.message.from_address
        return self.author.name if self.author else _("Automatic")

    @property
    def recipients(self) -> str:
        if self.inbound:
            return _("the case")
        return ", ".join(self.message.recipients)

    @property
    def counterpart(self) -> str:
        return counterpart_label(self.message.counterpart)

    @property
    def state_label(self) -> str:
        label = STATE_LABELS.get(self.message.state)
        return _(label) if label else self.message.state

    @property
    def portal(self) -> bool:
        """Written on the patient portal's secure thread, not mailed."""
        return self.message.channel == "portal"

    @property
    def unread(self) -> bool:
        return self.inbound and self.message.read_at is None


def _newest_first() -> tuple:
    # A thread entry's time (`ThreadEntry.at`): when a received message was fetched, when a sent one was written.
    return func.coalesce(Message.received_at, Message.created_at).desc(), Message.id.desc()


def case_thread(case_id: int, *, limit: int | None = None) -> list[ThreadEntry]:
    """Every message of the case (or the newest `limit`), newest first, with its files and its author (three
    statements)."""
    query = (
        select(Message)
        .where(Message.case_id == case_id)
        .options(selectinload(Message.attachments))
        .order_by(*_newest_first())
    )
    if limit is not None:
        query = query.limit(limit)
    return _entries(db.session.scalars(query).all())


def thread_page(case_id: int, *, page: int, per_page: int) -> Page[ThreadEntry]:
    """One page of the case's messages, newest first, with their files and authors (four statements)."""
    rows = paginate(
        select(Message).where(Message.case_id == case_id),
        page=page,
        per_page=per_page,
        order_by=_newest_first(),
        options=(selectinload(Message.attachments),),
    )
    return replace(rows, items=_entries(rows.items))


def _entries(messages) -> list[ThreadEntry]:
    authors = _authors({m.created_by_id for m in messages if m.created_by_id})
    return [ThreadEntry(m, authors.get(m.created_by_id)) for m in messages]


def _authors(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


def thread_message(case_id: int, message_id: int) -> ThreadEntry:
    """One message of the case with its files; 404 for another case's message (or one on the unmatched list)."""
    message = db.session.scalar(
        select(Message)
        .where(Message.id == message_id, Message.case_id == case_id)
        .options(selectinload(Message.attachments))
    )
    if message is None:
        raise NotFound(_("There is no such message on this case."))
    author = db.session.get(User, message.created_by_id) if message.created_by_id else None
    return ThreadEntry(message, author)


def mark_read(message: Message) -> Message:
    """A received message is read from the first time staff open it (on its case, or on the unmatched list); a
    later opening keeps that first time. Flushes."""
    if message.direction == "inbound" and message.read_at is None:
        message.read_at = utcnow()
        db.session.flush()
    return message


def open_message(case_id: int, message_id: int) -> ThreadEntry:
    """One message of the case, to read; a received one is marked read the first time it is opened (flushes)."""
    entry = thread_message(case_id, message_id)
    mark_read(entry.message)
    return entry


def message_html(case_id: int, message_id: int) -> str:
    """The HTML body (sanitised on arrival for received mail); 404 when the message has none."""
    html = thread_message(case_id, message_id).message.body_html
    if not html:
        raise NotFound(_("This message has no HTML body."))
    return html


def message_file(case_id: int, message_id: int, attachment_id: int) -> MessageAttachment:
    """A file kept with a message of the case (its bytes in the store: `attachments.read_kept`); 404 otherwise, or
    for a received file, which lives on as a case document."""
    attachment = db.session.get(MessageAttachment, attachment_id)
    entry = thread_message(case_id, message_id)
    if attachment is None or attachment.message_id != entry.message.id or not attachment.kept:
        raise NotFound(_("There is no such file with this message."))
    return attachment


@case_signals.timeline_entries.connect
def timeline_entries(case_id: int, *, health_data: bool) -> list[dict]:
    """The case's sent messages on its timeline: health data, so none for those who may not read it. A received one
    is there already as the "Reply received from ..." event its filing wrote (with the files it brought); a portal
    message from the patient, which nothing files, is here."""
    if not health_data:
        return []
    entries = []
    for entry in case_thread(case_id):
        message = entry.message
        if entry.inbound and not entry.portal:
            continue
        if entry.portal:
            label = _("Portal message from the patient") if entry.inbound else _("Portal message to the patient")
        elif entry.counterpart:
            label = _(
                "Mail to %(recipients)s (%(counterpart)s) · %(state)s",
                recipients=entry.recipients,
                counterpart=entry.counterpart,
                state=entry.state_label.lower(),
            )
        else:
            label = _(
                "Mail to %(recipients)s · %(state)s", recipients=entry.recipients, state=entry.state_label.lower()
            )
        if message.attachments:
            label += " · " + ngettext("%(num)d file", "%(num)d files", len(message.attachments))
        entries.append(
            {
                "at": entry.at,
                "type": "message",
                "kind": message.direction,
                "who": entry.author,
                "who_label": entry.sender if entry.inbound else _("Automatic"),
                "text": message.subject,
                "label": label,
                "link": ("messages.show_message", {"case_id": case_id, "message_id": message.id}),
            }
        )
    return entries

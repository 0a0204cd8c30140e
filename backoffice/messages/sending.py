"""The send job `messages.send`: one stored message to the SMTP server, once, with the same Message-ID every attempt.

A message already sent is a no-op (a job sent twice, a worker killed after the server took it but before the row was
marked: the second run finds `sent`, or, at worst, the server receives the same Message-ID again). A server that is
down or answers 4xx leaves the message queued with the error, for the outbox's retry on mail's own schedule
(MAIL_RETRY_BACKOFF_SECONDS, MAIL_MAX_ATTEMPTS: hours, as mail servers wait for each other); a 5xx answer fails it. On
PostgreSQL the row is locked while it is sent, so two runs at once send it once.

The dispatcher sends the due send jobs to a worker in batches of up to BATCH_SIZE (jobs.runner.run_batch): each
message keeps its own job (its own row lock, commit, retries and failure), and the batch's messages go out over one
SMTP connection (`one_connection`), opened at the first message and closed after the last.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from email.message import EmailMessage
from email.utils import format_datetime
from typing import NoReturn

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice import mailer
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.runner import (
    JobSpec,
    PermanentJobError,
    Retries,
    TransientJobError,
    finish_with_the_work,
    progress,
    register_job,
)
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message
from backoffice.messages.reply_addresses import reply_address
from backoffice.storage.backends import MissingFile, StorageUnavailable
from backoffice.trail import record_event

BATCH_SIZE = 50  # send jobs per batch: one connection, one work horse; a batch stays short even on a slow server
_connection: ContextVar[mailer.Connection | None] = ContextVar("smtp_connection", default=None)


@contextlib.contextmanager
def one_connection() -> Iterator[None]:
    """The send jobs run inside this share one connection to SMTP_URL (the batch context of `messages.send`)."""
    with mailer.connection(settings().smtp_url) as connection:
        token = _connection.set(connection)
        try:
            yield
        finally:
            _connection.reset(token)


def _deliver(email: EmailMessage) -> None:
    connection = _connection.get()
    if connection is None:
        mailer.send_message(email, settings().smtp_url)
    else:
        connection.send(email)


def build_email(message: Message) -> EmailMessage:
    """The mail as it goes out, from the stored row alone (so every attempt sends the same bytes' worth)."""
    email = EmailMessage()
    email["From"] = settings().mail_from
    email["To"] = message.to_addresses.replace(",", ", ")
    if message.cc_addresses:
        email["Cc"] = message.cc_addresses.replace(",", ", ")
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    if message.case_id is not None:
        email["Reply-To"] = reply_address(message.case_id)  # a reply finds its case even without the thread headers
    email["Auto-Submitted"] = "auto-generated" if message.created_by_id is None else "no"
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
    if message.thread_references:
        email["References"] = message.thread_references
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    for file in message.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        content = read_kept(file)
        email.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=file.filename)
    email["Content-Language"] = message.language  # after the body: setting content clears Content-* headers
    return email


def send_message(message_id: int) -> dict:
    """Send message `message_id` unless it was sent (or failed for good) already."""
    message = db.session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(selectinload(Message.attachments))
        .with_for_update(of=Message)
    )
    if message is None:
        raise PermanentJobError(f"message {message_id} does not exist")
    if message.state != "queued":
        db.session.rollback()
        return {"outcome": f"already {message.state}"}
    progress(f"sending message {message_id}")
    message.attempts += 1
    try:
        email = build_email(message)
    except (StorageUnavailable, MissingFile) as error:
        _unreadable_file(message, error)
    try:
        _deliver(email)
    except mailer.MailDeferred as error:
        message.last_error = str(error)[:2000]
        db.session.commit()
        raise TransientJobError(str(error)) from None
    except mailer.MailRefused as error:
        _fail(message, str(error))
        db.session.commit()
        raise PermanentJobError(str(error)) from None
    message.state = "sent"
    message.sent_at = utcnow()
    message.last_error = ""
    record_event(
        "message.sent",
        object_type="message",
        object_id=message.id,
        details={
            "kind": message.kind,
            "to": message.recipients,
            "case_id": message.case_id,
            "attempts": message.attempts,
        },
    )
    finish_with_the_work()  # the message sent and its job done, in one commit
    db.session.commit()
    return {"outcome": "sent", "message_id": message.message_id}


def _unreadable_file(message: Message, error: StorageUnavailable | MissingFile) -> NoReturn:
    """A file of the message cannot be read from the store: tried again later (the store may be away for a while),
    or, when its bytes are not the ones stored at queueing (refused and audited by `files.read`), failed for good
    with the reason on the outbox and the thread: nothing else than what was written is ever sent."""
    if error.trace:
        reason = f"an attached file differs from the one stored when the message was queued: {error.message}"
        record_event(**error.trace)
        _fail(message, reason)
        db.session.commit()
        raise PermanentJobError(reason) from None
    message.last_error = f"an attached file cannot be read from the store now: {error.message}"[:2000]
    db.session.commit()
    raise TransientJobError(message.last_error) from None


def give_up(args: dict, reason: str) -> None:
    """After the last retry (or a refusal): the message is failed, with the reason; the runner commits."""
    message = db.session.get(Message, args.get("message_id"))
    if message is not None and message.state == "queued":
        _fail(message, reason)


def reopen(args: dict) -> None:
    """An administrator requeued the job: the failed message is queued again, with the same Message-ID."""
    message = db.session.get(Message, args.get("message_id"))
    if message is not None and message.state == "failed":
        message.state = "queued"


def _fail(message: Message, reason: str) -> None:
    message.state = "failed"
    message.last_error = reason[:2000]
    record_event(
        "message.failed",
        object_type="message",
        object_id=message.id,
        details={"kind": message.kind, "to": message.recipients, "case_id": message.case_id, "error": reason[:500]},
    )


register_job(
    "messages.send",
    JobSpec(
        f"{__name__}:send_message",
        f"{__name__}:give_up",
        f"{__name__}:reopen",
        batch_size=BATCH_SIZE,
        batch_context=f"{__name__}:one_connection",
        retries=Retries("mail_retry_backoff_seconds", "mail_max_attempts"),
    ),
)

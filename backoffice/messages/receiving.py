"""The fetch job `messages.fetch_replies`: once a minute, the mail in the operator's mailbox onto its cases.

Each mail is read (`incoming.parse`: never an error), then either a delivery report about one of our messages
(`bounces`), or a reply: matched to its case by In-Reply-To, References or the case's reply address (`filing`), kept
as an inbound `Message`, its files filed as case documents, the coordinator told; a mail matching no case waits on
the unmatched list (`case_id` None) and the coordinators and administrators are told. Each mail is committed on its
own and only then marked done in the mailbox, so a crash refetches it, and the unique Message-ID stores it once. A
mail that still cannot be stored is marked done too, with its reason in the log and the audit trail, so it does not
come back every minute; only when the database itself is away does a mail stay unseen, for the next run.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from backoffice.cases.documents import discard_stored_file
from backoffice.cases.models import CaseDocument
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import every
from backoffice.jobs.runner import TransientJobError, progress
from backoffice.mailbox import IncomingMail, MailboxUnavailable, open_mailbox
from backoffice.messages import bounces, filing
from backoffice.messages.incoming import parse
from backoffice.messages.models import Message
from backoffice.trail import record_event

logger = logging.getLogger(__name__)

MAX_MAIL_BYTES = 15 * 1024 * 1024  # a larger mail is kept as its header with a note; its text and files are not
BATCH = 100  # mails per run; the next run takes the rest


@every(timedelta(minutes=1), "messages.fetch_replies")
def fetch_replies() -> dict:
    """Take the unseen mail of the mailbox (IMAP_URL; in development without it, the local Maildir)."""
    config = settings()
    local = config.local_mailbox_dir if config.app_env == "development" else None
    outcomes: Counter[str] = Counter()
    try:
        with open_mailbox(config.imap_url, local) as mailbox:
            if mailbox is None:
                return {"outcome": "no mailbox (IMAP_URL is not set)"}
            for mail in mailbox.unseen(limit=BATCH, max_bytes=MAX_MAIL_BYTES):
                progress(f"mail {mail.uid}")
                outcomes[take(mail)] += 1
                mailbox.mark_done(mail.uid)
    except MailboxUnavailable as error:
        raise TransientJobError(str(error)) from None
    return dict(outcomes)


def take(mail: IncomingMail) -> str:
    """Store one fetched mail and commit; whatever it holds, answer how it went rather than fail the job."""
    filed: list[CaseDocument] = []
    try:
        outcome = receive(mail.content, complete=mail.complete, size=mail.size, filed=filed)
        db.session.commit()
        return outcome
    except IntegrityError:  # the same Message-ID stored meanwhile by another run
        db.session.rollback()
        _discard(filed)
        return "duplicate"
    except (OperationalError, InterfaceError):  # the database is away: the mail stays unseen for the next run
        db.session.rollback()
        _discard(filed)
        raise
    except Exception as error:  # bad mail must never stop the others
        db.session.rollback()
        _discard(filed)
        logger.exception("mail %s (%s bytes) could not be stored; marked done", mail.uid, mail.size)
        record_event(
            "message.skipped",
            object_type="message",
            details={"mailbox_id": mail.uid[:100], "size": mail.size, "error": repr(error)[:500]},
        )
        db.session.commit()
        return "skipped"


def receive(content: bytes, *, complete: bool = True, size: int | None = None, filed: list | None = None) -> str:
    """Keep one received mail (flushes; the caller commits): "bounce", "duplicate", "matched" or "unmatched"."""
    mail = parse(content, complete=complete, size=size if size is not None else len(content))
    if complete and bounces.record_bounce(mail):
        return "bounce"
    if db.session.scalar(select(Message.id).where(Message.message_id == mail.message_id)) is not None:
        return "duplicate"
    case, matched_by = filing.match_case(mail)
    message = Message(
        case_id=case.id if case else None,
        direction="inbound",
        kind="reply",
        language=mail.language,
        counterpart=filing.counterpart_of(mail.from_address, case) if case else None,
        from_address=mail.from_address,
        to_addresses=",".join(mail.recipients),
        subject=mail.subject,
        body_text=mail.body_text,
        body_html=mail.body_html,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else "",
        thread_references=" ".join(mail.references),
        matched_by=matched_by,
        state="received",
        received_at=utcnow(),
        last_error=" ".join(mail.notes)[:2000],  # what could not be read of it, shown with the message
    )
    db.session.add(message)
    db.session.flush()
    documents = filing.keep_files(message, mail.files, case)
    if filed is not None:
        filed.extend(documents)
    if case is not None:
        filing.tell_about_reply(message, case, [file.filename for file in mail.files if not file.refused])
    else:
        filing.tell_about_unmatched(message)
    record_event(
        "message.received",
        object_type="message",
        object_id=message.id,
        details={
            "from": mail.from_address,
            "to": mail.recipients[:20],
            "case_id": message.case_id,
            "matched_by": matched_by,
            "message_id": mail.message_id,
            "attachments": [{"filename": f.filename, "sha256": f.sha256, "kept": not f.refused} for f in mail.files],
            "notes": mail.notes,
        },
    )
    return "matched" if case is not None else "unmatched"


def _discard(documents: list[CaseDocument]) -> None:
    """The files of documents whose rows were rolled back go too (nothing refers to them)."""
    for document in documents:
        discard_stored_file(document)

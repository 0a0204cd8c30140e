"""Delivery reports: a mail server saying one of our messages could not be delivered.

A report is a DSN (RFC 3464: `multipart/report` with a `message/delivery-status` part, one block per recipient), or
the common "Undelivered Mail Returned to Sender" that attaches the original (`message/rfc822`) or its header
(`text/rfc822-headers`) and names the failed addresses in its text. The original's Message-ID finds our message:
it is marked `bounced`, each recipient whose delivery failed for good (`Action: failed`) becomes an
`UndeliverableAddress` (the compose form warns about it: `operations.undeliverable`), a line goes on the case's
timeline and its coordinator is told. A report about no message of ours is left to the caller (the unmatched list);
a delay notice ("Action: delayed") changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.parser import HeaderParser

from sqlalchemy import select

from backoffice.auth.permissions import ADMIN
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.messages.filing import staff_ids
from backoffice.messages.incoming import ReceivedMail, header, message_ids
from backoffice.messages.models import Message, UndeliverableAddress
from backoffice.messages.reply_addresses import is_own_address
from backoffice.notifications.operations import notify
from backoffice.text import clean_line
from backoffice.trail import record_event

BOUNCE_SUBJECTS = (
    "undelivered mail",
    "undeliverable",
    "delivery status notification",
    "mail delivery failed",
    "returned mail",
    "delivery failure",
)
_DAEMONS = ("mailer-daemon@", "postmaster@")
_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'-]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24})>?")


@dataclass
class DeliveryReport:
    original_message_id: str | None
    failed: dict[str, str] = field(default_factory=dict)  # address -> the server's reason


def record_bounce(mail: ReceivedMail) -> bool:
    """Handle `mail` if it is a delivery report about one of our messages (True), else leave it (False)."""
    report = read_report(mail.email) if mail.email is not None and _looks_like_report(mail) else None
    if report is None or report.original_message_id is None:
        return False
    original = db.session.scalar(
        select(Message).where(Message.message_id == report.original_message_id, Message.direction == "outbound")
    )
    if original is None:
        return False
    if not report.failed:
        return True  # delayed, relayed or delivered: nothing to do
    newly = original.state != "bounced"
    if newly:
        original.state, original.bounced_at = "bounced", utcnow()
        original.last_error = "; ".join(f"{a}: {r}" for a, r in report.failed.items())[:2000]
    for address, reason in report.failed.items():
        row = db.session.get(UndeliverableAddress, address)
        if row is None:
            db.session.add(UndeliverableAddress(address=address, reason=reason, message_id=original.id))
        else:
            row.reason, row.message_id, row.marked_at = reason, original.id, utcnow()
    db.session.flush()
    record_event(
        "message.bounced",
        object_type="message",
        object_id=original.id,
        details={"failed": report.failed, "case_id": original.case_id, "report_message_id": mail.message_id},
    )
    if newly:
        _tell(original, sorted(report.failed))
    return True


def _tell(original: Message, addresses: list[str]) -> None:
    text = f"Mail to {', '.join(addresses)} could not be delivered: {original.subject}"
    case = get_case(original.case_id) if original.case_id else None
    if case is not None:
        record_case_event(case, "message_bounced", None, note=text, audit={"message_id": original.id})
    notify(
        "mail_bounced",
        [case.coordinator_id] if case is not None and case.coordinator_id else staff_ids((ADMIN,)),
        text=f"{case.number}: {text}" if case is not None else text,
        key=f"bounce:{original.id}",
        case_id=case.id if case is not None else None,
        link=f"/cases/{case.id}" if case is not None else "",
    )


def _looks_like_report(mail: ReceivedMail) -> bool:
    message = mail.email
    if message.get_content_type() == "multipart/report":
        return True
    sender = mail.from_address.partition("@")[0]
    return sender in ("mailer-daemon", "postmaster") or mail.subject.lower().startswith(BOUNCE_SUBJECTS)


def read_report(message: EmailMessage) -> DeliveryReport | None:
    """The original's Message-ID and the recipients that failed for good, or None when this is no report."""
    original_id: str | None = None
    failed: dict[str, str] = {}
    status_seen = False
    texts: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status_seen = True
            failed.update(_failed_recipients(part))
        elif kind == "message/rfc822" and original_id is None:
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(inner, EmailMessage):
                original_id = next(iter(message_ids(header(inner, "Message-ID"))), None)
        elif kind == "text/rfc822-headers" and original_id is None:
            original_id = next(iter(message_ids(_headers_of(part).get("Message-ID", ""))), None)
        elif kind == "text/plain" and not status_seen and original_id is None:
            texts.append(_text(part))
    if original_id is None and not status_seen:
        return None
    if not status_seen:
        # No DSN: the addresses the text names as failed (before the original's copy, which names our own).
        failed = {address.lower(): "named as undeliverable in the report" for address in _addresses(texts)}
    return DeliveryReport(original_id, failed)


def _failed_recipients(part: EmailMessage) -> dict[str, str]:
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return {}
    failed = {}
    for block in blocks:
        action = header(block, "Action").lower()
        recipient = header(block, "Final-Recipient") or header(block, "Original-Recipient")
        found = _ADDRESS.search(recipient.partition(";")[2] or recipient)
        if action == "failed" and found:
            reason = header(block, "Diagnostic-Code") or header(block, "Status") or "failed"
            failed[found.group(1).lower()] = clean_line(reason)[:500]
    return failed


def _headers_of(part: EmailMessage) -> EmailMessage:
    return HeaderParser().parsestr(_text(part), headersonly=True)


def _text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload() or "")


def _addresses(texts: list[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for address in _ADDRESS.findall(text):
            address = address.lower()
            if address not in found and not is_own_address(address) and not address.startswith(_DAEMONS):
                found.append(address)
    return found[:20]

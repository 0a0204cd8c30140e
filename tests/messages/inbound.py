"""Mail as it arrives from outside, for the receiving tests: replies, delivery reports, broken mail."""

from __future__ import annotations

from email.message import EmailMessage

from backoffice.extensions import db
from backoffice.mailbox import IncomingMail
from backoffice.messages.receiving import take

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def reply(
    *,
    sender: str = "patient@example.test",
    to: str = "care@medtravel.example",
    subject: str = "Re: Your treatment request",
    body: str = "Thank you, the dates suit me.",
    in_reply_to: str = "",
    references: str = "",
    message_id: str | None = "<reply-1@example.test>",
    html: str | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """A reply as a mail program sends it; `files` are (name, content type, bytes)."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    if message_id:
        mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for name, content_type, content in files:
        maintype, _, subtype = content_type.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def receive(*contents: bytes) -> list[str]:
    """Take each mail as the fetch job does (one commit each); the outcomes."""
    outcomes = [take(IncomingMail(f"uid-{n}", len(content), content)) for n, content in enumerate(contents)]
    db.session.expire_all()
    return outcomes


def delivery_report(original_id: str, failed: str = "gone@hospital.example", *, action: str = "failed") -> bytes:
    """A DSN (RFC 3464) as Postfix writes it: text, the delivery status per recipient, the original's header."""
    return f"""\
From: MAILER-DAEMON@mx.medtravel.example (Mail Delivery System)
To: care@medtravel.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{abs(hash((original_id, action))) % 10**8}@mx.medtravel.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="REPORT"

--REPORT
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.medtravel.example.
I'm sorry to have to inform you that your message could not be delivered.

<{failed}>: host mx.hospital.example said: 550 5.1.1 User unknown

--REPORT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.medtravel.example

Final-Recipient: rfc822; {failed}
Original-Recipient: rfc822;{failed}
Action: {action}
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown

--REPORT
Content-Type: text/rfc822-headers

From: Medical travel team <care@medtravel.example>
To: {failed}
Subject: Your appointment
Message-ID: {original_id}

--REPORT--
""".replace("\n", "\r\n").encode()

"""A received mail read into plain values: untrusted bytes in, cleaned texts and checked files out, never an error.

Whatever the sender wrote (broken MIME, an unknown charset, a header of a megabyte, no From, no Message-ID), `parse`
returns what can be read and says what could not in `notes`. The HTML is sanitised (nh3): no script, no event
handler, no image (a remote one would tell the sender the mail was opened), links that open nothing of ours.
Attachments are kept only when they are a PDF, JPEG or PNG by content, within the document size limit.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import html
import os
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import nh3

from backoffice.cases.documents import KINDS, display_name, max_document_bytes, sniff
from backoffice.text import clean_line, clean_text

MAX_HEADER_CHARS = 2000  # of one header's value: what a person can read; the rest of a huge header is cut
MAX_BODY_CHARS = 200_000  # of the text and of the HTML kept
MAX_ATTACHMENTS = 20
MAX_REFERENCES = 50
# Tags kept in a received HTML body: the usual ones, without images and image maps (no remote load, no tracking).
HTML_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "area", "map"}
URL_SCHEMES = {"http", "https", "mailto"}  # of links kept (no javascript:, data: ...)
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "X-Envelope-To")
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,240})>")


@dataclass
class ReceivedFile:
    """A file that came with a mail: kept (content) when it may be filed, otherwise listed with the reason."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None
    refused: str = ""  # why it is not kept ("" when it is)


@dataclass
class ReceivedMail:
    message_id: str
    generated_id: bool  # the mail had no (usable) Message-ID: one was made from its bytes
    from_address: str
    from_name: str
    recipients: list[str]
    subject: str
    body_text: str
    body_html: str | None
    in_reply_to: list[str]
    references: list[str]
    language: str
    files: list[ReceivedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    email: Message | None = None  # the parsed mail, for the delivery-report reader


def parse(content: bytes, *, complete: bool = True, size: int | None = None) -> ReceivedMail:
    """Read a received mail; `complete` False: `content` is only its header (the mail was too large to fetch)."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    notes: list[str] = []
    if message.defects:
        notes.append("The mail's format is damaged; it is shown as well as it could be read.")
    raw_id = header(message, "Message-ID")
    ids = message_ids(raw_id)
    generated = not ids
    message_id = ids[0] if ids else f"<{hashlib.sha256(content).hexdigest()[:40]}@received.invalid>"
    name, address = parseaddr(header(message, "From"))
    address = address.strip().lower()
    if "@" not in address or len(address) > 254 or any(ch.isspace() or ch in ',;<>"' for ch in address):
        notes.append("The mail names no sender address.")
        address = ""
    recipients = []
    for item in RECIPIENT_HEADERS:
        for _name, recipient in getaddresses([header(message, item, every=True)]):
            recipient = recipient.strip().lower()
            if "@" in recipient and len(recipient) <= 254 and recipient not in recipients:
                recipients.append(recipient)
    language = header(message, "Content-Language")[:2].lower()
    received = ReceivedMail(
        message_id=message_id,
        generated_id=generated,
        from_address=address,
        from_name=clean_line(name)[:200],
        recipients=recipients[:50],
        subject=clean_line(header(message, "Subject"))[:300] or "(no subject)",
        body_text="",
        body_html=None,
        in_reply_to=message_ids(header(message, "In-Reply-To"))[:1],
        references=message_ids(header(message, "References"))[-MAX_REFERENCES:],
        language=language if language in ("en", "de") else "en",
        notes=notes,
        email=message,
    )
    if not complete:
        megabytes = (size or 0) / 1024 / 1024
        received.body_text = f"(This mail was {megabytes:.1f} MB, above the limit; only its header was kept.)\n"
        received.notes.append("The mail was too large: its text and files were not kept.")
        return received
    _read_bodies(message, received)
    received.files = _files(message, received.notes)
    return received


def header(message: Message, name: str, *, every: bool = False) -> str:
    """A header as one clean line (all of its occurrences with `every`), however broken; "" when absent."""
    try:
        values = message.get_all(name, []) if every else [message.get(name)]
    except Exception:  # a header the parser cannot fold: read it raw
        values = [value for key, value in message.raw_items() if key.lower() == name.lower()][: None if every else 1]
    text = ", ".join(str(value) for value in values if value is not None)
    return clean_line(text)[:MAX_HEADER_CHARS].strip()


def message_ids(value: str) -> list[str]:
    """The `<id>`s in a Message-ID, In-Reply-To or References header, in order, each once."""
    return list(dict.fromkeys(f"<{found}>" for found in _MESSAGE_ID.findall(value or "")))


def sanitise_html(markup: str) -> str:
    """The HTML with only harmless tags and attributes left: no script, no handler, no image, no style sheet."""
    return nh3.clean(markup, tags=HTML_TAGS, link_rel="noopener noreferrer nofollow", url_schemes=URL_SCHEMES)


def text_of_html(markup: str) -> str:
    """The readable text of an HTML body (for a mail that has no text part)."""
    text = nh3.clean(re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", markup), tags=set())
    return "\n".join(line.strip() for line in html.unescape(text).splitlines()).strip() + "\n"


def _read_bodies(message: Message, received: ReceivedMail) -> None:
    text_part = _body(message, "plain")
    html_part = _body(message, "html")
    text = _content(text_part) if text_part is not None else None
    markup = _content(html_part) if html_part is not None else None
    if markup is not None:
        received.body_html = sanitise_html(markup[:MAX_BODY_CHARS])
    if text is None and markup is not None:
        text = text_of_html(markup[:MAX_BODY_CHARS])
    received.body_text = clean_text(text or "")[:MAX_BODY_CHARS] or "(no text)\n"


def _body(message: Message, kind: str) -> Message | None:
    try:
        return message.get_body(preferencelist=(kind,)) if isinstance(message, EmailMessage) else None
    except Exception:  # broken multipart structure: no body of that kind
        return None


def _content(part: Message) -> str:
    try:
        content = part.get_content()
        return content if isinstance(content, str) else content.decode("utf-8", "replace")
    except Exception:  # an unknown or lying charset: the bytes as well as they decode
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _files(message: Message, notes: list[str]) -> list[ReceivedFile]:
    files: list[ReceivedFile] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception:
            filename, disposition = None, None
        if disposition != "attachment" and not filename:
            continue
        if len(files) >= MAX_ATTACHMENTS:
            notes.append(f"The mail carried more than {MAX_ATTACHMENTS} files; the others were not kept.")
            break
        payload = part.get_payload(decode=True)
        files.append(_file(clean_line(filename or ""), payload if isinstance(payload, bytes) else b"", len(files)))
    return files


def _file(filename: str, content: bytes, index: int) -> ReceivedFile:
    name = display_name(filename) or f"attachment-{index + 1}"
    detected = sniff(content[:16])
    digest = hashlib.sha256(content).hexdigest()
    refused = ""
    if detected is None:
        refused = "not kept: only PDF, JPEG and PNG files are filed"
    elif len(content) > max_document_bytes():
        refused = f"not kept: larger than {max_document_bytes() // 1024 // 1024} MB"
    elif os.path.splitext(name)[1].lower() not in KINDS[detected][2]:
        name = f"{name[:250]}{KINDS[detected][2][0]}"  # named for what it is, so the archive's name check agrees
    return ReceivedFile(
        filename=name,
        content_type=detected or "application/octet-stream",
        size=len(content),
        sha256=digest,
        content=None if refused else content,
        refused=refused,
    )

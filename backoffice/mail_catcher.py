"""The mail catcher of `make run`: a real SMTP server on 127.0.0.1 that keeps every message it receives as a file.

Without SMTP_URL, `make run` starts it (`python -m backoffice.mail_catcher --port 8025 --dir instance/caught-mail`),
so the sending code speaks real SMTP in development too and nothing leaves the machine. Each message is written
Maildir-style: to `tmp/`, then renamed into `new/`, so a reader never sees half a message. Names sort by arrival
(nanoseconds since the epoch first). `list_caught` and `read_caught` read them back for the development mail page.

Mail to the operator's own domain (a reply to a case's reply address) is also delivered, the same way, into a second
Maildir (`--mailbox instance/mailbox --domain <domain of MAIL_FROM>`): the local mailbox the fetch job reads in
development when IMAP_URL is not set. `reply_to_caught` writes the reply a recipient would send to a caught message.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.parser
import email.policy
import itertools
import os
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from aiosmtpd.smtp import SMTP

from backoffice.pagination import Page
from backoffice.text import clean_line, clean_text

HOST = "127.0.0.1"
DEFAULT_PORT = 8025
MAX_MESSAGE_BYTES = 32 * 1024 * 1024  # a message larger than this is refused by the server (552)
NAME = re.compile(r"\A[0-9]{20}\.[0-9]+\.[0-9]+\.eml\Z")
_counter = itertools.count()


class MailCatcherError(RuntimeError):
    """The catcher cannot start (its port is taken) or a caught message cannot be read."""


def store(directory: Path, content: bytes, *, mail_from: str = "", rcpt_tos: tuple[str, ...] = ()) -> str:
    """Keep one received message under `directory`/new (written to tmp/ first, then renamed); return its name.

    The envelope goes first as X-Envelope-From / X-Envelope-To, so blind copies are seen too.
    """
    (directory / "tmp").mkdir(parents=True, exist_ok=True)
    (directory / "new").mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}.{os.getpid()}.{next(_counter)}.eml"
    envelope = f"X-Envelope-From: <{clean_line(mail_from)}>\r\n"
    envelope += "".join(f"X-Envelope-To: <{clean_line(rcpt)}>\r\n" for rcpt in rcpt_tos)
    temporary = directory / "tmp" / name
    with open(temporary, "wb") as file:
        file.write(envelope.encode("utf-8") + content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, directory / "new" / name)
    return name


class Keeper:
    """aiosmtpd's handler: every message received is stored as a file; mail to `domain` is delivered to `mailbox`."""

    def __init__(self, directory: Path, mailbox: Path | None = None, domain: str = ""):
        self.directory = directory
        self.mailbox = mailbox
        self.domain = domain.lower()

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        rcpt_tos = tuple(envelope.rcpt_tos)
        store(self.directory, content, mail_from=envelope.mail_from or "", rcpt_tos=rcpt_tos)
        ours = tuple(rcpt for rcpt in rcpt_tos if self.domain and rcpt.lower().endswith("@" + self.domain))
        if self.mailbox is not None and ours:
            store(self.mailbox, content, mail_from=envelope.mail_from or "", rcpt_tos=ours)
        return "250 Message accepted for delivery"


def _listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise MailCatcherError(
            f"the mail catcher cannot listen on {HOST}:{port} ({error.strerror}); set MAIL_CATCHER_PORT to a free"
            " port, or SMTP_URL to a real SMTP server"
        ) from error
    sock.listen(64)
    return sock


class Catcher:
    """A running catcher: its address, and `stop()`. Runs its event loop in a thread of the caller."""

    def __init__(self, directory: Path, port: int = DEFAULT_PORT, *, mailbox: Path | None = None, domain: str = ""):
        self.directory = directory
        self._keeper = Keeper(directory, mailbox, domain)
        self._sock = _listening_socket(port)
        for folder in ("tmp", "new"):
            (directory / folder).mkdir(parents=True, exist_ok=True)
        self.port = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-catcher", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        handler = self._keeper
        factory = lambda: SMTP(handler, data_size_limit=MAX_MESSAGE_BYTES, hostname="mail-catcher")  # noqa: E731
        server = self._loop.run_until_complete(self._loop.create_server(factory, sock=self._sock))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    def stop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


# ---- reading what was caught


@dataclass
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class CaughtMail:
    """A caught message as the development page shows it: every text cleaned of control characters."""

    name: str
    received_at: datetime  # when the catcher received it (the Date header is what the sender claims)
    subject: str
    sender: str
    to: str
    cc: str = ""
    date: str = ""
    envelope_from: str = ""
    envelope_to: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    size: int = 0


def _inbox(directory: Path) -> Path:
    return directory / "new"


def _header(message, name: str) -> str:
    """A header as one readable line, however it was encoded (or broken: a malformed one is shown as sent)."""
    try:
        value = message.get(name)
    except Exception:  # an undecodable header is shown raw below rather than failing the page
        value = None
    if value is None:
        raw = [v for k, v in message.raw_items() if k.lower() == name.lower()] if hasattr(message, "raw_items") else []
        value = raw[0] if raw else ""
    return clean_line(str(value)).strip()


def _parse(path: Path, *, headers_only: bool = False) -> EmailMessage:
    with open(path, "rb") as file:
        if headers_only:
            return email.parser.BytesHeaderParser(policy=email.policy.default).parse(file)
        return email.message_from_binary_file(file, policy=email.policy.default)


def _summary(path: Path, message) -> CaughtMail:
    return CaughtMail(
        name=path.name,
        received_at=datetime.fromtimestamp(int(path.name[:20]) / 1e9, tz=UTC),
        subject=_header(message, "Subject") or "(no subject)",
        sender=_header(message, "From"),
        to=_header(message, "To"),
        cc=_header(message, "Cc"),
        date=_header(message, "Date"),
        envelope_from=_header(message, "X-Envelope-From"),
        envelope_to=[clean_line(str(value)) for value in message.get_all("X-Envelope-To", [])],
        size=path.stat().st_size,
    )


def list_caught(directory: Path, *, page: int = 1, per_page: int = 50) -> Page[CaughtMail]:
    """The caught messages, newest first, one page of them (only that page's headers are read)."""
    inbox = _inbox(directory)
    names = sorted((p.name for p in inbox.iterdir() if NAME.match(p.name)), reverse=True) if inbox.is_dir() else []
    total = len(names)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    items = []
    for name in names[(page - 1) * per_page : page * per_page]:
        path = inbox / name
        items.append(_summary(path, _parse(path, headers_only=True)))
    return Page(items=items, page=page, pages=pages, total=total, per_page=per_page)


def _path_of(directory: Path, name: str) -> Path:
    path = _inbox(directory) / name
    if not NAME.match(name) or not path.is_file():
        raise MailCatcherError(f"no caught message {name!r}")
    return path


def read_caught(directory: Path, name: str) -> CaughtMail:
    """One caught message: its headers, text and HTML bodies (as text, never rendered here) and its attachments."""
    path = _path_of(directory, name)
    message = _parse(path)
    mail = _summary(path, message)
    mail.headers = [(clean_line(key), _header(message, key)) for key in dict.fromkeys(message.keys())]
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    mail.text = clean_text(_content(text_part)) if text_part is not None else None
    mail.html = clean_text(_content(html_part)) if html_part is not None else None
    mail.attachments = [
        Attachment(index, clean_line(part.get_filename() or f"attachment-{index + 1}"), part.get_content_type(), size)
        for index, (part, size) in enumerate(_attachments(message))
    ]
    return mail


def _content(part) -> str:
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset: show the bytes as well as they decode
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _attachments(message: EmailMessage) -> list[tuple[EmailMessage, int]]:
    return [(part, len(part.get_payload(decode=True) or b"")) for part in message.iter_attachments()]


def caught_attachment(directory: Path, name: str, index: int) -> tuple[bytes, str, str]:
    """The bytes, content type and file name of attachment `index` of message `name`."""
    parts = _attachments(_parse(_path_of(directory, name)))
    if not 0 <= index < len(parts):
        raise MailCatcherError(f"message {name!r} has no attachment {index}")
    part = parts[index][0]
    return (
        part.get_payload(decode=True) or b"",
        part.get_content_type(),
        clean_line(part.get_filename() or f"attachment-{index + 1}"),
    )


def caught_html(directory: Path, name: str) -> str | None:
    """The HTML body of message `name`, as sent (to be served only in a sandbox that runs and loads nothing)."""
    part = _parse(_path_of(directory, name)).get_body(preferencelist=("html",))
    return _content(part) if part is not None else None


def reply_to_caught(directory: Path, name: str, body: str) -> EmailMessage:
    """The reply the recipient of caught message `name` would send: from its first recipient, to its Reply-To (else
    its sender), in reply to its Message-ID, the thread's References kept."""
    original = _parse(_path_of(directory, name))
    sender = _header(original, "X-Envelope-To").strip("<>") or _header(original, "To").split(",")[0].strip()
    to = _header(original, "Reply-To") or _header(original, "From")
    message_id = _header(original, "Message-ID")
    if not to or not sender:
        raise MailCatcherError(f"message {name!r} names no sender or recipient to reply between")
    reply = EmailMessage()
    reply["From"], reply["To"] = sender, to
    subject = _header(original, "Subject")
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "localhost")
    if message_id:
        reply["In-Reply-To"] = message_id
        reply["References"] = " ".join(filter(None, [_header(original, "References"), message_id]))
    reply.set_content(body)
    return reply


def main(argv: list[str] | None = None) -> int:
    """`python -m backoffice.mail_catcher --port 8025 --dir instance/caught-mail`: run until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--mailbox", type=Path, help="a Maildir that also gets the mail to --domain")
    parser.add_argument("--domain", default="", help="the operator's own domain (MAIL_FROM's)")
    args = parser.parse_args(argv)
    try:
        catcher = Catcher(args.dir, args.port, mailbox=args.mailbox, domain=args.domain)
    except MailCatcherError as error:
        print(f"mail catcher: {error}", flush=True)
        return 1
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_args: stop.set())
    while not stop.wait(0.5):
        pass
    catcher.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

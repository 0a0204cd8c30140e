"""The one way mail comes in: the operator's mailbox, read as raw messages, each marked done once it is filed.

Two sources behind one interface (`open_mailbox`): an IMAP server at `IMAP_URL` (production), or, in development
without it, the local Maildir the mail catcher of `make run` delivers replies into (`LOCAL_MAILBOX_DIR`).

`imaps://user:pass@host:993/INBOX` is TLS from the first byte; `imap://user:pass@host:143/INBOX` upgrades with
STARTTLS when the server offers it, and sends no password over plain text except to this machine. The folder is the
URL's path (`INBOX` when none). A mail is "unseen" until it is marked done: the IMAP flag `\\Seen` (the mailbox is
the app's own: a person reading it in a mail program would mark mail seen before the app files it), a Maildir file
moved from `new/` to `cur/`. Every failure of the server comes back as `MailboxUnavailable` (try again next run).
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from backoffice.server_urls import ServerAddress, parse_server_url

TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"imap": 143, "imaps": 993}
_MAILDIR_NAME = re.compile(r"\A[A-Za-z0-9._-]{1,200}\Z")  # what a Maildir file in new/ may be called (no path)


class MailboxUnavailable(Exception):
    """The mailbox cannot be read now (server down, sign-in refused, a protocol error); the message says why,
    without the password."""


@dataclass(frozen=True)
class IncomingMail:
    """One mail as it lies in the mailbox: its id there, its size, and its bytes (only the header when the whole
    mail is larger than the limit the caller gave: `complete` is False then)."""

    uid: str
    size: int
    content: bytes
    complete: bool = True


class Mailbox(Protocol):
    def unseen(self, *, limit: int, max_bytes: int) -> Iterator[IncomingMail]:
        """At most `limit` mails not yet marked done, oldest first, each read when the caller asks for the next one
        (one in memory at a time); a mail larger than `max_bytes` comes as its header only."""

    def mark_done(self, uid: str) -> None:
        """The mail is filed (or skipped for good): it is not fetched again."""


def parse_imap_url(url: str) -> ServerAddress:
    """`imaps://user:pass@host:993/INBOX` as its parts (folder INBOX when none is named); raises MailboxUnavailable
    for what cannot work."""
    address = parse_server_url(url, setting="IMAP_URL", default_ports=DEFAULT_PORTS, error=MailboxUnavailable)
    return replace(address, folder=address.folder or "INBOX")


class ImapMailbox:
    """A signed-in IMAP connection with the folder selected (read-write)."""

    def __init__(self, target: ServerAddress, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.target = target
        self._imap = self._connect(timeout)

    def _connect(self, timeout: float) -> imaplib.IMAP4:
        target, context = self.target, ssl.create_default_context()
        with _errors(target):
            if target.scheme == "imaps":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(target.host, target.port, ssl_context=context, timeout=timeout)
            else:
                imap = imaplib.IMAP4(target.host, target.port, timeout=timeout)
            try:
                encrypted = target.scheme == "imaps"
                if not encrypted and "STARTTLS" in imap.capabilities:
                    imap.starttls(ssl_context=context)
                    encrypted = True
                if not encrypted and not target.is_local:
                    raise MailboxUnavailable(f"{target}: no password is sent over an unencrypted connection")
                imap.login(target.username, target.password)
                status, answer = imap.select(_quoted(target.folder))
                if status != "OK":
                    raise MailboxUnavailable(f"{target}: the folder cannot be opened: {_text(answer)}")
            except BaseException:
                with contextlib.suppress(Exception):
                    imap.shutdown()
                raise
        return imap

    def unseen(self, *, limit: int, max_bytes: int) -> Iterator[IncomingMail]:
        with _errors(self.target):
            uids = _ok(self._imap.uid("SEARCH", "UNSEEN"), self.target)[0].split()[:limit]
        for raw_uid in uids:
            uid = raw_uid.decode()
            with _errors(self.target):
                size = self._size(uid)
                part = "BODY.PEEK[]" if size <= max_bytes else "BODY.PEEK[HEADER]"
                content = self._fetch(uid, part)
            if content is not None:
                yield IncomingMail(uid, size, content, complete=size <= max_bytes)

    def _size(self, uid: str) -> int:
        answer = _ok(self._imap.uid("FETCH", uid, "(RFC822.SIZE)"), self.target)
        found = re.search(rb"RFC822\.SIZE (\d+)", b" ".join(a for a in answer if isinstance(a, bytes)))
        return int(found.group(1)) if found else 0

    def _fetch(self, uid: str, part: str) -> bytes | None:
        """The bytes of `part` of mail `uid` (None: the mail went meanwhile, deleted by someone else)."""
        for item in _ok(self._imap.uid("FETCH", uid, f"({part})"), self.target):
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_done(self, uid: str) -> None:
        with _errors(self.target):
            _ok(self._imap.uid("STORE", uid, "+FLAGS", "(\\Seen)"), self.target)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._imap.close()
        with contextlib.suppress(Exception):
            self._imap.logout()


class MaildirMailbox:
    """A Maildir folder (development): mail waits in `new/`, is moved to `cur/` (flag S) when done."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        for folder in ("tmp", "new", "cur"):
            (directory / folder).mkdir(parents=True, exist_ok=True)

    def unseen(self, *, limit: int, max_bytes: int) -> Iterator[IncomingMail]:
        names = sorted(p.name for p in (self.directory / "new").iterdir() if _MAILDIR_NAME.match(p.name))
        for name in names[:limit]:
            try:
                with open(self.directory / "new" / name, "rb") as file:
                    size = os.fstat(file.fileno()).st_size
                    content = file.read() if size <= max_bytes else _header_of(file)
            except FileNotFoundError:  # taken meanwhile by another run
                continue
            yield IncomingMail(name, size, content, complete=size <= max_bytes)

    def mark_done(self, uid: str) -> None:
        if not _MAILDIR_NAME.match(uid):
            raise MailboxUnavailable(f"no mail {uid!r} in {self.directory}")
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.directory / "new" / uid, self.directory / "cur" / f"{uid}:2,S")

    def close(self) -> None:
        pass


@contextlib.contextmanager
def open_mailbox(imap_url: str, local_dir: Path | None = None) -> Iterator[Mailbox | None]:
    """The IMAP mailbox at `imap_url`; without one, the Maildir `local_dir`; with neither, None (nothing to read)."""
    if imap_url:
        mailbox: ImapMailbox | MaildirMailbox = ImapMailbox(parse_imap_url(imap_url))
    elif local_dir is not None:
        mailbox = MaildirMailbox(local_dir)
    else:
        yield None
        return
    try:
        yield mailbox
    finally:
        mailbox.close()


def _header_of(file) -> bytes:
    """The header of a mail file (up to the first blank line, at most 1 MB): what is kept of a mail too large."""
    header = b""
    for line in file:
        header += line
        if line in (b"\r\n", b"\n") or len(header) > 1024 * 1024:
            break
    return header


@contextlib.contextmanager
def _errors(target: ServerAddress) -> Iterator[None]:
    try:
        yield
    except MailboxUnavailable:
        raise
    except (imaplib.IMAP4.error, OSError, ssl.SSLError, TimeoutError, EOFError) as error:
        raise MailboxUnavailable(f"{target}: {error or type(error).__name__}") from None


def _ok(answer: tuple[str, list], target: ServerAddress) -> list:
    status, data = answer
    if status != "OK":
        raise MailboxUnavailable(f"{target} answered {status} {_text(data)}")
    return data


def _text(data: list) -> str:
    return " ".join(item.decode(errors="replace") if isinstance(item, bytes) else str(item) for item in data or [])


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

"""The one way mail leaves the app: SMTP to `SMTP_URL`, one `EmailMessage` per call, over a connection of its own
(`send_message`) or over one kept open for many (`connection`: a batch of messages, one connection).

`smtp://host:port` speaks plain SMTP and upgrades with STARTTLS when the server offers it; `smtp+starttls://`
requires STARTTLS (a server without it is refused); `smtps://` is TLS from the first byte (port 465). A user and
password in the URL (URL-encoded) sign in, only over TLS unless the host is this machine. Errors come back as two
kinds, so the job that sends knows what to do: `MailDeferred` (try again later: server down, timeouts, 4xx answers)
and `MailRefused` (retrying cannot help: 5xx answers, every recipient refused, bad configuration).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage

from backoffice.server_urls import ServerAddress, parse_server_url

TIMEOUT_SECONDS = 30
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class MailError(Exception):
    """Sending failed; the message says why, without the password."""


class MailDeferred(MailError):
    """The server may take the message later (down, busy, a 4xx answer)."""


class MailRefused(MailError):
    """The server refused the message for good (a 5xx answer), or the configuration cannot work."""


def parse_smtp_url(url: str) -> ServerAddress:
    """`smtp://user:pass@host:587` as its parts; raises MailRefused for what cannot work."""
    return parse_server_url(url, setting="SMTP_URL", default_ports=DEFAULT_PORTS, error=MailRefused)


def send_message(message: EmailMessage, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
    """Deliver `message` (its From, To, Cc decide the envelope) to the SMTP server at `url`, on a connection of its
    own."""
    with connection(url, timeout=timeout) as smtp:
        smtp.send(message)


@contextlib.contextmanager
def connection(url: str, *, timeout: float = TIMEOUT_SECONDS) -> Iterator[Connection]:
    """One connection to `url` for many messages: opened at the first send, closed (QUIT) at the end."""
    smtp = Connection(parse_smtp_url(url), timeout)
    try:
        yield smtp
    finally:
        smtp.close()


class Connection:
    """Messages sent one after another over one SMTP conversation; each send answers for its own message.

    A server that answered a message with 421 (and hung up) is dialled again for the next one. A server that could
    not be reached is not dialled again on this connection: every later message is deferred at once, so a batch
    does not wait out a timeout per message."""

    def __init__(self, target: ServerAddress, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def send(self, message: EmailMessage) -> None:
        """Deliver `message`; raises MailDeferred or MailRefused for this message only."""
        target = self.target
        if self._unreachable is not None:
            raise MailDeferred(f"{target}: not tried again in this batch ({self._unreachable})")
        try:
            if self._smtp is None or self._smtp.sock is None:
                self._smtp = None
                try:
                    self._smtp = _connect(target, self.timeout)
                except (TimeoutError, OSError, ssl.SSLError) as error:
                    self._unreachable = str(error) or type(error).__name__
                    raise
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            text = "; ".join(
                f"{who}: {code} {reply.decode(errors='replace')}" for who, (code, reply) in error.recipients.items()
            )
            kind = MailDeferred if all(400 <= code < 500 for code in codes) else MailRefused
            raise kind(f"recipients refused by {target}: {text}") from None
        except smtplib.SMTPResponseException as error:
            reply = error.smtp_error
            reply = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
            kind = MailDeferred if 400 <= error.smtp_code < 500 else MailRefused
            raise kind(f"{target} answered {error.smtp_code} {reply}") from None
        except smtplib.SMTPNotSupportedError as error:
            raise MailRefused(f"{target}: {error}") from None
        except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as error:
            self._drop()
            raise MailDeferred(f"{target}: {error or type(error).__name__}") from None
        if refused:
            # Some recipients took it, some refused: it went out, so it is not sent again (that would duplicate it).
            raise MailRefused(f"{target} refused some recipients: {', '.join(sorted(refused))}")

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None


def _connect(target: ServerAddress, timeout: float) -> smtplib.SMTP:
    # A TLS context loads the system's CA certificates (about 60 ms, most of a local send): made only for TLS.
    if target.scheme == "smtps":
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
    try:
        smtp.ehlo()
        encrypted = target.scheme == "smtps"
        if target.scheme != "smtps" and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
            encrypted = True
        elif target.scheme == "smtp+starttls":
            raise MailRefused(f"{target} offers no STARTTLS, which SMTP_URL requires")
        if target.username:
            if not encrypted and not target.is_local:
                raise MailRefused(f"{target}: no password is sent over an unencrypted connection")
            smtp.login(target.username, target.password)
    except BaseException:
        smtp.close()
        raise
    return smtp

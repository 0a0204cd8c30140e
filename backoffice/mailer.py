"""The one way mail leaves the app: SMTP to `SMTP_URL`, one `EmailMessage` per call.

`smtp://host:port` speaks plain SMTP and upgrades with STARTTLS when the server offers it; `smtp+starttls://`
requires STARTTLS (a server without it is refused); `smtps://` is TLS from the first byte (port 465). A user and
password in the URL (URL-encoded) sign in, only over TLS unless the host is this machine. Errors come back as two
kinds, so the job that sends knows what to do: `MailDeferred` (try again later: server down, timeouts, 4xx answers)
and `MailRefused` (retrying cannot help: 5xx answers, every recipient refused, bad configuration).
"""

from __future__ import annotations

import smtplib
import ssl
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
    """Deliver `message` (its From, To, Cc decide the envelope) to the SMTP server at `url`."""
    target = parse_smtp_url(url)
    try:
        with _connect(target, timeout) as smtp:
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        text = "; ".join(
            f"{who}: {code} {reply.decode(errors='replace')}" for who, (code, reply) in error.recipients.items()
        )
        kind = MailDeferred if all(400 <= code < 500 for code in codes) else MailRefused
        raise kind(f"recipients refused by {target}: {text}") from None
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        kind = MailDeferred if 400 <= error.smtp_code < 500 else MailRefused
        raise kind(f"{target} answered {error.smtp_code} {reply}") from None
    except smtplib.SMTPNotSupportedError as error:
        raise MailRefused(f"{target}: {error}") from None
    except (TimeoutError, smtplib.SMTPException, OSError, ssl.SSLError) as error:
        raise MailDeferred(f"{target}: {error or type(error).__name__}") from None
    if refused:
        # Some recipients took it, some refused: it went out, so it is not sent again (that would duplicate it).
        raise MailRefused(f"{target} refused some recipients: {', '.join(sorted(refused))}")


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

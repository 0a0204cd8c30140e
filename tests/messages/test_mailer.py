"""The SMTP adapter against a real server: what SMTP_URL means, and which failures are worth a retry."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from backoffice import mailer
from tests.messages.conftest import SmtpServer
from tests.servers import free_port

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


def mail(to: str = "patient@example.org") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Team <care@medtravel.example>"
    message["To"] = to
    message["Subject"] = "Hello"
    message["Message-ID"] = "<one@medtravel.example>"
    message.set_content("Hello.\n")
    return message


def test_the_url_gives_host_port_and_url_encoded_credentials_and_never_shows_the_password():
    target = mailer.parse_smtp_url("smtp+starttls://care%40op.example:p%3Ass@mail.example")
    assert (target.host, target.port, target.username, target.password) == (
        "mail.example",
        587,
        "care@op.example",
        "p:ss",
    )
    assert "p:ss" not in str(target) and "p:ss" not in repr(target.__str__())
    assert mailer.parse_smtp_url("smtps://mail.example").port == 465
    assert mailer.parse_smtp_url("smtp://mail.example").port == 25


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://mail.example:notaport"])
def test_a_url_that_cannot_work_is_refused_not_retried(url):
    with pytest.raises(mailer.MailRefused):
        mailer.send_message(mail(), url)


def test_a_server_that_is_down_is_a_deferral():
    with pytest.raises(mailer.MailDeferred, match=r"127\.0\.0\.1"):
        mailer.send_message(mail(), f"smtp://127.0.0.1:{free_port()}", timeout=2)


def test_required_starttls_is_refused_by_a_server_that_does_not_offer_it(smtp):
    with pytest.raises(mailer.MailRefused, match="STARTTLS"):
        mailer.send_message(mail(), smtp.url.replace("smtp://", "smtp+starttls://"))
    assert smtp.inbox.received == []


def test_no_password_goes_to_a_remote_server_over_plain_smtp():
    # 127.0.0.2 is this machine, but not a name the adapter treats as local: the refusal is ours, not the server's.
    server = SmtpServer(host="127.0.0.2")
    server.start()
    try:
        with pytest.raises(mailer.MailRefused, match="unencrypted"):
            mailer.send_message(mail(), f"smtp://user:secret@127.0.0.2:{server.port}", timeout=2)
    finally:
        server.stop()
    assert server.inbox.received == []


def test_plain_smtp_without_starttls_delivers_to_the_local_catcher(smtp):
    mailer.send_message(mail(), smtp.url)
    (received,) = smtp.inbox.messages()
    assert received["Message-ID"] == "<one@medtravel.example>"

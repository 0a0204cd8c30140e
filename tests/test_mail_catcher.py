"""The mail catcher of `make run`: a real SMTP server that keeps each message it receives as one file."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest

from backoffice.mail_catcher import Catcher, MailCatcherError, list_caught, read_caught
from tests.servers import free_port

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


@pytest.fixture
def catcher(tmp_path):
    running = Catcher(tmp_path / "caught-mail", port=0)
    yield running
    running.stop()


def send(catcher: Catcher, message: EmailMessage, *, to: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
        smtp.send_message(message, to_addrs=to)


def message(subject: str = "Your request MT-2026-0001", body: str = "We received your request.") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "care@medtravel.example", "patient@example.test", subject
    mail.set_content(body)
    return mail


def test_each_message_received_over_smtp_is_kept_as_one_file_in_new(catcher):
    send(catcher, message())
    send(catcher, message("Second"))
    stored = sorted((catcher.directory / "new").iterdir())
    assert [path.suffix for path in stored] == [".eml", ".eml"]
    assert list((catcher.directory / "tmp").iterdir()) == [], "a message is renamed out of tmp/ once written"
    assert b"Subject: Your request MT-2026-0001" in stored[0].read_bytes()


def test_caught_mail_is_listed_newest_first_in_pages(catcher):
    for number in range(5):
        send(catcher, message(f"Message {number}"))
    first = list_caught(catcher.directory, page=1, per_page=2)
    assert [mail.subject for mail in first.items] == ["Message 4", "Message 3"]
    assert (first.total, first.pages, first.has_next) == (5, 3, True)
    assert [mail.subject for mail in list_caught(catcher.directory, page=9, per_page=2).items] == ["Message 0"]


def test_a_blind_copy_shows_in_the_envelope_though_no_header_names_it(catcher):
    send(catcher, message(), to=["patient@example.test", "hidden@example.test"])
    mail = list_caught(catcher.directory).items[0]
    assert mail.envelope_to == ["<patient@example.test>", "<hidden@example.test>"]
    assert "hidden@example.test" not in mail.to


ARABIC = "\u0637\u0644\u0628\u0643"  # "your request"
ARABIC_GREETING = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645"  # "welcome"


def test_cyrillic_and_arabic_subjects_and_bodies_read_back_as_sent(catcher):
    send(catcher, message(f"Ваша заявка · {ARABIC}", f"Здравствуйте!\n{ARABIC_GREETING}"))
    mail = read_caught(catcher.directory, list_caught(catcher.directory).items[0].name)
    assert mail.subject == f"Ваша заявка · {ARABIC}"
    assert mail.text == f"Здравствуйте!\n{ARABIC_GREETING}\n"


def test_html_body_and_attachments_are_read_apart_from_the_text(catcher):
    mail = message()
    mail.add_alternative("<p>Hello <script>alert(1)</script></p>", subtype="html")
    mail.add_attachment(b"%PDF-1.7 itinerary", maintype="application", subtype="pdf", filename="Reiseplan Müller.pdf")
    send(catcher, mail)
    caught = read_caught(catcher.directory, list_caught(catcher.directory).items[0].name)
    assert caught.text == "We received your request.\n"
    assert caught.html == "<p>Hello <script>alert(1)</script></p>\n"
    assert [(a.filename, a.content_type, a.size) for a in caught.attachments] == [
        ("Reiseplan Müller.pdf", "application/pdf", 18)
    ]


@pytest.mark.parametrize("name", ["../secret_key", "x.eml", "00000000000000000001.1.0.eml", ".eml"])
def test_only_a_caught_message_s_own_name_reads_a_file(catcher, name):
    (catcher.directory / "secret_key").write_text("not mail")
    with pytest.raises(MailCatcherError):
        read_caught(catcher.directory, name)


def test_a_taken_port_stops_the_catcher_with_a_message_naming_the_setting(tmp_path, catcher):
    with pytest.raises(MailCatcherError, match="MAIL_CATCHER_PORT"):
        Catcher(tmp_path / "other", port=catcher.port)


def _connect(port: int, process: subprocess.Popen) -> smtplib.SMTP:
    deadline = time.monotonic() + 10
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=5)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_catcher_runs_as_its_own_process_until_sigterm(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "backoffice.mail_catcher", "--port", str(port), "--dir", str(tmp_path)]
    process = subprocess.Popen(command)
    try:
        with _connect(port, process) as smtp:
            smtp.send_message(message())
        assert len(list((tmp_path / "new").iterdir())) == 1
        process.terminate()
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()

"""The development mail page: administrators read what the catcher caught, in development only, never its HTML raw."""

from __future__ import annotations

import smtplib

import pytest

from backoffice.mail_catcher import list_caught
from tests.devmail.caught import confirmation, send
from tests.helpers import change_settings

ARABIC = "\u0637\u0644\u0628\u0643"  # "your request"


def test_admin_sees_caught_mail_newest_first_with_subject_and_addresses(catcher, as_role):
    send(catcher, confirmation("Older"))
    send(catcher, confirmation(f"Ваша заявка MT-2026-0042 · {ARABIC}"))
    page = as_role("admin").get("/dev/mail/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text.index(f"Ваша заявка MT-2026-0042 · {ARABIC}") < text.index("Older")
    assert "patient@example.test" in text and "care@medtravel.example" in text


def test_the_list_is_paged(catcher, as_role, monkeypatch):
    monkeypatch.setattr("backoffice.devmail.views.PER_PAGE", 2)
    for number in range(3):
        send(catcher, confirmation(f"Message {number}"))
    client = as_role("admin")
    first = client.get("/dev/mail/").get_data(as_text=True)
    assert "Message 2" in first and "Message 0" not in first and "Page 1 of 2" in first
    assert "Message 0" in client.get("/dev/mail/?page=2").get_data(as_text=True)


def test_one_message_shows_its_headers_text_and_attachments(catcher, as_role):
    mail = confirmation(body=f"Ваш номер: MT-2026-0042\n{ARABIC}")
    mail.add_attachment(b"%PDF-1.7", maintype="application", subtype="pdf", filename="Itinerary MT-2026-0042.pdf")
    name = send(catcher, mail)
    client = as_role("admin")
    page = client.get(f"/dev/mail/{name}").get_data(as_text=True)
    assert "Ваша заявка MT-2026-0042" in page and f"Ваш номер: MT-2026-0042\n{ARABIC}" in page
    assert "Itinerary MT-2026-0042.pdf" in page
    attachment = client.get(f"/dev/mail/{name}/attachments/0")
    assert attachment.status_code == 200 and attachment.data == b"%PDF-1.7"
    assert attachment.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in attachment.headers["Content-Security-Policy"]
    assert client.get(f"/dev/mail/{name}/attachments/1").status_code == 404


def test_html_body_is_shown_escaped_and_framed_in_a_sandbox_that_runs_and_loads_nothing(catcher, as_role):
    mail = confirmation()
    mail.add_alternative('<p>Hi</p><script>alert("x")</script><img src="https://tracker.example/open.gif">', "html")
    name = send(catcher, mail)
    client = as_role("admin")
    page = client.get(f"/dev/mail/{name}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert '<img src="https://tracker.example' not in page
    assert f'sandbox src="/dev/mail/{name}/html"' in page
    framed = client.get(f"/dev/mail/{name}/html")
    policy = framed.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert framed.headers["X-Content-Type-Options"] == "nosniff"


def test_a_header_laden_with_line_breaks_and_controls_does_not_break_the_page(catcher, as_role):
    with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
        # An encoded word can carry CR/LF and control characters in a header; so can a folded, malformed one.
        smtp.sendmail(
            "care@medtravel.example",
            ["patient@example.test"],
            b"From: care@medtravel.example\r\nTo: patient@example.test\r\n"
            b"Subject: =?utf-8?q?Line_one=0D=0AX-Injected:_yes=00=E2=80=AE?=\r\n"
            b"X-Broken: =?utf-8?q?unterminated\r\n\r\nBody\r\n",
        )
    name = list_caught(catcher.directory).items[0].name
    client = as_role("admin")
    assert client.get("/dev/mail/").status_code == 200
    page = client.get(f"/dev/mail/{name}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Line one X-Injected: yes" in text
    assert "\x00" not in text and "\u202e" not in text


def test_the_page_is_not_found_outside_development(catcher, as_role, app, monkeypatch):
    name = send(catcher, confirmation())
    change_settings(monkeypatch, app, app_env="test")
    client = as_role("admin")
    assert client.get("/dev/mail/").status_code == 404
    assert client.get(f"/dev/mail/{name}").status_code == 404
    assert "/dev/mail" not in client.get("/dashboard").get_data(as_text=True)


def test_the_admin_menu_links_the_page_in_development(catcher, as_role):
    assert 'href="/dev/mail/"' in as_role("admin").get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize("role", ["coordinator", "finance", "patient"])
def test_no_one_but_an_administrator_reads_caught_mail(catcher, as_role, role):
    name = send(catcher, confirmation())
    client = as_role(role)
    assert client.get("/dev/mail/").status_code == 403
    assert client.get(f"/dev/mail/{name}").status_code == 403


@pytest.mark.parametrize("name", ["..%2Fsecret_key", "x.eml", "00000000000000000001.1.0.eml"])
def test_a_name_that_is_no_caught_message_is_not_found(catcher, as_role, name):
    assert as_role("admin").get(f"/dev/mail/{name}").status_code == 404

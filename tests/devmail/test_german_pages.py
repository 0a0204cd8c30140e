"""A German-speaking administrator reads the caught mail in German (the mail itself stays as it was sent)."""

from __future__ import annotations

from tests.devmail.caught import confirmation, send
from tests.helpers import page_text


def test_a_german_speaking_administrator_sees_the_caught_mail_in_german(catcher, as_german):
    name = send(catcher, confirmation("Ihre Anfrage MT-2026-0042"))
    client = as_german("admin")

    listing = client.get("/dev/mail/")
    text = page_text(listing)
    assert listing.status_code == 200 and '<html lang="de"' in text
    assert "<h1>Abgefangene Mails</h1>" in text
    assert "Nur für die Entwicklung" in text and "Ihre Anfrage MT-2026-0042" in text

    shown = client.get(f"/dev/mail/{name}")
    text = page_text(shown)
    assert shown.status_code == 200 and "Als Empfänger antworten" in text and "Alle Kopfzeilen" in text
    assert "Kein Textteil." not in text and "Umschlag" in text

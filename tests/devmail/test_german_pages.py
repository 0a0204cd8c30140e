"""A German-speaking administrator reads the caught mail in German (the mail itself stays as it was sent)."""

from __future__ import annotations

import html

from backoffice.extensions import db
from tests.devmail.caught import confirmation, send


def test_a_german_speaking_administrator_sees_the_caught_mail_in_german(catcher, as_role, users):
    users["admin"].language = "de"
    db.session.commit()
    name = send(catcher, confirmation("Ihre Anfrage MT-2026-0042"))
    client = as_role("admin")

    listing = client.get("/dev/mail/")
    text = html.unescape(listing.get_data(as_text=True))
    assert listing.status_code == 200 and '<html lang="de"' in text
    assert "<h1>Abgefangene Mails</h1>" in text
    assert "Nur für die Entwicklung" in text and "Ihre Anfrage MT-2026-0042" in text

    shown = client.get(f"/dev/mail/{name}")
    text = html.unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and "Als Empfänger antworten" in text and "Alle Kopfzeilen" in text
    assert "Kein Textteil." not in text and "Umschlag" in text

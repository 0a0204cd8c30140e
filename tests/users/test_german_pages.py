"""A German-speaking administrator gets the account pages in German: the list, a new account's form with its
refusals, an account with its role and language forms, and the confirmations."""

from __future__ import annotations

from tests.helpers import page_text


def test_a_german_speaking_administrator_sees_the_account_pages_in_german(as_german, users):
    client = as_german("admin")

    listing = page_text(client.get("/admin/users/"))
    assert '<html lang="de"' in listing
    assert "Neues Konto" in listing and "Alle Rollen" in listing and "Aktiv" in listing

    account = page_text(client.get(f"/admin/users/{users['finance'].id}"))
    assert "Rolle ändern" in account and "Sprache der Seiten" in account and "Die des Browsers" in account
    assert "Verlauf dieses Kontos" in account and "Konto deaktivieren" in account

    form = page_text(client.get("/admin/users/new"))
    assert "Vollständiger Name" in form and "Anfangspasswort" in form and "Konto anlegen" in form

    refused = client.post(f"/admin/users/{users['admin'].id}/deactivate")
    assert refused.status_code == 422 and "Sie können Ihr eigenes Konto nicht deaktivieren." in page_text(refused)

    changed = client.post(
        f"/admin/users/{users['coordinator'].id}/language", data={"language": "de"}, follow_redirects=True
    )
    assert "Die Seiten von Carl Coordinator sind jetzt auf Deutsch." in page_text(changed)

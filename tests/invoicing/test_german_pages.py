"""A German-speaking finance clerk gets the invoice pages in German: the lists, a case's invoices, a draft with its
forms, an issued invoice with its payments, the credit-note form, and the refusals and confirmations it flashes.
Whoever saved no language keeps today's English."""

from __future__ import annotations

from tests.helpers import page_text
from tests.invoicing.factories import issued_deposit, pay

GERMAN_PAGE = '<html lang="de"'


def test_a_german_speaking_finance_clerk_sees_the_invoice_pages_in_german(as_german, case):
    deposit = issued_deposit(case)
    pay(deposit, "200.00")
    client = as_german("finance")

    listing = page_text(client.get("/invoices"))
    assert GERMAN_PAGE in listing
    assert "Rechnungen" in listing and "Alle Status" in listing and "Teilweise bezahlt" in listing

    of_case = page_text(client.get(f"/cases/{case.id}/invoices"))
    assert "Rechnungen und Gutschriften" in of_case and "Neue Anzahlungsrechnung" in of_case
    assert "Anzahlungsentwurf erstellen" in of_case and "Angenommenes Angebot und Krankenhausrechnung" in of_case

    issued = page_text(client.get(f"/invoices/{deposit.id}"))
    assert f"Anzahlungsrechnung {deposit.number}" in issued
    assert "Zahlungen" in issued and "Zahlung erfassen" in issued and "Überweisung" in issued
    assert "200,00" in issued  # amounts as German writes them

    credit_form = page_text(client.get(f"/invoices/{deposit.id}/credit-note"))
    assert f"Gutschrift zu Anzahlungsrechnung {deposit.number}" in credit_form and "Noch gutzuschreiben" in credit_form


def test_a_german_speaking_finance_clerk_is_answered_in_german(as_german, case):
    client = as_german("finance")

    refused = client.post(f"/cases/{case.id}/invoices/deposit", data={"amount": "12.345"})
    assert refused.status_code == 422
    assert "Anzahlungsbetrag: höchstens 2 Nachkommastellen." in page_text(refused)

    made = client.post(f"/cases/{case.id}/invoices/deposit", data={"amount": "300.00"}, follow_redirects=True)
    draft_page = page_text(made)
    assert "Entwurf einer Anzahlungsrechnung #" in draft_page and "Prüfen Sie den Entwurf" in draft_page
    assert "Position hinzufügen" in draft_page and "Wie die Umsatzsteuertabelle für diese Art vorgibt" in draft_page
    assert "Anzahlungsrechnung ausstellen" in draft_page


def test_staff_without_a_saved_language_keep_the_english_invoice_pages(as_role, case):
    page = page_text(as_role("finance").get(f"/cases/{case.id}/invoices"))
    assert '<html lang="en"' in page and "Invoices and credit notes" in page and "New deposit invoice" in page

"""A German-speaking finance clerk reads the receivables in German: the invoice list's new columns and filters, the
ageing report and a bucket, the payments journal, revenue by VAT category, the reminder panel and what sending a
reminder flashes."""

from __future__ import annotations

from tests.helpers import page_text
from tests.invoicing.factories import pay
from tests.receivables.factories import owed_deposit

GERMAN_PAGE = '<html lang="de"'


def test_a_german_speaking_finance_clerk_reads_the_receivables_in_german(as_german, app):
    invoice = owed_deposit("800.00", days_overdue=35)
    pay(invoice, "300.00")
    client = as_german("finance")

    listing = page_text(client.get("/invoices"))
    assert GERMAN_PAGE in listing and "Tage überfällig" in listing and "Nur überfällige" in listing
    assert "Summen aller aufgeführten Belege, je Währung" in listing and "500,00" in listing

    ageing = page_text(client.get("/receivables/ageing"))
    assert "Altersstruktur der Forderungen" in ageing and "31–60 Tage" in ageing  # noqa: RUF001
    assert "Davon überfällig" in ageing
    bucket = page_text(client.get("/receivables/ageing/31-60"))
    assert "Erste Mahnung senden" in bucket

    assert "Zahlungsjournal" in page_text(client.get("/receivables/payments"))
    assert "Umsatz nach Umsatzsteuerkategorie" in page_text(client.get("/receivables/revenue"))

    sent = client.post(f"/invoices/{invoice.id}/reminders", data={"level": "1"}, follow_redirects=True)
    text = page_text(sent)
    assert f"Die erste Mahnung von {invoice.number} ist archiviert" in text and "Erste Mahnung" in text
    again = client.post(f"/invoices/{invoice.id}/reminders", data={"level": "1"})
    assert again.status_code == 409 and "wird nicht zweimal verschickt" in page_text(again)

"""An erased patient's open invoices leave the dunning list and get no reminder, but the books stay complete: the
ageing totals and the ageing CSV, the payments journal and revenue count them as before, under the pseudonym
(`patients.restriction`)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from backoffice.dbtypes import operator_today
from backoffice.patients.restriction import RecordRestricted
from backoffice.receivables import reminders
from backoffice.receivables.ageing import ageing_report, bucket_invoices
from backoffice.receivables.journal import payments_journal
from backoffice.receivables.models import PaymentReminder
from backoffice.receivables.revenue import revenue_by_vat, revenue_totals
from tests.invoicing.factories import count, pay, text
from tests.patients.factories import PSEUDONYM, REFUSAL, erase
from tests.receivables.factories import owed_deposit, patient_of


@pytest.fixture
def owed(users):
    """Two deposits 12 days overdue, 100.00 paid on each: one of a patient on record, one of a patient erased since."""
    kept = owed_deposit("300.00", days_overdue=12, name="Kept Patient", email="kept@mail.example")
    gone = owed_deposit("900.00", days_overdue=12, name="Gone Patient", email="gone@mail.example")
    pay(kept, "100.00")
    pay(gone, "100.00")
    return kept, gone


def figures() -> dict:
    """What the books say now: the ageing report, the year's payments journal and revenue, without the names."""
    today = operator_today()
    year = (date(today.year, 1, 1), date(today.year, 12, 31))
    journal = payments_journal(*year)
    rows = revenue_by_vat(*year)
    return {
        "ageing": [(a.currency, a.amounts, a.counts) for a in ageing_report()],
        "journal": [(e.day, e.amount, e.currency, e.method, e.invoice_number) for e in journal.entries],
        "journal_totals": [(t.currency, t.method, t.received, t.refunded) for t in journal.by_method],
        "revenue": [(r.month, r.currency, r.category, r.rate, r.net, r.tax, r.documents) for r in rows],
        "revenue_totals": revenue_totals(rows),
    }


def test_the_books_are_the_same_after_an_erasure(owed):
    _kept, gone = owed
    before = figures()
    erase(patient_of(gone))
    assert figures() == before
    today = operator_today()
    names = {entry.patient_name for entry in payments_journal(date(today.year, 1, 1), today).entries}
    assert names == {"Kept Patient", PSEUDONYM}  # the erased patient's payment, under the pseudonym


def test_an_erased_patients_invoice_leaves_the_dunning_list(owed):
    kept, gone = owed
    erase(patient_of(gone))
    assert [entry.invoice.number for entry in bucket_invoices("1-30")] == [kept.number]
    assert [entry.invoice.number for entry in bucket_invoices(None)] == [kept.number]
    (euros,) = ageing_report()
    assert (euros.amounts["1-30"], euros.counts["1-30"]) == (200 + 800, 2)  # the report's totals still count it


def test_the_bucket_page_shows_no_erased_patients_invoice(as_role, owed):
    kept, gone = owed
    erase(patient_of(gone))
    page = text(as_role("finance").get("/receivables/ageing/1-30"))
    assert kept.number in page and gone.number not in page and PSEUDONYM not in page


def test_the_ageing_csv_adds_up_to_the_report_with_the_erased_patients_invoice(as_role, owed):
    _kept, gone = owed
    erase(patient_of(gone))
    rows = list(csv.DictReader(io.StringIO(text(as_role("finance").get("/receivables/ageing.csv")))))
    assert {row["invoice"]: row["patient"] for row in rows}[gone.number] == PSEUDONYM
    assert sum(float(row["left_to_pay"]) for row in rows) == 1000.00


def test_no_reminder_goes_to_an_erased_patient(as_role, users, owed):
    _kept, gone = owed
    erase(patient_of(gone))
    with pytest.raises(RecordRestricted):
        reminders.send_reminder(gone.id, 1, actor_id=users["finance"].id)
    response = as_role("finance").post(f"/invoices/{gone.id}/reminders", data={"level": "1"})
    assert response.status_code == 409 and REFUSAL in text(response)
    assert count(PaymentReminder) == 0

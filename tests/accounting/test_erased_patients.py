"""The accountant's DATEV export keeps an erased patient's invoices, credit notes and payments: the books must stay
complete for the tax law, so the batch carries the same bookings, amounts and accounts as without the erasure, the
booking texts under the pseudonym (`patients.restriction`)."""

from __future__ import annotations

from backoffice.accounting import exports
from backoffice.accounting.bookings import bookings_of
from backoffice.accounting.charts import current_chart
from backoffice.extensions import db
from backoffice.patients.models import Patient
from tests.accounting.factories import november
from tests.accounting.test_datev_export import AT, NOVEMBER, expected_month, export_november, lines_of, rows_of
from tests.patients.factories import PSEUDONYM, erase


def booked() -> list[tuple]:
    """Every booking of November as numbers: document, date and each part's amount, side and account."""
    return [
        (b.key, b.document_number, b.document_date, [(p.amount, p.debtor_side, p.other_account) for p in b.parts])
        for b in bookings_of(NOVEMBER.start, NOVEMBER.end, current_chart())
    ]


def test_an_erasure_changes_no_booking_of_the_period(app, monkeypatch):
    month = november(monkeypatch)
    before, preview = booked(), exports.preview(NOVEMBER)
    erase(db.session.get(Patient, month.final.patient_id))
    assert booked() == before
    after = exports.preview(NOVEMBER)
    assert (after.new_invoices, after.new_payments) == (preview.new_invoices, preview.new_payments) == (3, 2)


def test_the_batch_of_an_erased_patients_month_is_the_same_under_the_pseudonym(app, monkeypatch):
    month = november(monkeypatch)
    erase(db.session.get(Patient, month.final.patient_id))
    export = export_november()
    revenue = {"exempt": "8100", "reduced": "8300", "standard": "8400"}
    assert rows_of(export) == expected_month(month, revenue, bank="1200", cash="1000")
    texts = [line.split(";")[AT["Buchungstext"]] for line in lines_of(export)[2:]]
    assert all(PSEUDONYM in booking_text for booking_text in texts)

"""The accountant's DATEV export: a period's invoices, credit notes and payments as an EXTF booking batch, each
invoice one row per VAT category and rate against the patient's debtor account, each payment the bank or cash
against it; each export recorded so that a second one carries only what is new and nothing is booked twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.accounting import exports
from backoffice.accounting.extf import COLUMNS
from backoffice.accounting.models import DatevBooking, DatevExport
from backoffice.extensions import db
from backoffice.invoicing import credits, finals
from backoffice.patients.models import Patient
from backoffice.storage import archive
from backoffice.trail import AuditEvent
from tests.accounting.factories import dollar_deposit, issue, issued_deposit, issued_on, november, pay_on
from tests.factories import make_patient
from tests.helpers import change_settings
from tests.invoicing.concurrency import after_the_check, at_once
from tests.invoicing.factories import credit, make_approved_bill, make_invoicing_case

NOVEMBER = exports.Period(date(2026, 11, 1), date(2026, 11, 30))
AT = {name: index for index, name in enumerate(COLUMNS)}


def lines_of(export: DatevExport) -> list[str]:
    data = archive.read_pdf(export.filename, export.sha256)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")  # CR LF, nothing else
    return data.decode("cp1252").split("\r\n")[:-1]


def rows_of(export: DatevExport) -> list[tuple[str, ...]]:
    """(Umsatz, S/H, Konto, Gegenkonto, Belegdatum, Belegfeld 1) of each booking row, quotes taken off."""
    rows = []
    for line in lines_of(export)[2:]:
        fields = [field.strip('"') for field in line.split(";")]
        assert len(fields) == len(COLUMNS) == 125
        rows.append(
            tuple(
                fields[AT[name]]
                for name in (
                    "Umsatz (ohne Soll/Haben-Kz)",
                    "Soll/Haben-Kennzeichen",
                    "Konto",
                    "Gegenkonto (ohne BU-Schlüssel)",
                    "Belegdatum",
                    "Belegfeld 1",
                )
            )
        )
    return rows


def export_november(actor_id=None) -> DatevExport:
    export = exports.export_period(NOVEMBER, actor_id=actor_id, exported_by="Frida Finance")
    db.session.commit()
    return export


def expected_month(month, revenue: dict[str, str], bank: str, cash: str) -> list[tuple[str, ...]]:
    deposit, final, note = month.deposit.number, month.final.number, month.credit_note.number
    return [
        ("500,00", "S", "10000", revenue["exempt"], "0311", deposit),  # the deposit invoice, exempt
        ("500,00", "S", bank, "10000", "0511", deposit),  # its payment by transfer
        ("5886,50", "S", "10000", revenue["exempt"], "2011", final),  # treatment
        ("321,00", "S", "10000", revenue["reduced"], "2011", final),  # hotel 300.00 + 7 %
        ("1785,00", "S", "10000", revenue["standard"], "2011", final),  # coordination fee 1,500.00 + 19 %
        ("500,00", "H", "10000", revenue["exempt"], "2011", final),  # the deposit it took over
        ("321,00", "H", "10000", revenue["reduced"], "2511", note),  # the hotel nights credited
        ("1000,00", "S", cash, "10000", "2811", final),  # paid in cash
    ]


def test_a_month_books_each_invoice_per_vat_rate_and_each_payment_against_the_debtor_in_skr03(app, monkeypatch):
    month = november(monkeypatch)
    export = export_november()
    revenue = {"exempt": "8100", "reduced": "8300", "standard": "8400"}
    assert rows_of(export) == expected_month(month, revenue, bank="1200", cash="1000")
    assert (export.booking_count, export.earlier_count, export.chart) == (5, 0, "SKR03")


def test_the_chart_skr04_books_to_its_own_revenue_bank_and_cash_accounts(app, monkeypatch):
    change_settings(monkeypatch, app, datev_chart="SKR04")
    month = november(monkeypatch)
    revenue = {"exempt": "4100", "reduced": "4300", "standard": "4400"}
    assert rows_of(export_november()) == expected_month(month, revenue, bank="1800", cash="1600")


def test_the_header_names_the_batch_the_adviser_and_the_period(app, monkeypatch):
    change_settings(monkeypatch, app, datev_consultant_number="4711", datev_client_number="815")
    november(monkeypatch)
    header, headings, *_rows = lines_of(export_november())
    fields = header.split(";")
    assert fields[:5] == ['"EXTF"', "700", "21", '"Buchungsstapel"', "13"]
    assert len(fields[5]) == 17 and fields[5].isdigit()  # created: YYYYMMDDHHMMSSmmm
    assert fields[10:16] == ["4711", "815", "20260101", "4", "20261101", "20261130"]
    assert fields[18:22] == ["1", "0", "0", '"EUR"'] and fields[26] == '"03"'
    assert headings.split(";") == list(COLUMNS)
    assert headings.startswith("Umsatz (ohne Soll/Haben-Kz);Soll/Haben-Kennzeichen;WKZ Umsatz;Kurs;")


def test_booking_texts_are_windows_1252_and_names_outside_it_are_written_plainly(app, monkeypatch):
    november(monkeypatch, patient=make_patient(name="Jürgen Иван 李"))
    lines = lines_of(export_november())
    text = lines[2].split(";")[AT["Buchungstext"]]
    assert text.startswith('"Anzahlungsrechnung INV-') and text.endswith('steuerfrei Jürgen ???? ?"')


def test_an_invoice_in_another_currency_is_booked_in_euros_at_its_own_rate(app, monkeypatch):
    deposit = dollar_deposit(monkeypatch)  # USD 333.33 at 1 EUR = 1.25 USD: EUR 266.66 (266.664 rounded)
    assert rows_of(export_november()) == [
        ("266,66", "S", "10000", "8100", "1011", deposit.number),
        ("266,66", "S", "1200", "10000", "1211", deposit.number),
    ]


def balance_of(rows, account: str) -> Decimal:
    """What the rows leave on `account`: debits (S on Konto, H when it is the Gegenkonto) less credits."""
    total = Decimal(0)
    for amount, side, konto, gegenkonto, *_rest in rows:
        value = Decimal(amount.replace(",", "."))
        if account == konto:
            total += value if side == "S" else -value
        elif account == gegenkonto:
            total += -value if side == "S" else value
    return total


def test_the_debtor_account_ends_at_what_the_patient_owes_and_revenue_is_booked_once(app, monkeypatch):
    month = november(monkeypatch)
    rows = rows_of(export_november())
    # final 7,992.50 - deposit 500.00 deducted - hotel 321.00 credited - 1,000.00 paid in cash
    assert balance_of(rows, "10000") == Decimal("6171.50")
    assert month.final.total - 500 - 321 - 1000 == Decimal("6171.50")
    assert -balance_of(rows, "8100") == Decimal("5886.50")  # the treatment, the deposit on it not twice


def test_a_credit_note_cancelling_a_final_invoice_gives_its_deposit_back_its_revenue(app, monkeypatch):
    case = make_invoicing_case()
    db.session.commit()
    deposit = issued_deposit(monkeypatch, case, "500.00", date(2026, 11, 3))
    pay_on(deposit, "500.00", date(2026, 11, 5))
    make_approved_bill(case)
    db.session.commit()
    issued_on(monkeypatch, date(2026, 11, 20))
    draft, _notes = finals.create_final_draft(case.id, actor_id=None)
    db.session.commit()
    final = issue(draft.id)
    issued_on(monkeypatch, date(2026, 11, 25))
    note = credit(final, {line.id: None for line in final.lines}, reason="Wrong patient")
    rows = rows_of(export_november())
    assert [row for row in rows if row[5] == note.number] == [
        ("5886,50", "H", "10000", "8100", "2511", note.number),
        ("1785,00", "H", "10000", "8400", "2511", note.number),
        ("500,00", "S", "10000", "8100", "2511", note.number),  # the deposit's revenue stands again
    ]
    assert balance_of(rows, "10000") == 0 and -balance_of(rows, "8100") == Decimal("500.00")


def test_the_debtor_account_is_given_once_and_stays_with_the_patient_across_exports(app, monkeypatch):
    first, second = make_patient(name="Amira Haddad"), make_patient(name="Omar Haddad")
    db.session.commit()
    november(monkeypatch, patient=first)
    export_november()
    case = make_invoicing_case(patient=second)
    db.session.commit()
    deposit = issued_deposit(monkeypatch, case, "200.00", date(2026, 12, 2))
    pay_on(deposit, "50.00", date(2026, 12, 3))
    other_case = make_invoicing_case(patient=db.session.get(Patient, first.id))
    db.session.commit()
    issued_deposit(monkeypatch, other_case, "300.00", date(2026, 12, 4))
    december = exports.export_period(exports.month_of(date(2026, 12, 1)), actor_id=None)
    db.session.commit()
    assert [(row[2], row[3]) for row in rows_of(december)] == [("10001", "8100"), ("1200", "10001"), ("10000", "8100")]
    accounts = dict(db.session.execute(select(Patient.name, Patient.debtor_account)).all())
    assert accounts == {"Amira Haddad": 10000, "Omar Haddad": 10001}


def test_a_second_export_of_the_same_month_carries_only_what_is_new_and_says_what_was_left_out(app, monkeypatch):
    month = november(monkeypatch)
    first = export_november()
    assert exports.preview(NOVEMBER).new_count == 0
    pay_on(month.final, "250.00", date(2026, 11, 29))  # recorded after the first export
    preview = exports.preview(NOVEMBER)
    assert (preview.new_invoices, preview.new_payments, preview.earlier_count) == (0, 1, 5)
    assert [export.id for export in preview.earlier_exports] == [first.id]
    second = export_november()
    assert rows_of(second) == [("250,00", "S", "1200", "10000", "2911", month.final.number)]
    assert (second.booking_count, second.earlier_count) == (1, 5)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "datev_exported")).all()[-1]
    assert event.details["bookings"] == 1 and event.details["earlier"] == 5


def test_an_export_with_nothing_new_is_refused_and_stores_nothing(app, monkeypatch):
    november(monkeypatch)
    export_november()
    with pytest.raises(exports.DatevExportError, match="earlier exports carried all 5 bookings"):
        exports.export_period(NOVEMBER, actor_id=None)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(DatevExport)) == 1


def test_credit_applied_from_the_case_account_moves_no_money_and_books_nothing(app, monkeypatch):
    case = make_invoicing_case()
    db.session.commit()
    first = issued_deposit(monkeypatch, case, "100.00", date(2026, 11, 6))
    pay_on(first, "150.00", date(2026, 11, 7))  # 50.00 more than was open: the case's credit
    second = issued_deposit(monkeypatch, case, "80.00", date(2026, 11, 8))
    credits.apply_credit(case.id, second.id, actor_id=None, amount="50.00")
    db.session.commit()
    export = export_november()
    assert [row[:4] for row in rows_of(export)] == [
        ("100,00", "S", "10000", "8100"),
        ("150,00", "S", "1200", "10000"),  # the whole transfer, as the bank shows it
        ("80,00", "S", "10000", "8100"),
    ]


def test_credit_paid_back_to_the_patient_is_booked_once_against_the_bank(app, monkeypatch):
    case = make_invoicing_case()
    db.session.commit()
    first = issued_deposit(monkeypatch, case, "100.00", date(2026, 11, 6))
    pay_on(first, "150.00", date(2026, 11, 7))  # 50.00 more than was open: the case's credit
    credits.refund_credit(
        case.id, actor_id=None, currency="EUR", amount="50.00", paid_on=date(2026, 11, 9), method="bank_transfer"
    )
    db.session.commit()

    export = export_november()

    assert [row[:5] for row in rows_of(export)] == [
        ("100,00", "S", "10000", "8100", "0611"),
        ("150,00", "S", "1200", "10000", "0711"),  # the whole transfer in
        ("50,00", "H", "1200", "10000", "0911"),  # the credit paid back: out of the bank, the debtor debited
    ]
    assert "Erstattung Guthaben" in lines_of(export)[-1]
    with pytest.raises(exports.DatevExportError, match="earlier exports carried all 3 bookings"):
        exports.export_period(NOVEMBER, actor_id=None)  # the refund was booked once


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-30", "2026-11-01", "ends before it starts"),
        ("2026-13-01", "2026-11-30", "is not a date like"),
        ("1.11.2026", "2026-11-30", "is not a date like"),
        ("2026-01-01", "2027-01-01", "at most one calendar year"),
        ("2025-12-01", "2026-01-31", "at most one calendar year"),
    ],
)
def test_bad_periods_are_refused(app, start, end, message):
    with pytest.raises(exports.PeriodError, match=message) as refusal:
        exports.parse_period(start, end)
    assert refusal.value.status_code == 400


@pytest.mark.postgresql_only
def test_two_exports_at_once_book_nothing_twice(app, monkeypatch):
    november(monkeypatch)
    after_the_check(monkeypatch, exports, "_carried")
    outcomes = at_once(
        app,
        {
            "clerk-1": lambda: exports.export_period(NOVEMBER, actor_id=None),
            "clerk-2": lambda: exports.export_period(NOVEMBER, actor_id=None),
        },
    )
    assert sorted(outcome.split(":")[0] for outcome in outcomes.values()) == ["refused", "stored"], outcomes
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(DatevExport)) == 1
    booked = db.session.execute(select(DatevBooking.source_type, DatevBooking.source_id)).all()
    assert len(booked) == len(set(booked)) == 5

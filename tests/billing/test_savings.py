"""The savings report: charged, resident expected, approved, found and recovered per hospital, month and currency;
a chain of corrected bills counts once, in the month its first bill was received."""

from __future__ import annotations

import csv
import html
import io
import itertools
from datetime import date
from decimal import Decimal

import pytest

from backoffice.billing.models import BillLine, HospitalBill
from backoffice.billing.savings.report import Period, savings_report, year_period
from backoffice.extensions import db
from tests.factories import make_case, make_hospital

D = Decimal


_numbers = itertools.count(1)


def make_bill(hospital, received_on, status, lines, *, supersedes=None, case=None):
    """A bill with `lines` as (status, charged, expected, currency[, code[, decision]]); charged or expected None when
    not priced."""
    case = case or make_case(hospital_id=hospital.id)
    bill = HospitalBill(
        case_id=case.id,
        hospital_id=hospital.id,
        reference=f"INV-{received_on:%Y%m%d}-{status}-{next(_numbers)}",
        received_on=received_on,
        status=status,
        supersedes_id=supersedes.id if supersedes else None,
    )
    db.session.add(bill)
    db.session.flush()
    for position, (line_status, charged, expected, currency, *more) in enumerate(lines, start=1):
        code, decision = (*more, None, None)[:2] if more else (f"C{position}", None)
        db.session.add(
            BillLine(
                bill_id=bill.id,
                position=position,
                line_no=position,
                status=line_status,
                charged=None if charged is None else D(charged),
                expected=None if expected is None else D(expected),
                currency=currency,
                code=code or f"C{position}",
                decision=decision,
            )
        )
    db.session.flush()
    return bill


@pytest.fixture
def bills():
    """Two hospitals' bills of 2026, with corrected chains, two currencies, and a chain begun in December 2025."""
    ascona = make_hospital("CH-ASC", name="Ascona Clinic")
    berlin = make_hospital("DE-BER", name="Berlin Charité Private")
    # Ascona, January: approved at once; the line below the tariff does not offset the overcharge.
    make_bill(
        ascona,
        date(2026, 1, 12),
        "approved",
        [
            ("ok", "100.00", "100.00", "EUR"),
            ("overcharged", "150.00", "120.00", "EUR"),
            ("below_tariff", "40.00", "50.00", "EUR"),
            ("unknown_code", "20.00", None, "EUR"),
            ("invalid", None, None, None),
        ],
    )
    # Ascona, February: both findings disputed, corrected in March and approved; the correction counts in February.
    disputed = make_bill(
        ascona,
        date(2026, 2, 3),
        "disputed",
        [
            ("overcharged", "500.00", "400.00", "EUR", "A", "disputed"),
            ("duplicate", "80.00", None, "EUR", "B", "disputed"),
        ],
    )
    make_bill(ascona, date(2026, 3, 20), "approved", [("ok", "400.00", "400.00", "EUR", "A")], supersedes=disputed)
    # Ascona, February, in dollars: paid, its overcharge accepted: nothing found.
    make_bill(ascona, date(2026, 2, 25), "paid", [("overcharged", "60.00", "50.00", "USD", "A", "accepted")])
    # Berlin, March: disputed, the correction still under review: nothing approved, nothing recovered yet.
    open_chain = make_bill(
        berlin, date(2026, 3, 5), "disputed", [("overcharged", "200.00", "150.00", "EUR", "A", "disputed")]
    )
    make_bill(berlin, date(2026, 4, 2), "under_review", [("ok", "150.00", "150.00", "EUR", "A")], supersedes=open_chain)
    # Berlin, April: disputed twice (found once), then paid: recovered is what the last bill took off the first.
    first = make_bill(
        berlin, date(2026, 4, 9), "disputed", [("overcharged", "300.00", "200.00", "EUR", "A", "disputed")]
    )
    second = make_bill(
        berlin,
        date(2026, 5, 1),
        "disputed",
        [("overcharged", "250.00", "200.00", "EUR", "A", "disputed")],
        supersedes=first,
    )
    make_bill(berlin, date(2026, 6, 1), "paid", [("ok", "200.00", "200.00", "EUR", "A")], supersedes=second)
    # Berlin, December 2025, corrected in January 2026: a 2025 saving.
    december = make_bill(
        berlin, date(2025, 12, 15), "disputed", [("overcharged", "90.00", "70.00", "EUR", "A", "disputed")]
    )
    make_bill(berlin, date(2026, 1, 8), "approved", [("ok", "70.00", "70.00", "EUR", "A")], supersedes=december)
    db.session.commit()
    return {"ascona": ascona, "berlin": berlin}


def figures(row):
    return (row.charged, row.unpriced, row.expected, row.approved, row.found, row.recovered)


def test_the_report_gives_each_hospital_month_and_currency_its_figures(bills):
    report = savings_report(year_period(2026))
    table = {(row.hospital_code, row.month, row.currency): figures(row) for row in report.rows}
    assert table == {
        ("CH-ASC", date(2026, 1, 1), "EUR"): (D("310.00"), D("20.00"), D("270.00"), D("310.00"), D(0), D(0)),
        ("CH-ASC", date(2026, 2, 1), "EUR"): (D("580.00"), D("80.00"), D("400.00"), D("400.00"), D(180), D(180)),
        ("CH-ASC", date(2026, 2, 1), "USD"): (D("60.00"), D(0), D("50.00"), D("60.00"), D(0), D(0)),
        ("DE-BER", date(2026, 3, 1), "EUR"): (D("200.00"), D(0), D("150.00"), D("0.00"), D(50), D(0)),
        ("DE-BER", date(2026, 4, 1), "EUR"): (D("300.00"), D(0), D("200.00"), D("200.00"), D(100), D(100)),
    }
    assert [row.hospital_name for row in report.rows][:3] == ["Ascona Clinic"] * 3  # by hospital, month, currency


def test_totals_are_per_currency_and_never_add_currencies_up(bills):
    report = savings_report(year_period(2026))
    assert set(report.totals) == {"EUR", "USD"}
    eur, usd = report.totals["EUR"], report.totals["USD"]
    assert figures(eur) == (D("1390.00"), D("100.00"), D("1020.00"), D("910.00"), D("330.00"), D("280.00"))
    assert figures(usd) == (D("60.00"), D(0), D("50.00"), D("60.00"), D(0), D(0))


def test_a_chain_counts_once_in_the_month_its_first_bill_was_received(bills):
    report_2025 = savings_report(year_period(2025))
    assert [(row.month, row.bills, figures(row)) for row in report_2025.rows] == [
        (date(2025, 12, 1), 1, (D("90.00"), D(0), D("70.00"), D("70.00"), D("20.00"), D("20.00")))
    ]
    march = savings_report(Period(date(2026, 3, 1), date(2026, 3, 31)))
    assert [(row.hospital_code, row.bills) for row in march.rows] == [("DE-BER", 1)]  # not Ascona's correction


def test_the_report_of_one_hospital(bills):
    report = savings_report(year_period(2026), bills["berlin"].id)
    assert {row.hospital_code for row in report.rows} == {"DE-BER"}
    assert report.totals["EUR"].recovered == D("100.00")


def test_the_report_takes_three_statements_whatever_the_number_of_bills(bills, count_queries):
    with count_queries() as statements:
        savings_report(year_period(2026))
    assert len(statements) == 3  # the chains, their lines, the accepted offers


# ---------------------------------------------------------------------------------------------- the pages


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_finance_sees_the_table_and_a_chart_drawn_without_script_or_style(bills, as_role):
    response = as_role("finance").get("/billing/savings?year=2026")
    assert response.status_code == 200
    text = page_text(response)
    assert "Ascona Clinic" in text and "February 2026" in text and "EUR\xa0180.00" in text
    assert "USD\xa060.00" in text and "EUR\xa01,390.00" in text
    assert "<svg" in text and "<rect" in text and "Recovered, February 2026: EUR\xa0180.00" in text
    assert "style=" not in text and "<script" not in text and 'href="http' not in text


def test_the_hospital_filter_narrows_the_page(bills, as_role):
    text = page_text(as_role("admin").get(f"/billing/savings?year=2026&hospital={bills['berlin'].id}"))
    assert "Berlin Charité Private" in text and "CH-ASC</span>" not in text


def test_a_year_without_bills_says_so(bills, as_role):
    response = as_role("finance").get("/billing/savings?year=2019")
    assert response.status_code == 200
    assert "No hospital bill received and no offer accepted in 2019" in page_text(response)


def test_the_csv_parses_back_with_two_decimal_amounts(bills, as_role):
    response = as_role("finance").get("/billing/savings.csv?year=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="savings-2026.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 5
    february = next(row for row in rows if row["hospital_code"] == "CH-ASC" and row["month"] == "2026-02")
    assert february == {
        "hospital_code": "CH-ASC",
        "hospital": "Ascona Clinic",
        "month": "2026-02",
        "currency": "EUR",
        "bills": "1",
        "charged": "580.00",
        "of_which_unpriced": "80.00",
        "resident_expected": "400.00",
        "approved": "400.00",
        "found": "180.00",
        "recovered": "180.00",
        "offers_accepted": "0",
        "promised_saving": "0.00",
        "promised_foreign_total": "0.00",
        "promised_percent": "",
    }
    assert all(D(row["charged"]).as_tuple().exponent == -2 for row in rows)


def test_a_hospital_name_cannot_become_a_spreadsheet_formula(as_role):
    hospital = make_hospital("XL-1", name='=HYPERLINK("http://evil.example")')
    make_bill(hospital, date(2026, 5, 5), "received", [("ok", "10.00", "10.00", "EUR")])
    db.session.commit()
    rows = list(
        csv.reader(io.StringIO(as_role("finance").get("/billing/savings.csv?year=2026").get_data(as_text=True)))
    )
    assert rows[1][1].startswith("'=")


def test_the_page_takes_as_many_statements_for_20_bills_as_for_2(as_role, count_queries):
    client = as_role("finance")
    hospital = make_hospital("CNT-1", name="Counting Clinic")
    case = make_case(hospital_id=hospital.id)

    def add_bills(count):
        for n in range(count):
            make_bill(
                hospital, date(2026, 1 + n % 12, 1), "approved", [("overcharged", "20.00", "10.00", "EUR")], case=case
            )
        db.session.commit()

    add_bills(2)
    with count_queries() as few:
        assert client.get("/billing/savings?year=2026").status_code == 200
    add_bills(18)
    with count_queries() as many:
        assert client.get("/billing/savings?year=2026").status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "is not a year"),
        ("year=1800", "is not a year"),
        ("year=20266", "is not a year"),
        ("hospital=x", "There is no hospital"),
        ("hospital=999999", "There is no hospital"),
        ("hospital=99999999999999999999", "There is no hospital"),
    ],
)
def test_a_bad_filter_is_a_400_with_a_message(as_role, query, message):
    client = as_role("finance")
    for url in (f"/billing/savings?{query}", f"/billing/savings.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400 and message in page_text(response)


@pytest.mark.parametrize("role", ["coordinator", "patient"])
def test_coordinators_and_patients_do_not_see_the_report(as_role, role):
    client = as_role(role)
    assert client.get("/billing/savings").status_code == 403
    assert client.get("/billing/savings.csv").status_code == 403


def test_a_disputed_duplicate_counts_as_found_so_recovered_never_exceeds_it():
    hospital = make_hospital("DE-FRA", name="Frankfurt Clinic")
    first = make_bill(
        hospital,
        date(2026, 3, 2),
        "disputed",
        [
            ("overcharged", "1300.00", "1000.00", "EUR", "A", "disputed"),
            ("duplicate", "1000.00", None, "EUR", "A", "disputed"),
        ],
    )
    make_bill(hospital, date(2026, 3, 20), "approved", [("ok", "1000.00", "1000.00", "EUR", "A")], supersedes=first)
    db.session.commit()
    [row] = savings_report(year_period(2026)).rows
    assert (row.found, row.recovered) == (D("1300.00"), D("1300.00"))


FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_no_cell_starts_a_formula_whatever_separator_the_spreadsheet_splits_on(as_role, separator):
    hospital = make_hospital("XL-2", name="Clinic;=cmd|' /C calc'!A0;")
    hospital.code = "@SUM(1+1)"
    make_bill(hospital, date(2026, 5, 5), "received", [("ok", "10.00", "10.00", "EUR")])
    db.session.commit()
    body = as_role("finance").get("/billing/savings.csv?year=2026").get_data(as_text=True)
    # A spreadsheet that splits on this separator (German Excel: ";") and ignores quotes sees these cells.
    cells = [cell.strip(' "') for line in body.splitlines() for cell in line.split(separator)]
    dangerous = [cell for cell in cells if cell.startswith(FORMULA_START)]
    assert dangerous == []
    assert "'=cmd|' /C calc'!A0" in body and "'@SUM(1+1)" in body

"""The savings report sets the saving promised in accepted treatment offers beside the saving realised on bills: per
hospital, month of acceptance (in the operator's time zone) and the offer's currency; only accepted offers count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from backoffice.billing.savings.report import savings_report, year_period
from backoffice.extensions import db
from backoffice.offers.models import Offer
from tests.billing.test_savings import bills, make_bill, page_text  # noqa: F401 (the `bills` fixture)
from tests.factories import make_case

D = Decimal


def make_offer(hospital, accepted_at, currency, foreign_total, saving, *, status="accepted", from_estimate=False):
    """An offer of a case at `hospital`, accepted at `accepted_at` (UTC) unless another status is given."""
    case = make_case(hospital_id=hospital.id)
    offer = Offer(
        case_id=case.id,
        status=status,
        currency=currency,
        base_currency="EUR",
        foreign_total=None if foreign_total is None else D(foreign_total),
        saving=None if saving is None else D(saving),
        resident_total=None if foreign_total is None else D(foreign_total) - D(saving or 0),
        pdf_sha256="0" * 64,
        accepted_at=accepted_at if status == "accepted" else None,
        from_estimate=from_estimate,
    )
    db.session.add(offer)
    db.session.flush()
    return offer


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def offers(bills):  # noqa: F811
    """Accepted offers of 2026 beside the bills of `test_savings`, with hand-computed sums."""
    ascona, berlin = bills["ascona"], bills["berlin"]
    # 23:30 UTC on 31 December 2025 is 00:30 on 1 January in Frankfurt: January 2026.
    make_offer(ascona, utc(2025, 12, 31, 23, 30), "EUR", "1000.00", "200.00")
    # 23:30 UTC on 31 January is 1 February in Frankfurt: February, with the offer of 10 February.
    make_offer(ascona, utc(2026, 1, 31, 23, 30), "EUR", "10000.00", "4000.00")
    make_offer(ascona, utc(2026, 2, 10, 10, 0), "EUR", "5000.00", "1500.00")
    make_offer(ascona, utc(2026, 2, 11, 9, 0), "EUR", None, None)  # accepted, claims no saving
    make_offer(ascona, None, "EUR", "9000.00", "3000.00", status="declined")  # promised nothing
    make_offer(ascona, None, "EUR", "9000.00", "3000.00", status="sent")
    # The one-line offer the migration made from an estimate typed before offers: no patient accepted it then.
    make_offer(ascona, utc(2026, 2, 12, 9, 0), "EUR", None, None, from_estimate=True)
    # Berlin, July, in dollars: a month and currency without bills.
    make_offer(berlin, utc(2026, 7, 15, 12, 0), "USD", "2000.00", "500.00")
    # 23:30 UTC on 31 December 2026 is 2027 in Frankfurt.
    make_offer(berlin, utc(2026, 12, 31, 23, 30), "EUR", "3000.00", "1000.00")
    db.session.commit()
    return bills


def promised(row):
    return (row.bills, row.offers, row.promised, row.promised_foreign, row.promised_percent)


def test_the_report_shows_promised_and_realised_savings_per_hospital_and_month(offers):
    report = savings_report(year_period(2026))
    table = {(row.hospital_code, row.month, row.currency): promised(row) for row in report.rows}
    assert table == {
        ("CH-ASC", date(2026, 1, 1), "EUR"): (1, 1, D("200.00"), D("1000.00"), D("20.0")),
        # (4000 + 1500) / (10000 + 5000) = 36.67 %; the offer without a saving is counted, not summed.
        ("CH-ASC", date(2026, 2, 1), "EUR"): (1, 3, D("5500.00"), D("15000.00"), D("36.7")),
        ("CH-ASC", date(2026, 2, 1), "USD"): (1, 0, D(0), D(0), None),
        ("DE-BER", date(2026, 3, 1), "EUR"): (1, 0, D(0), D(0), None),
        ("DE-BER", date(2026, 4, 1), "EUR"): (1, 0, D(0), D(0), None),
        ("DE-BER", date(2026, 7, 1), "USD"): (0, 1, D("500.00"), D("2000.00"), D("25.0")),
    }
    february = next(
        row for row in report.rows if (row.hospital_code, row.month, row.currency)[1:] == (date(2026, 2, 1), "EUR")
    )
    assert (february.found, february.recovered) == (D(180), D(180))  # the realised saving, as before
    eur, usd = report.totals["EUR"], report.totals["USD"]
    # 5700 of 16000 = 35.625 %, rounded half up.
    assert (eur.promised, eur.promised_foreign, eur.promised_percent) == (D("5700.00"), D("16000.00"), D("35.6"))
    assert (usd.promised, usd.promised_percent) == (D("500.00"), D("25.0"))
    assert report.by_month["USD"][date(2026, 7, 1)].promised == D("500.00")


def test_the_report_of_one_hospital_counts_only_its_offers(offers):
    report = savings_report(year_period(2026), offers["berlin"].id)
    assert [(row.month, row.offers, row.promised) for row in report.rows if row.offers] == [
        (date(2026, 7, 1), 1, D("500.00"))
    ]
    assert savings_report(year_period(2027), offers["berlin"].id).totals["EUR"].promised == D("1000.00")


def test_promised_savings_take_one_statement_whatever_the_number_of_offers(offers, count_queries):
    with count_queries() as few:
        savings_report(year_period(2026))
    for day in range(1, 21):
        make_offer(offers["ascona"], utc(2026, 3, day, 12, 0), "EUR", "100.00", "10.00")
        make_bill(offers["berlin"], date(2026, 5, day), "approved", [("ok", "10.00", "10.00", "EUR")])
    db.session.commit()
    with count_queries() as many:
        report = savings_report(year_period(2026))
    assert len(few) == len(many) == 3
    march = next(row for row in report.rows if row.hospital_code == "CH-ASC" and row.month == date(2026, 3, 1))
    assert (march.offers, march.promised, march.promised_percent) == (20, D("200.00"), D("10.0"))


def test_the_page_and_the_csv_show_the_promised_saving(offers, as_role):
    client = as_role("finance")
    page = page_text(client.get("/billing/savings?year=2026"))
    assert "Promised saving" in page and "EUR\xa05,500.00" in page and "USD\xa0500.00" in page
    assert "3 offers accepted · 36.7%" in page and "1 offer accepted · 25.0%" in page
    assert "0 offers accepted" in page  # a month of bills without offers
    assert "Promised in accepted offers in EUR" in page and "35.6% of the foreign-patient price" in page
    rows = list(csv.DictReader(io.StringIO(client.get("/billing/savings.csv?year=2026").get_data(as_text=True))))
    july = next(row for row in rows if row["month"] == "2026-07")
    assert {key: july[key] for key in ("hospital_code", "currency", "bills", "charged")} == {
        "hospital_code": "DE-BER",
        "currency": "USD",
        "bills": "0",
        "charged": "0.00",
    }
    assert (july["offers_accepted"], july["promised_saving"], july["promised_foreign_total"]) == (
        "1",
        "500.00",
        "2000.00",
    )
    assert july["promised_percent"] == "25.0"


def test_a_year_with_offers_but_no_bills_shows_its_offers(as_role, bills):  # noqa: F811
    make_offer(bills["ascona"], utc(2027, 3, 1, 12, 0), "EUR", "1000.00", "300.00")
    db.session.commit()
    page = page_text(as_role("finance").get("/billing/savings?year=2027"))
    assert "No hospital bill received" not in page and "EUR\xa0300.00" in page and "30.0%" in page

"""The money figures of bills (billing.figures): charged is the whole bill, found is what was disputed, recovered is
what the corrected bill removed of it; the report, the dispute letter, the case page and the dashboard agree."""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal

from backoffice.billing.bills import listing
from backoffice.billing.disputes.letters import dispute_letter
from backoffice.billing.savings.report import savings_report, year_period
from backoffice.extensions import db
from tests.billing.test_savings import make_bill
from tests.factories import make_case, make_hospital

D = Decimal


def text_of(response) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_recovered_never_exceeds_what_was_found_in_its_currency():
    hospital = make_hospital("DE-MUC", name="Munich Clinic")
    # The dollar line was disputed; the hospital moved it to euros on the corrected bill.
    first = make_bill(
        hospital,
        date(2026, 3, 2),
        "disputed",
        [
            ("ok", "1000.00", "1000.00", "EUR", "ROOM"),
            ("currency_mismatch", "180.00", None, "USD", "EOC-LAB", "disputed"),
        ],
    )
    make_bill(
        hospital,
        date(2026, 3, 20),
        "approved",
        [("ok", "1000.00", "1000.00", "EUR", "ROOM"), ("ok", "165.00", "165.00", "EUR", "EOC-LAB")],
        supersedes=first,
    )
    # Another chain: the dollar line was accepted, then the hospital moved it anyway: nothing found, nothing recovered.
    second = make_bill(
        hospital,
        date(2026, 4, 2),
        "disputed",
        [
            ("overcharged", "300.00", "200.00", "EUR", "MRI", "disputed"),
            ("currency_mismatch", "90.00", None, "USD", "X", "accepted"),
        ],
    )
    make_bill(
        hospital,
        date(2026, 4, 20),
        "approved",
        [("ok", "200.00", "200.00", "EUR", "MRI"), ("ok", "80.00", "80.00", "EUR", "X")],
        supersedes=second,
    )
    db.session.commit()

    report = savings_report(year_period(2026))
    march, april = (row for row in report.rows if row.currency == "USD")
    assert (march.charged, march.unpriced, march.found, march.recovered) == (D("180.00"), D("180.00"), D(180), D(180))
    assert (april.found, april.recovered) == (D(0), D(0))
    for total in report.totals.values():
        assert total.recovered <= total.found
    assert (report.totals["EUR"].found, report.totals["EUR"].recovered) == (D("100.00"), D("100.00"))


def disputed_bill(hospital):
    """Disputed: an overcharge and a service outside the stay; undecided: another overcharge."""
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    bill = make_bill(
        hospital,
        date(2026, 5, 4),
        "under_review",
        [
            ("overcharged", "1136.00", "1000.00", "EUR", "MRI", "disputed"),
            ("outside_stay", "910.00", "910.00", "EUR", "CHECK", "disputed"),
            ("overcharged", "500.00", "400.00", "EUR", "LAB"),
        ],
        case=case,
    )
    db.session.commit()
    return bill


def test_found_is_what_was_disputed_as_the_dispute_letter_totals_it():
    hospital = make_hospital("DE-HAM", name="Hamburg Clinic")
    bill = disputed_bill(hospital)

    letter = dispute_letter(bill.id)
    [row] = savings_report(year_period(2026)).rows
    assert letter.totals == {"EUR": D("1046.00")}  # 136.00 above the resident price + 910.00 outside the stay
    assert row.found == D("1046.00")
    [overview] = listing.bills_of_case(bill.case_id)
    assert overview.figures["EUR"].found == D("1046.00")
    assert overview.figures["EUR"].charged == D("2546.00")

    # Deciding an unrelated line (accepting the other overcharge) does not move what was found.
    line = next(line for line in listing.get_bill(bill.id, with_lines=True).lines if line.code == "LAB")
    line.decision = "accepted"
    db.session.commit()
    assert savings_report(year_period(2026)).rows[0].found == D("1046.00")
    assert dispute_letter(bill.id).totals == {"EUR": D("1046.00")}


def test_the_case_page_and_the_dashboard_show_a_bill_of_unpriced_lines_at_its_whole_total(as_role):
    hospital = make_hospital("DE-KOE", name="Cologne Clinic")
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    make_bill(
        hospital,
        date(2026, 5, 4),
        "under_review",
        [("currency_mismatch", "9999.00", None, "USD", "EOC-LAB")],
        case=case,
    )
    db.session.commit()
    client = as_role("finance")
    case_page = text_of(client.get(f"/cases/{case.id}"))
    dashboard = text_of(client.get("/dashboard"))
    for page in (case_page, dashboard):
        assert "$9,999.00 ($9,999.00 unpriced)" in page
        assert "$0.00" not in page

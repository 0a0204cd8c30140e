"""Bills as hospitals really send them: saved by a German Excel, with credit lines, with prices rounded to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.billing import audit
from backoffice.billing.bills import listing, receiving, review, states
from backoffice.billing.models import BillLine
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from backoffice.invoicing import sources
from tests.factories import make_case, make_hospital
from tests.helpers import change_settings

TODAY = date.today()
GERMAN_TARIFF = (
    "code;description;resident_price;currency;valid_from;valid_to\r\n"
    "ROOM;Einzelzimmer, pro Tag;1.234,56;EUR;01.01.2026;\r\n"
    "LAB;Blutbild;12,345;EUR;01.01.2026;\r\n"
)


@pytest.fixture
def case():
    hospital = make_hospital("DE-BER", name="Berlin Clinic")
    import_tariff(hospital.id, GERMAN_TARIFF.encode("utf-8-sig"), "Tarif.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def receive(case, finance, body: str):
    data = ("line;date;code;description;quantity;unit_price;currency\r\n" + body).encode("utf-8-sig")
    bill = receiving.receive_bill(case.id, data, "Rechnung.csv", "R-2026-1", TODAY, finance.id)
    db.session.commit()
    lines = db.session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.position))
    return bill, {line.line_no: line for line in lines}


def test_a_bill_and_tariff_saved_by_german_excel_are_audited(case, finance):
    _, lines = receive(
        case, finance, "1;02.03.2026;ROOM;Zimmer;3;1.234,56;EUR\r\n2;03.03.2026;LAB;Labor;2;15,00;EUR\r\n"
    )
    assert [(n, line.status, line.charged, line.expected) for n, line in lines.items()] == [
        (1, "ok", Decimal("3703.68"), Decimal("3703.68")),
        (2, "overcharged", Decimal("30.00"), Decimal("24.69")),
    ]
    assert lines[1].service_on == date(2026, 3, 2)


def test_a_credit_line_is_a_credit_that_lowers_the_bill_total(case, finance):
    bill, lines = receive(
        case, finance, "1;02.03.2026;ROOM;Zimmer;3;1.234,56;EUR\r\n2;05.03.2026;ROOM;Erstattung Tag;1;-1.234,56;EUR\r\n"
    )
    credit = lines[2]
    assert (credit.status, credit.charged, credit.expected) == ("credit", Decimal("-1234.56"), None)
    assert "credit" in credit.reason.lower()
    summary = listing.bill_summary(listing.get_bill(bill.id, with_lines=True))
    assert summary.totals["EUR"].total == Decimal("2469.12")
    assert summary.figures["EUR"].charged == Decimal("2469.12")
    assert listing.bills_of_case(case.id)[0].figures["EUR"].charged == Decimal("2469.12")

    # Like every line without a price comparison, the credit is decided; accepted, it reaches the invoice.
    review.start_review(bill.id, actor_id=finance.id)
    with pytest.raises(states.BillError, match=r"undecided findings \(1 credit\)"):
        review.approve_bill(bill.id, actor_id=finance.id)
    review.decide_line(credit.id, "accepted", "", actor_id=finance.id)
    review.approve_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    drafts = sources.treatment_lines(listing.get_bill(bill.id))
    assert [(draft.quantity, draft.unit_price) for draft in drafts] == [
        (Decimal(3), Decimal("1234.56")),
        (Decimal(1), Decimal("-1234.56")),
    ]


def test_a_one_cent_rounding_difference_is_ok_with_rounding(case, finance):
    # 3 x 12.35 = 37.05 billed; 3 x 12.345 = 37.035, 37.04 at the resident price: one cent of rounding.
    bill, lines = receive(case, finance, "1;02.03.2026;LAB;Labor;3;12,35;EUR\r\n2;03.03.2026;LAB;Labor;3;12,37;EUR\r\n")
    assert [(line.status, line.charged - line.expected) for line in lines.values()] == [
        ("ok_rounding", Decimal("0.01")),
        ("overcharged", Decimal("0.07")),
    ]
    assert lines[1].reason.startswith("OK with rounding: +0.01 EUR")
    assert states.LINE_STATUS_LABELS[lines[1].status] == "OK with rounding"
    summary = listing.bill_summary(listing.get_bill(bill.id, with_lines=True))
    assert summary.undecided_blocking == {"overcharged": 1}  # the rounded line needs no decision
    assert summary.totals["EUR"].overcharge == Decimal("0.07")


def test_the_rounding_tolerance_comes_from_the_configuration(app, case, finance, monkeypatch):
    change_settings(monkeypatch, app, bill_rounding_tolerance=Decimal("0"))
    _, lines = receive(case, finance, "1;02.03.2026;LAB;Labor;3;12,35;EUR\r\n")
    assert lines[1].status == "overcharged"


def test_the_pure_audit_tolerates_no_rounding_unless_asked():
    raw = audit.RawLine(2, 1, "2026-03-02", "LAB", "", "3", "12.35", "EUR")
    tariff = [audit.TariffVersion("LAB", Decimal("12.345"), "EUR", date(2026, 1, 1))]
    assert audit.audit_bill([raw], tariff).lines[0].status == "overcharged"
    tolerated = audit.audit_bill([raw], tariff, rounding_tolerance=Decimal("0.01"))
    assert tolerated.lines[0].status == "ok_rounding"
    assert tolerated.totals["EUR"].overcharge == Decimal("0")

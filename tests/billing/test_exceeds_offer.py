"""A hospital bill held against the patient's accepted offer: its treatment total, or one code's charges, above what
the offer promised (resident unit price x quantity of its treatment items, rounded half-up per item) is an
`exceeds_offer` finding with the offer's figures; shown on the bill page, needed in an approval's override note and
listed in the dispute letter."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.billing.bills import receiving, review
from backoffice.billing.bills.csv_file import HEADER
from backoffice.billing.bills.states import BillError
from backoffice.billing.disputes.letters import dispute_letter, dispute_letter_pdf
from backoffice.billing.models import BillFinding, BillLine
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from backoffice.offers.bill_limits import offer_limits
from backoffice.offers.models import Offer, OfferItem
from tests.billing.test_letters import pdf_text
from tests.factories import make_case, make_hospital
from tests.invoicing.factories import make_offer

TODAY = date.today()
TARIFF = b"""code,description,resident_price,currency,valid_from,valid_to
SC-001,Leukocytapheresis,3900.00,EUR,2026-01-01,
SC-002,Cryopreservation,850.00,EUR,2026-01-01,
LAB-17,Laboratory panel,110.00,EUR,2026-01-01,
SC-009,Second infusion,1200.00,EUR,2026-01-01,
"""
# The accepted offer: 1 x 3,900.00 + 2 x 850.00 + 3 x 110.00 = 5,930.00 EUR; the second infusion is optional and
# not chosen, so it promises nothing.
OFFER_ITEMS = [
    ("SC-001", "Leukocytapheresis", "1", "3900.00"),
    ("SC-002", "Cryopreservation", "2", "850.00"),
    ("LAB-17", "Laboratory panel", "3", "110.00"),
    ("SC-009", "Second infusion", "1", "1200.00", True, False),
]


def bill_file(*rows: tuple[str, str, str]) -> bytes:
    lines = [
        f"{n},2026-11-20,{code},{code},{quantity},{price},EUR" for n, (code, quantity, price) in enumerate(rows, 1)
    ]
    return "\n".join([HEADER, *lines]).encode()


WITHIN = bill_file(("SC-001", "1", "3900.00"), ("SC-002", "2", "850.00"), ("LAB-17", "2", "110.00"))
# 3,900.00 + 3 x 850.00 (2,550.00, one more than offered) + 3 x 110.00 (330.00) = 6,780.00 EUR
ABOVE = bill_file(("SC-001", "1", "3900.00"), ("SC-002", "3", "850.00"), ("LAB-17", "3", "110.00"))


@pytest.fixture
def case():
    hospital = make_hospital("FRA-SCT", name="Stem Cell Clinic Frankfurt")
    import_tariff(hospital.id, TARIFF, "tariff.csv", None)
    case = make_case(state="in_treatment", hospital_id=hospital.id)
    db.session.commit()
    return case


def receive(case, data: bytes, actor, reference: str = "FRA-7781"):
    bill = receiving.receive_bill(case.id, data, "bill.csv", reference, TODAY, actor.id)
    db.session.commit()
    return bill


def disputed_above_offer(case, finance):
    """The bill above the accepted offer, its extra cryopreservation disputed, the bill disputed."""
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    bill = receive(case, ABOVE, finance)
    review.start_review(bill.id, actor_id=finance.id)
    line = db.session.scalars(select(BillLine).where(BillLine.bill_id == bill.id, BillLine.code == "SC-002")).one()
    review.decide_line(line.id, "disputed", "One cryopreservation more than agreed.", actor_id=finance.id)
    review.dispute_bill(bill.id, actor_id=finance.id)
    db.session.commit()
    return bill


def findings_of(bill_id: int) -> list[tuple[str, Decimal, Decimal, str]]:
    db.session.expire_all()
    rows = db.session.scalars(select(BillFinding).where(BillFinding.bill_id == bill_id).order_by(BillFinding.position))
    return [(f.code, f.charged, f.promised, f.currency) for f in rows]


def test_a_bill_above_the_accepted_offer_in_total_and_one_code_gets_exceeds_offer_with_the_offers_figures(
    case, finance
):
    offer = make_offer(case, OFFER_ITEMS)
    db.session.commit()
    bill = receive(case, ABOVE, finance)

    assert findings_of(bill.id) == [
        ("", Decimal("6780.00"), Decimal("5930.00"), "EUR"),
        ("SC-002", Decimal("2550.00"), Decimal("1700.00"), "EUR"),
    ]
    stored = db.session.scalars(select(BillFinding).where(BillFinding.bill_id == bill.id)).all()
    assert {f.kind for f in stored} == {"exceeds_offer"}
    assert {(f.offer_id, f.offer_label) for f in stored} == {(offer.id, f"{case.number} offer, version 1")}
    assert stored[1].description == "Cryopreservation"


def test_a_bill_within_the_accepted_offer_gets_no_finding(case, finance):
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    assert findings_of(receive(case, WITHIN, finance).id) == []


def test_without_an_accepted_offer_a_bill_gets_no_finding(case, finance):
    make_offer(case, OFFER_ITEMS, status="sent")  # sent, never accepted: nothing was promised yet
    db.session.commit()
    assert findings_of(receive(case, ABOVE, finance).id) == []


def test_an_estimate_typed_before_offers_sets_no_limit(case, finance):
    offer = make_offer(case, [("", "Treatment programme (the price agreed before offers)", "1", "1000.00")])
    offer.from_estimate, offer.acceptance_channel = True, "migrated"
    db.session.commit()
    assert findings_of(receive(case, ABOVE, finance).id) == []


def test_a_bill_in_another_currency_than_the_offer_is_not_compared(case, finance):
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    usd = ABOVE.replace(b",EUR", b",USD")
    assert findings_of(receive(case, usd, finance).id) == []


def test_a_line_added_by_hand_audits_the_findings_again(case, finance):
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    bill = receive(case, WITHIN, finance)  # 3,900.00 + 1,700.00 + 220.00 = 5,820.00: within 5,930.00
    receiving.add_line(
        bill.id,
        service_date="2026-11-21",
        code="SC-001",
        description="Leukocytapheresis",
        quantity="1",
        unit_price="3900.00",
        currency="EUR",
        actor_id=finance.id,
    )
    db.session.commit()
    # 5,820.00 + 3,900.00 = 9,720.00 in total; SC-001 twice: 7,800.00 against 3,900.00
    assert findings_of(bill.id) == [
        ("", Decimal("9720.00"), Decimal("5930.00"), "EUR"),
        ("SC-001", Decimal("7800.00"), Decimal("3900.00"), "EUR"),
    ]


def test_a_corrected_bill_within_the_offer_has_no_finding_left(case, finance):
    bill = disputed_above_offer(case, finance)
    corrected = receiving.receive_correction(bill.id, WITHIN, "bill-2.csv", "FRA-7781", TODAY, finance.id)
    db.session.commit()
    assert findings_of(corrected.id) == [] and len(findings_of(bill.id)) == 2  # the disputed bill stays as it was


def test_approving_a_bill_above_the_offer_needs_an_override_note(case, finance):
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    bill = receive(case, ABOVE, finance)
    review.start_review(bill.id, actor_id=finance.id)
    db.session.commit()
    with pytest.raises(BillError, match=r"charges more than the patient's accepted offer \(the total, SC-002\)"):
        review.approve_bill(bill.id, actor_id=finance.id)
    db.session.rollback()
    approved = review.approve_bill(
        bill.id, actor_id=finance.id, override_note="The patient asked for a third cryopreservation."
    )
    db.session.commit()
    assert approved.status == "approved" and approved.override_note.startswith("The patient asked")


def test_the_dispute_letter_lists_the_charges_above_the_offer(case, finance):
    bill = disputed_above_offer(case, finance)
    letter = dispute_letter(bill.id)
    assert [(e.code, e.charged, e.promised, e.difference) for e in letter.above_offer] == [
        ("", Decimal("6780.00"), Decimal("5930.00"), Decimal("850.00")),
        ("SC-002", Decimal("2550.00"), Decimal("1700.00"), Decimal("850.00")),
    ]
    text = pdf_text(dispute_letter_pdf(letter))
    assert "Charges above the agreed offer" in text and f"{case.number} offer, version 1" in text
    assert "Treatment total of the bill EUR 6,780.00 EUR 5,930.00 EUR 850.00" in text
    assert "SC-002 Cryopreservation EUR 2,550.00 EUR 1,700.00 EUR 850.00" in text


def test_the_bill_page_shows_charged_promised_and_the_difference(as_role, case):
    make_offer(case, OFFER_ITEMS)
    db.session.commit()
    client = as_role("finance")
    bill = receiving.receive_bill(case.id, ABOVE, "bill.csv", "FRA-7781", TODAY, None)
    db.session.commit()
    page = client.get(f"/billing/bills/{bill.id}").get_data(as_text=True)
    assert "Above the accepted offer" in page and f"{case.number} offer, version 1" in page
    assert "€6,780.00" in page and "€5,930.00" in page and "€850.00" in page
    assert "€2,550.00" in page and "€1,700.00" in page and 'data-finding="exceeds_offer"' in page


def test_the_offer_promises_its_treatment_items_rounded_half_up_with_the_options_chosen():
    offer = Offer(id=7, version=2, currency="EUR")
    offer.items = [
        OfferItem(section="treatment", code="LAB-20", description="Panel", quantity=Decimal("3"),
                  unit_price=Decimal("33.335"), source_currency="EUR"),  # 100.005 -> 100.01
        OfferItem(section="treatment", code="SC-009", description="Infusion", quantity=Decimal("1"),
                  unit_price=Decimal("1200"), source_currency="EUR", optional=True, chosen=True),
        OfferItem(section="treatment", code="SC-010", description="Not chosen", quantity=Decimal("1"),
                  unit_price=Decimal("500"), source_currency="EUR", optional=True, chosen=False),
        OfferItem(section="service", code="", description="Coordination", quantity=Decimal("1"),
                  unit_price=Decimal("900"), source_currency="EUR"),
    ]  # fmt: skip
    (limits,) = offer_limits(offer, "C-2026-00042")
    assert limits.total == Decimal("1300.01") and limits.label == "C-2026-00042 offer, version 2"
    assert limits.per_code == {"LAB-20": ("Panel", Decimal("100.01")), "SC-009": ("Infusion", Decimal("1200.00"))}

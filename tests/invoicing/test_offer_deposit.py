"""The deposit from the accepted offer's schedule: accepting an offer drafts a deposit invoice for its first
instalment (its percent of the accepted total, options chosen included), due on the instalment's date; skipped with a
note on the case when the case is invoiced in another currency or already has a deposit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.cases.models import CaseEvent
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.offers.acceptance import accept_offer
from backoffice.offers.models import Offer, OfferItem
from tests.invoicing.factories import TODAY, fresh, issue, issued_deposit, make_invoicing_case, make_offer

DEPOSIT_DUE = TODAY + timedelta(days=10)
SCHEDULE = (("Deposit", "30", DEPOSIT_DUE), ("Balance", "70", TODAY + timedelta(days=40)))
# 1 x 3,900.00 + 2 x 850.00 + 3 x 110.00 = 5,930.00 EUR, and the optional second infusion (1,200.00) the patient
# chooses: 7,130.00 accepted; 30 % of it = 2,139.00 EUR.
ITEMS = [
    ("SC-001", "Leukocytapheresis", "1", "3900.00"),
    ("SC-002", "Cryopreservation", "2", "850.00"),
    ("LAB-17", "Laboratory panel", "3", "110.00"),
    ("SC-009", "Second infusion", "1", "1200.00", True),
]


def sent_offer(case, **fields):
    offer = make_offer(case, ITEMS, status="sent", schedule=SCHEDULE, **fields)
    db.session.commit()
    return offer


def accept(offer, *chosen_codes: str):
    chosen = db.session.scalars(
        select(OfferItem.id).where(OfferItem.offer_id == offer.id, OfferItem.code.in_(chosen_codes))
    ).all()
    accept_offer(offer.id, actor_id=None, name="Amira Haddad", chosen_item_ids=chosen)
    db.session.commit()


def deposits_of(case) -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invoice).where(Invoice.case_id == case.id, Invoice.kind == "deposit")))


def notes_of(case) -> list[str]:
    return list(db.session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case.id)))


def test_accepting_an_offer_drafts_the_deposit_of_its_first_instalment(app):
    case = make_invoicing_case(estimate="", state="programme_offered")
    offer = sent_offer(case)
    accept(offer, "SC-009")

    (deposit,) = deposits_of(case)
    deposit = fresh(deposit.id)
    assert (deposit.status, deposit.currency, deposit.due_on) == ("draft", "EUR", DEPOSIT_DUE)
    (line,) = deposit.lines
    assert line.unit_price == Decimal("2139.00") and line.quantity == 1
    assert line.description == f"Deposit (30 % of the accepted offer {case.number}, version 1)"


def test_the_deposit_drafted_from_the_schedule_keeps_the_instalments_due_date_when_issued(app):
    case = make_invoicing_case(estimate="", state="confirmed")
    accept(sent_offer(case))  # no option chosen: 30 % of 5,930.00 = 1,779.00
    (deposit,) = deposits_of(case)
    issued = issue(deposit.id)
    assert issued.total == Decimal("1779.00") and issued.due_on == DEPOSIT_DUE


def test_a_case_invoiced_in_another_currency_gets_no_deposit_draft_but_a_note(app):
    case = make_invoicing_case(estimate="", state="programme_offered")
    case.invoicing_currency = "USD"
    offer = sent_offer(case)
    accept(offer)
    assert deposits_of(case) == []
    assert "No deposit invoice drafted from offer version 1: the case is invoiced in USD, the offer is in EUR." in (
        notes_of(case)
    )
    assert fresh_status(offer.id) == "accepted"  # the acceptance stands


def test_a_case_with_a_deposit_already_gets_no_second_one_from_a_new_version(app):
    case = make_invoicing_case(estimate="20000.00", state="confirmed")
    issued_deposit(case, "500.00")
    newer = sent_offer(case, version=2)
    accept(newer)
    assert [invoice.total for invoice in deposits_of(case)] == [Decimal("500.00")]
    assert any("has a deposit invoice already" in note for note in notes_of(case))


def fresh_status(offer_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Offer, offer_id).status

"""The offer's figures against a hand-computed offer: resident prices on the treatment date, foreign-patient prices
from the international list or the coefficient, the saving, VAT and the total."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.offers import operations, pricing
from backoffice.offers.pricing import OfferError
from tests.offers.factories import offer_world


def terms(offer, world, **changes):
    values = {
        "treatment_on": world.treatment_on,
        "valid_until": operator_today() + timedelta(days=30),
        "included": offer.included,
        "excluded": offer.excluded,
        "cancellation_terms": offer.cancellation_terms,
        "expected_version": offer.row_version,
        **changes,
    }
    return operations.change_terms(offer.id, actor_id=world.coordinator.id, **values)


def rows(offer):
    return [
        (item.code, item.quantity, item.unit_price, item.amount, item.foreign_amount, item.foreign_source)
        for item in offer.items
    ]


def test_the_programme_is_priced_at_the_resident_tariff_valid_on_the_treatment_date_beside_the_foreign_price():
    world = offer_world()
    offer = operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    # 30 days from today by default: the ward day still costs 420.00.
    assert offer.items[1].unit_price == Decimal("420.0000")
    offer = terms(offer, world)
    assert rows(offer)[:3] == [
        ("A-CONS", Decimal(2), Decimal("95.0000"), Decimal("190.00"), Decimal("342.00"), "international"),
        ("A-WARD", Decimal(14), Decimal("438.0000"), Decimal("6132.00"), Decimal("11037.60"), "international"),
        # Not on the international list: the hospital's coefficient, 186.90 x 1.8 = 336.42.
        ("A-LAB", Decimal(1), Decimal("186.9000"), Decimal("186.90"), Decimal("336.42"), "coefficient"),
    ]
    fee = offer.items[3]
    assert (fee.section, fee.amount, fee.vat_category, fee.vat_rate) == (
        "service",
        Decimal("1500.00"),
        "standard",
        Decimal("19.00"),
    )
    assert offer.resident_total == Decimal("6508.90")
    assert offer.foreign_total == Decimal("11716.02")
    assert offer.saving == Decimal("5207.12")
    assert pricing.saving_percent(offer) == Decimal("44.4")  # 5207.12 / 11716.02
    assert (offer.services_total, offer.vat_total) == (Decimal("1500.00"), Decimal("285.00"))
    assert offer.total == Decimal("8293.90")  # 6508.90 + 1500.00 + 285.00
    assert [(i.label, i.percent) for i in offer.instalments] == [("Deposit", Decimal("30")), ("Balance", Decimal("70"))]
    assert operations.problems(offer) == []


def test_without_an_international_list_or_a_coefficient_no_saving_is_claimed():
    world = offer_world(international=False, coefficient=None)
    offer = terms(operations.start_offer(world.case.id, actor_id=world.coordinator.id), world)
    assert all(item.foreign_amount is None for item in offer.items)
    assert offer.saving is None and offer.foreign_total is None and pricing.saving_percent(offer) is None


def test_an_item_without_a_foreign_price_counts_at_its_resident_price_in_the_foreign_total():
    world = offer_world(coefficient=None)
    offer = terms(operations.start_offer(world.case.id, actor_id=world.coordinator.id), world)
    # A-LAB has no international price and the hospital no coefficient: no saving is claimed on it.
    assert offer.items[2].foreign_amount is None
    assert offer.foreign_total == Decimal("342.00") + Decimal("11037.60") + Decimal("186.90")
    assert offer.saving == Decimal("11566.50") - Decimal("6508.90")


def test_a_code_without_a_valid_tariff_is_a_blocking_problem_never_priced_at_zero():
    world = offer_world()
    world.programme.tariff_codes = "A-CONS | 2\nA-GONE"
    db.session.commit()
    offer = operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    gone = offer.items[1]
    assert (gone.code, gone.unit_price, gone.amount) == ("A-GONE", None, None)
    assert any("A-GONE has no resident tariff" in problem for problem in operations.problems(offer))
    with pytest.raises(OfferError, match="A-GONE has no resident tariff"):
        operations.send_offer(offer.id, actor_id=world.coordinator.id)
    assert operations.get_offer(offer.id).status == "draft"


def test_an_offer_in_the_patients_currency_converts_at_the_rate_fixed_on_it():
    world = offer_world(currency="USD")
    with pytest.raises(OfferError, match="exchange rate"):
        operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    offer = operations.start_offer(
        world.case.id,
        actor_id=world.coordinator.id,
        exchange_rate="1.085",
        exchange_rate_on=operator_today() - timedelta(days=1),
    )
    offer = terms(offer, world, exchange_rate="1.085", exchange_rate_on=operator_today() - timedelta(days=1))
    assert offer.currency == "USD" and offer.items[0].amount == Decimal("206.15")  # 190.00 x 1.085
    assert offer.items[0].unit_price == Decimal("95.0000") and offer.items[0].source_currency == "EUR"


@pytest.mark.parametrize(
    ("quantity", "price", "message"),
    [
        ("0", "10", "more than 0"),
        ("-1", "10", "more than 0"),
        ("1", "-5", "more than 0"),
        ("1", "100000000", "too large|beyond"),
        ("1.00001", "10", "at most 4 decimal places"),
        ("abc", "10", "not an amount"),
    ],
)
def test_bad_items_are_refused_and_the_draft_keeps_its_items(quantity, price, message):
    world = offer_world()
    offer = operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    db.session.commit()
    before = rows(operations.get_offer(offer.id))
    with pytest.raises(OfferError, match=message):
        operations.save_item(
            offer.id,
            actor_id=world.coordinator.id,
            item_id=None,
            section="service",
            description="Interpreter, hours",
            quantity=quantity,
            unit_price=price,
            vat_category="standard",
            optional=False,
        )
    db.session.rollback()
    assert rows(operations.get_offer(offer.id)) == before


def test_a_validity_in_the_past_and_a_schedule_not_adding_up_are_refused():
    world = offer_world()
    offer = operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    with pytest.raises(OfferError, match="valid until today or later"):
        terms(offer, world, valid_until=operator_today() - timedelta(days=1))
    with pytest.raises(OfferError, match="add up to 100"):
        operations.set_schedule(
            offer.id, [("Deposit", "30", operator_today()), ("Balance", "60", world.treatment_on)], actor_id=1
        )


def test_an_offer_needs_a_programme():
    world = offer_world()
    world.case.programme_id = None
    db.session.flush()
    with pytest.raises(OfferError, match="Choose the hospital programme"):
        operations.start_offer(world.case.id, actor_id=world.coordinator.id)

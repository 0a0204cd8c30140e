"""An offer's life: a sent offer is frozen with its archived PDF, a new version supersedes it, it is accepted once
(never when superseded or expired), and the case is confirmed only with an accepted offer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backoffice.cases import operations as cases
from backoffice.cases.operations import TransitionRefused
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.offers import acceptance, operations
from backoffice.offers.models import Offer
from backoffice.offers.pricing import OfferError
from backoffice.storage import archive
from backoffice.trail import AuditEvent
from tests.offers.factories import offer_world
from tests.offers.test_pricing import terms


def sent_offer(world):
    offer = terms(operations.start_offer(world.case.id, actor_id=world.coordinator.id), world)
    operations.send_offer(offer.id, actor_id=world.coordinator.id)
    db.session.commit()
    return operations.get_offer(offer.id)


def test_a_sent_offer_is_frozen_with_its_archived_pdf_and_never_changed():
    world = offer_world()
    offer = sent_offer(world)
    assert offer.status == "sent" and offer.sent_at is not None
    assert archive.read_pdf(offer.pdf_filename, offer.pdf_sha256).startswith(b"%PDF")
    with pytest.raises(OfferError, match="never changed"):
        terms(offer, world)
    with pytest.raises(OfferError, match="never changed"):
        operations.send_offer(offer.id, actor_id=world.coordinator.id)


def test_the_next_version_copies_the_last_and_supersedes_it_once_sent():
    world = offer_world()
    first = sent_offer(world)
    second = operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    assert (second.version, second.supersedes_id, second.status) == (2, first.id, "draft")
    assert [(i.code, i.quantity) for i in second.items] == [(i.code, i.quantity) for i in first.items]
    with pytest.raises(OfferError, match="still a draft"):
        operations.start_offer(world.case.id, actor_id=world.coordinator.id)
    db.session.commit()
    assert operations.get_offer(first.id).status == "sent"  # still open until the next version is sent
    operations.send_offer(second.id, actor_id=world.coordinator.id)
    db.session.commit()
    db.session.expire_all()
    assert operations.get_offer(first.id).status == "superseded"
    with pytest.raises(OfferError, match="replaced by a newer version"):
        acceptance.accept_offer(first.id, actor_id=world.case.patient_id, name="Dmitri Volkov")


def test_acceptance_keeps_the_name_address_and_hash_and_writes_the_audit_log():
    world = offer_world()
    offer = sent_offer(world)
    acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name=" Dmitri Volkov ", address="203.0.113.9")
    db.session.commit()
    offer = operations.get_offer(offer.id)
    assert (offer.status, offer.accepted_name, offer.accepted_address) == ("accepted", "Dmitri Volkov", "203.0.113.9")
    assert offer.accepted_sha256 == offer.pdf_sha256 and offer.accepted_total == offer.total
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_offer_accepted"))
    assert row.details["sha256"] == offer.pdf_sha256 and row.details["address"] == "203.0.113.9"


def test_an_offer_is_accepted_once_even_when_two_tabs_press_at_once():
    world = offer_world()
    offer = sent_offer(world)
    # The other tab's acceptance commits between this one's read and its write.
    db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id)
        .values(status="declined", decline_reason="other tab")
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(OfferError, match="already accepted"):
        acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov")
    db.session.rollback()  # the other tab's answer was this test's own: undone, the offer is open again
    acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov")
    db.session.commit()
    with pytest.raises(OfferError, match="already accepted"):
        acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov")


def test_an_expired_offer_cannot_be_accepted_and_a_name_is_required():
    world = offer_world()
    offer = sent_offer(world)
    with pytest.raises(OfferError, match="your full name"):
        acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="  ")
    offer.valid_until = operator_today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(OfferError, match="was valid until"):
        acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov")


def test_a_declined_offer_keeps_its_reason_and_a_reason_is_required():
    world = offer_world()
    offer = sent_offer(world)
    with pytest.raises(OfferError, match="reason"):
        acceptance.decline_offer(offer.id, actor_id=world.coordinator.id, reason="")
    acceptance.decline_offer(offer.id, actor_id=world.coordinator.id, reason="Too expensive for us now")
    db.session.commit()
    assert operations.get_offer(offer.id).decline_reason == "Too expensive for us now"


def test_a_recorded_acceptance_needs_the_signed_document():
    world = offer_world()
    offer = sent_offer(world)
    with pytest.raises(OfferError, match="Attach the signed offer"):
        acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov", channel="recorded")


def test_the_case_is_confirmed_only_with_an_accepted_offer():
    world = offer_world()
    offer = sent_offer(world)
    cases.get_case(world.case.id).state = "programme_offered"
    db.session.commit()
    blockers = cases.blockers(cases.get_case(world.case.id), "confirmed")
    assert any("has not accepted the offer yet" in message for message in blockers)
    acceptance.accept_offer(offer.id, actor_id=world.coordinator.id, name="Dmitri Volkov")
    db.session.commit()
    blockers = cases.blockers(cases.get_case(world.case.id), "confirmed")
    assert not any("offer" in message for message in blockers), blockers
    with pytest.raises(TransitionRefused):  # other guards (records, screening) still count
        cases.transition(world.case.id, "confirmed", actor_id=world.coordinator.id)

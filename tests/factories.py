"""Rows for tests, built directly (no audit events, no side effects) and flushed, not committed."""

from __future__ import annotations

import itertools

from backoffice.auth.models import User
from backoffice.auth.operations import hash_password
from backoffice.extensions import db

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def make_user(
    role: str = "coordinator",
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    active: bool = True,
) -> User:
    n = next(_sequence)
    user = User(
        email=email or f"user{n}@test.example",
        name=name or f"Test User {n}",
        role=role,
        password_hash=hash_password(password),
        active=active,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_hospital(
    code: str | None = None,
    *,
    country: str = "DE",
    city: str = "Frankfurt am Main",
    languages: tuple[str, ...] = ("de", "en"),
    name: str | None = None,
    active: bool = True,
):
    from backoffice.directory.models import Hospital

    n = next(_sequence)
    hospital = Hospital(
        code=code or f"TST-H{n}",
        name=name or f"Test Hospital {n}",
        city=city,
        country=country,
        languages=list(languages),
        timezone="Europe/Berlin",
        active=active,
    )
    db.session.add(hospital)
    db.session.flush()
    return hospital


def make_physician(
    hospital, *, name: str | None = None, specialty: str = "Endocrinology", languages: tuple[str, ...] = ("de", "en")
):
    from backoffice.directory.models import Physician

    physician = Physician(
        hospital_id=hospital.id,
        name=name or f"Dr. Test {next(_sequence)}",
        specialty=specialty,
        languages=list(languages),
    )
    db.session.add(physician)
    db.session.flush()
    return physician


def make_programme(
    hospital=None,
    *,
    name: str | None = None,
    price: str = "17650.00",
    currency: str = "EUR",
    contraindications: tuple[tuple[str, str], ...] = (
        ("Acute stage of an infectious or chronic disease", "remission reached"),
        ("Pregnancy", "after birth"),
        ("Lactation", "end of lactation"),
    ),
):
    from backoffice.directory.models import Contraindication, Programme, ProgrammePhase
    from backoffice.money import Money

    hospital = hospital or make_hospital()
    programme = Programme(
        hospital_id=hospital.id,
        name=name or f"Test programme {next(_sequence)}",
        description="Autologous peripheral blood stem cells",
        price_from=Money(price, currency),
        typical_stay_days=21,
        follow_up_plan="Weekly outpatient examinations for 2 months",
    )
    programme.phases = [
        ProgrammePhase(position=1, name="Leukocytapheresis and cryopreservation", duration="1 week", duration_days=7)
    ]
    programme.contraindications = [
        Contraindication(position=i, question=q, resolution_hint=hint)
        for i, (q, hint) in enumerate(contraindications, start=1)
    ]
    db.session.add(programme)
    db.session.flush()
    return programme


def make_patient(
    *,
    name: str | None = None,
    email: str | None = None,
    country: str = "AE",
    preferred_language: str = "ar",
    languages: str = "en",
):
    from backoffice.patients.models import Patient

    n = next(_sequence)
    patient = Patient(
        name=name or f"Test Patient {n}",
        email=email or f"patient{n}@test.example",
        phone=f"+971 50 {n:07d}",  # each patient their own number: a shared one is a known contact
        country=country,
        preferred_language=preferred_language,
        languages=languages,
    )
    db.session.add(patient)
    db.session.flush()
    return patient


def make_case(*, patient=None, state: str = "new", coordinator=None, requested_at=None, **fields):
    """A case opened through the real operation (number, SLA, first event), then put in `state` directly."""
    from backoffice.cases.operations import open_case
    from backoffice.dbtypes import utcnow

    patient = patient or make_patient()
    case = open_case(
        patient_id=patient.id,
        requested_treatment=fields.pop("requested_treatment", "Type 1 diabetes"),
        destination_country=fields.pop("destination_country", "DE"),
        consent_at=utcnow(),
        requested_at=requested_at,
    )
    case.state = state
    case.coordinator_id = coordinator.id if coordinator else None
    for name, value in fields.items():
        setattr(case, name, value)
    db.session.flush()
    if case.next_action_on is not None:  # the case's reminder is the copy of a reminder row: make the row
        from backoffice.cases.models import Reminder

        owner_id = coordinator.id if coordinator else fields.get("coordinator_id")
        db.session.add(Reminder(case_id=case.id, owner_id=owner_id, text=case.next_action, due_on=case.next_action_on))
        db.session.flush()
    return case


def make_accepted_offer(case, amount: str = "18000.00", currency: str = "EUR", *, status: str = "accepted"):
    """A one-line offer the patient accepted (as the migration makes of an estimate typed before offers), for tests
    whose rule is not the offer itself: the case may then be confirmed and asked for deposits."""
    from decimal import Decimal

    from backoffice.dbtypes import utcnow
    from backoffice.offers.models import Offer, OfferItem

    value = Decimal(amount)
    accepted = status == "accepted"
    offer = Offer(
        case_id=case.id,
        version=1 + len(db.session.query(Offer.id).filter(Offer.case_id == case.id).all()),
        status=status,
        language="en",
        currency=currency,
        base_currency=currency,
        resident_total=value,
        services_total=Decimal(0),
        vat_total=Decimal(0),
        total=value,
        from_estimate=True,
        accepted_at=utcnow() if accepted else None,
        acceptance_channel="migrated" if accepted else None,
        accepted_total=value if accepted else None,
        items=[
            OfferItem(
                position=1,
                section="treatment",
                description="Treatment programme",
                quantity=Decimal(1),
                unit_price=value,
                source_currency=currency,
                amount=value,
            )
        ],
    )
    db.session.add(offer)
    db.session.flush()
    return offer

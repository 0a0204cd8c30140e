"""A case ready for an offer, for the staff pages' tests: a Frankfurt clinic with a resident tariff and a documented
foreign-patient coefficient, its stem-cell programme of three codes, a coordinator's case with that programme."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.extensions import db
from backoffice.offers import operations
from backoffice.offers.models import Offer
from tests.factories import make_case, make_hospital, make_patient, make_programme

# code, description, resident price (EUR), valid from 2024 on
TARIFF = (
    ("SC-001", "Leukocytapheresis", "3900.00"),
    ("SC-002", "Cryopreservation", "850.00"),
    ("LAB-17", "Laboratory panel", "110.00"),
)
PROGRAMME_CODES = "SC-001 | 1\nSC-002 | 2\nLAB-17 | 3"


def tariff_csv(rows=TARIFF) -> bytes:
    return "\n".join([HEADER, *(f"{code},{text},{price},EUR,2024-01-01," for code, text, price in rows)]).encode()


def make_offer_case(coordinator, *, codes: str = PROGRAMME_CODES, coefficient: str | None = "1.6", **fields):
    """A case of `coordinator` at a clinic whose tariff prices the programme's codes; committed."""
    hospital = make_hospital(name="Frankfurt Stem Cell Clinic")
    hospital.foreign_coefficient = Decimal(coefficient) if coefficient else None
    hospital.foreign_coefficient_source = "Clinic's price list for international patients, 2026" if coefficient else ""
    programme = make_programme(hospital, name="Stem cell therapy")
    programme.tariff_codes = codes
    import_tariff(hospital.id, tariff_csv(), "tariff.csv", None)
    case = make_case(
        patient=fields.pop("patient", None) or make_patient(name="Amira Haddad", preferred_language="en"),
        state="records_review",
        coordinator=coordinator,
        hospital_id=hospital.id,
        programme_id=programme.id,
        **fields,
    )
    db.session.commit()
    return case


def draft_of(case, actor) -> Offer:
    offer = operations.start_offer(case.id, actor_id=actor.id)
    db.session.commit()
    return stored(offer.id)


def stored(offer_id: int) -> Offer:
    """The offer as stored now (after the requests' own sessions changed it)."""
    db.session.expire_all()
    return operations.get_offer(offer_id)


def newest_offer(case_id: int) -> Offer | None:
    db.session.expire_all()
    return db.session.scalars(select(Offer).where(Offer.case_id == case_id).order_by(Offer.version.desc())).first()


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()

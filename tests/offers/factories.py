"""A case at a hospital with a resident tariff, an international price list and a programme of three codes, whose
offer is hand-computed in `tests/offers/test_pricing.py`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from backoffice.billing.models import TariffImport, TariffItem
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from tests.factories import make_case, make_hospital, make_patient, make_programme, make_user

PROGRAMME_CODES = "A-CONS | 2\nA-WARD | 14\nA-LAB"


@dataclass
class World:
    case: object
    coordinator: object
    hospital: object
    programme: object
    treatment_on: date


def tariff(hospital, kind: str, rows: list[tuple[str, str, str, date, date | None]]) -> TariffImport:
    """A tariff import of `kind` with (code, description, price, valid from, valid to) rows, in EUR."""
    imported = TariffImport(hospital_id=hospital.id, kind=kind, filename=f"{kind}.csv", sha256="0" * 64, item_count=0)
    db.session.add(imported)
    db.session.flush()
    for code, description, price, valid_from, valid_to in rows:
        db.session.add(
            TariffItem(
                import_id=imported.id,
                hospital_id=hospital.id,
                code=code,
                description=description,
                resident_price=Decimal(price),
                currency="EUR",
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )
    imported.item_count = len(rows)
    db.session.flush()
    return imported


def offer_world(
    *, international: bool = True, coefficient: str | None = "1.8", currency: str = "EUR", language: str = "en"
) -> World:
    """The ward day costs 420.00 until 60 days from today and 438.00 after; the treatment is 90 days from today."""
    today = operator_today()
    change = today + timedelta(days=60)
    hospital = make_hospital()
    if coefficient:
        hospital.foreign_coefficient = Decimal(coefficient)
        hospital.foreign_coefficient_source = "Price list for international patients, 2026"
    tariff(
        hospital,
        "resident",
        [
            ("A-CONS", "Specialist consultation", "95.0000", date(2025, 1, 1), None),
            ("A-WARD", "Ward bed day", "420.0000", date(2025, 1, 1), change - timedelta(days=1)),
            ("A-WARD", "Ward bed day", "438.0000", change, None),
            ("A-LAB", "Laboratory panel", "186.9000", date(2025, 1, 1), None),
        ],
    )
    if international:
        tariff(
            hospital,
            "international",
            [
                ("A-CONS", "Specialist consultation", "171.0000", date(2025, 1, 1), None),
                ("A-WARD", "Ward bed day", "788.4000", change, None),
            ],
        )
    programme = make_programme(hospital)
    programme.tariff_codes = PROGRAMME_CODES
    world_programme = programme
    coordinator = make_user("coordinator")
    patient = make_patient(name="Dmitri Volkov", preferred_language=language, country="RU")
    case = make_case(patient=patient, state="records_review", coordinator=coordinator, invoicing_currency=currency)
    case.programme_id, case.hospital_id = programme.id, hospital.id
    db.session.flush()
    db.session.commit()
    return World(case, coordinator, hospital, world_programme, today + timedelta(days=90))

"""A case with a programme, the hospital's resident tariff and international price list imported, and its offer
priced from them: the offer the PDF and the portal tests read. Figures by hand (EUR, treatment exempt from VAT):

    ABM-CONS  Consultation       2 x   180.00 =   360.00   international 2 x 300.00 =   600.00  saving 240.00 (40 %)
    ABM-APH   Leukocytapheresis  1 x 4,000.00 = 4,000.00   international            6,000.00  saving 2,000.00
    ABM-WARD  Ward day          14 x   350.00 = 4,900.00   no foreign price: none claimed
    treatment at resident prices 9,260.00; at foreign-patient prices 600 + 6,000 + 4,900 = 11,500.00
    saving 2,240.00 = 19.5 % of 11,500.00
    coordination 1,500.00 + VAT 19 % 285.00; optional transfer 200.00 + 38.00 VAT (not in the total)
    total payable 9,260.00 + 1,500.00 + 285.00 = 11,045.00
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from backoffice.billing.tariffs.csv_file import HEADER
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.dbtypes import operator_today
from backoffice.directory.models import ProgrammePhase
from backoffice.extensions import db
from backoffice.offers import operations
from tests.factories import make_case, make_hospital, make_patient, make_programme, make_user

RESIDENT = [
    "ABM-CONS,Consultation,180.00,EUR,2025-01-01,",
    "ABM-APH,Leukocytapheresis,4000.00,EUR,2025-01-01,",
    "ABM-WARD,Ward day,350.00,EUR,2025-01-01,",
]
INTERNATIONAL = [
    "ABM-CONS,Consultation,300.00,EUR,2025-01-01,",
    "ABM-APH,Leukocytapheresis,6000.00,EUR,2025-01-01,",
]
TOTAL = Decimal("11045.00")
SAVING = Decimal("2240.00")
SAVING_PERCENT = Decimal("19.5")


def tariff_file(rows: list[str]) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


def make_offer_case(*, patient=None, name="Paula Patient", language="en", email=None, coefficient=None):
    """A case at a hospital with both price lists (or, given a `coefficient`, the resident list and that documented
    coefficient for foreign patients) and a programme of three codes (no offer yet)."""
    hospital = make_hospital(name="Asklepios Bad Homburg", city="Bad Homburg")
    import_tariff(hospital.id, tariff_file(RESIDENT), "resident.csv", None)
    if coefficient is None:
        international = import_tariff(hospital.id, tariff_file(INTERNATIONAL), "international.csv", None)
        international.kind = "international"
    else:
        hospital.foreign_coefficient = Decimal(coefficient)
        hospital.foreign_coefficient_source = "Letter of the hospital's finance department, 3 March 2026"
    programme = make_programme(hospital, name="Stem cell therapy")
    programme.tariff_codes = "ABM-CONS | 2\nABM-APH | 1\nABM-WARD | 14"
    programme.phases[0].duration_days = 7
    programme.phases.append(
        ProgrammePhase(position=2, name="Infusion and observation", duration="2 weeks", duration_days=14)
    )
    patient = patient or make_patient(name=name, preferred_language=language, email=email)
    case = make_case(patient=patient, hospital_id=hospital.id, programme_id=programme.id)
    db.session.flush()
    return case


def make_sent_offer(case=None, *, coordinator=None, **case_fields):
    """The case's offer started from its programme, an optional transfer added, and sent (its PDF archived)."""
    case = case or make_offer_case(**case_fields)
    coordinator = coordinator or make_user("coordinator")
    offer = operations.start_offer(case.id, actor_id=coordinator.id)
    operations.save_item(
        offer.id,
        actor_id=coordinator.id,
        item_id=None,
        section="service",
        description="Airport transfer",
        quantity="1",
        unit_price="200.00",
        vat_category="standard",
        optional=True,
    )
    operations.send_offer(offer.id, actor_id=coordinator.id)
    db.session.commit()
    return operations.get_offer(offer.id)


def today() -> date:
    return operator_today()

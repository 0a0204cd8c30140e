"""The demo's offers: FRA-ABM's price list for international patients (imported like a finance clerk would), the
documented foreign-patient coefficients of two hospitals, and Dmitri Patient (patient3@demo.test, reads Russian),
whose stem-cell case at FRA-ABM waits for its treatment offer: the coordinator builds it from the programme, sends it,
and Dmitri accepts it in the portal.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.billing.tariffs.current import latest_import
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.cases.models import Case, CaseDocument
from backoffice.cases.programme import set_programme
from backoffice.demo.data import FOREIGN_COEFFICIENTS, FRA_ABM_INTERNATIONAL, FRA_ABM_TARIFF, STEM_CELL_PROGRAMME
from backoffice.demo.invoices import link_account
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.extensions import db
from backoffice.offers.models import Offer

DMITRI = "patient3@demo.test"


def seed_offers(actor_id: int | None) -> list[str]:
    """The international list, the coefficients and Dmitri's case; lines for the seed's output."""
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == "FRA-ABM"))
    if hospital is None or latest_import(hospital.id, "international") is not None:
        return []
    import_tariff(hospital.id, _international_csv(), "FRA-ABM international prices.csv", actor_id)
    for code, coefficient, source in FOREIGN_COEFFICIENTS:
        other = db.session.scalar(select(Hospital).where(Hospital.code == code))
        if other is not None:
            other.foreign_coefficient, other.foreign_coefficient_source = Decimal(coefficient), source
    db.session.flush()
    summary = ["FRA-ABM's international price list imported; BER-SOH and MUC-IHC document a coefficient."]
    case = _dmitris_case(hospital)
    if case is not None:
        summary.append(f"Waiting for its offer: case {case.number} of Dmitri Patient ({DMITRI}, reads Russian).")
    return summary


def _international_csv() -> bytes:
    descriptions = {code: description for code, description, *_ in FRA_ABM_TARIFF}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code", "description", "resident_price", "currency", "valid_from", "valid_to", "kind"))
    for code, price, valid_from in FRA_ABM_INTERNATIONAL:
        writer.writerow((code, descriptions[code], price, "EUR", valid_from, "", "international"))
    return out.getvalue().encode()


def _dmitris_case(hospital: Hospital) -> Case | None:
    """A seeded case in the records review with a medical record and no offer becomes Dmitri's stem-cell case."""
    user = db.session.scalar(select(User).where(User.email == DMITRI))
    programme = db.session.scalar(
        select(Programme).where(Programme.hospital_id == hospital.id, Programme.name == STEM_CELL_PROGRAMME)
    )
    with_record = select(CaseDocument.case_id).where(CaseDocument.document_type == "medical_record")
    case = db.session.scalar(
        select(Case)
        .where(
            Case.state == "records_review",
            Case.coordinator_id.is_not(None),
            Case.id.in_(with_record),
            Case.id.not_in(select(Offer.case_id)),
        )
        .order_by(Case.id)
        .limit(1)
    )
    if user is None or programme is None or case is None:
        return None
    physician = db.session.scalar(
        select(Physician).where(Physician.hospital_id == hospital.id, Physician.name == "Dr. med. Jonas Hoffmann")
    )
    link_account(user, case.id)
    case.requested_treatment = "Type 1 diabetes: stem cell therapy"
    set_programme(
        case.id,
        programme_id=programme.id,
        physician_id=physician.id if physician else None,
        actor_id=case.coordinator_id,
    )
    return case

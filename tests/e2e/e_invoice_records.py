"""The records the e-invoice journey (`test_finance_e_invoices.py`) starts from, made in the live server's database
through the project's operations and the test factories: `python -m tests.e2e.e_invoice_records` prints their ids
as JSON.

- The sample clinic of `tests/billing/samples/` (seller VAT ID DE811234567) with the samples' resident tariff.
- A discharged case of the clinic with no stay and no programme, so the audit of the sample bill is exactly the
  expected JSON's (no stay or programme finding on top).
- A discharged case whose hospital bill (three lines at resident prices) is approved: finance invoices it.
- A case with an accepted offer and a deposit invoice issued 40 days ago and not paid (overdue since the 14
  payment days ran out), its patient reading Russian.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.billing.bills import receiving, review
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.dbtypes import operator_today
from backoffice.demo.data import DEMO_USERS
from backoffice.directory.models import Hospital
from backoffice.directory.operations import create_hospital
from backoffice.extensions import db
from backoffice.invoicing import deposits, drafts, issuing
from tests.factories import make_accepted_offer, make_case, make_patient

SAMPLES = Path(__file__).resolve().parents[1] / "billing" / "samples"
HOSPITAL_CODE = "FRA-SCF"
HOSPITAL_VAT_ID = "DE811234567"
DEPOSIT_ISSUED_DAYS_AGO = 40
# Lines of tariffs.csv at their resident prices, open-ended versions: the approved bill has no finding.
APPROVED_BILL = (
    "line,date,code,description,quantity,unit_price,currency\n"
    "1,{day},T00001,nursing hour 1,2,1002.02,EUR\n"
    "2,{day},T00004,CT scan 4,1,5793.14,EUR\n"
    "3,{day},T00005,blood panel 5,1,2355.83,EUR\n"
)


def sample_clinic(actor_id: int) -> Hospital:
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == HOSPITAL_CODE))
    if hospital is None:
        hospital = create_hospital(
            code=HOSPITAL_CODE,
            name="Sample Clinic Frankfurt",
            city="Frankfurt am Main",
            country="DE",
            languages=("de", "en"),
            vat_id=HOSPITAL_VAT_ID,
            actor_id=actor_id,
        )
        import_tariff(hospital.id, (SAMPLES / "tariffs.csv").read_bytes(), "tariffs.csv", actor_id)
    return hospital


def make_records() -> dict:
    finance_email = next(email for email, _name, role in DEMO_USERS if role == "finance")
    actor_id = db.session.scalar(select(User.id).where(User.email == finance_email))
    hospital = sample_clinic(actor_id)
    today = operator_today()

    bill_case = make_case(state="discharged", hospital_id=hospital.id)

    insured = make_case(state="discharged", hospital_id=hospital.id)
    day = (today - timedelta(days=10)).isoformat()
    reference = f"SCF-{insured.number}"
    bill = receiving.receive_bill(
        insured.id, APPROVED_BILL.format(day=day).encode(), f"{reference}.csv", reference, today, actor_id
    )
    review.start_review(bill.id, actor_id=actor_id)
    review.approve_bill(bill.id, actor_id=actor_id)

    patient = make_patient(
        name="Ольга Смирнова", email="olga.smirnova@example.org", country="KZ", preferred_language="ru"
    )
    owing = make_case(state="in_treatment", hospital_id=hospital.id, patient=patient)
    make_accepted_offer(owing, "18000.00")
    draft = deposits.create_deposit_draft(owing.id, actor_id=actor_id, share_percent="30")
    drafts.update_draft(
        draft.id,
        actor_id=actor_id,
        expected_version=None,
        bill_to_name=patient.name,
        bill_to_address="ул. Абая 10\n050000 Алматы\nKazakhstan",
        service_from=None,
        service_to=None,
    )
    deposit = issuing.issue_invoice(
        draft.id, actor_id=actor_id, issued_on=today - timedelta(days=DEPOSIT_ISSUED_DAYS_AGO)
    )
    db.session.commit()
    return {
        "hospital_id": hospital.id,
        "bill_case_id": bill_case.id,
        "insured_case_id": insured.id,
        "deposit_id": deposit.id,
        "deposit_number": deposit.number,
        "patient_email": patient.email,
        "patient_language": patient.preferred_language,
    }


if __name__ == "__main__":
    from wsgi import app

    with app.app_context():
        print(json.dumps(make_records()))

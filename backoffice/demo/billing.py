"""The demo's billing: FRA-ABM's resident tariff, and a hospital bill to audit for a stem-cell case.

The bill charges a foreign-patient mark-up on some lines, one line twice and one code outside the tariff, as bills
do; `instance/demo-bill-FRA-ABM.csv` holds a second one to upload by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from backoffice.billing.bills.receiving import receive_bill
from backoffice.billing.models import HospitalBill
from backoffice.billing.tariffs.current import current_tariff
from backoffice.billing.tariffs.importing import import_tariff
from backoffice.cases.models import Case
from backoffice.demo.data import FRA_ABM_TARIFF, STEM_CELL_PROGRAMME, STEM_CELL_TARIFF_CODES
from backoffice.demo.e_invoices import zugferd_bill
from backoffice.directory.models import Hospital, Programme
from backoffice.extensions import db
from backoffice.logistics.models import HospitalAppointment

MARK_UP = Decimal("1.30")  # the "foreign patient coefficient" an honest resident price does not have


def seed_tariffs(actor_id: int | None) -> bool:
    """FRA-ABM's resident tariff (imported like a finance clerk would) and its programme's codes."""
    hospital = db.session.scalar(select(Hospital).where(Hospital.code == "FRA-ABM"))
    if hospital is None or current_tariff(hospital.id):
        return False
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("code", "description", "resident_price", "currency", "valid_from", "valid_to"))
    for code, description, price, valid_from, valid_to in FRA_ABM_TARIFF:
        writer.writerow((code, description, price, "EUR", valid_from, valid_to))
    import_tariff(hospital.id, out.getvalue().encode(), "FRA-ABM resident tariff.csv", actor_id)
    programme = db.session.scalar(
        select(Programme).where(Programme.hospital_id == hospital.id, Programme.name == STEM_CELL_PROGRAMME)
    )
    if programme is not None:
        programme.tariff_codes = "\n".join(STEM_CELL_TARIFF_CODES)
    db.session.flush()
    return True


def resident_price(code: str, day: date) -> Decimal:
    """The demo tariff's price of `code` on `day` (the open-ended version for dates after the list)."""
    versions = [row for row in FRA_ABM_TARIFF if row[0] == code]
    for _, _, price, valid_from, valid_to in versions:
        if date.fromisoformat(valid_from) <= day and (not valid_to or day <= date.fromisoformat(valid_to)):
            return Decimal(price)
    return Decimal(versions[-1][2])


def bill_csv(admission: date, discharge: date, *, marked_up: bool) -> bytes:
    """A stem-cell bill for one stay: marked up (as first sent) or at resident prices (as corrected)."""
    factor = MARK_UP if marked_up else Decimal(1)
    days = max(1, (discharge - admission).days)
    plan = [
        (admission - timedelta(days=2), "ABM-CONS", "Specialist consultation", "1", factor),
        (admission, "ABM-LAB1", "Laboratory panel", "1", Decimal(1)),
        (admission + timedelta(days=1), "ABM-LEUK", "Leukocytapheresis", "1", factor),
        (admission + timedelta(days=1), "ABM-CRYO", "Cryopreservation, per bag", "2", Decimal(1)),
        (admission + timedelta(days=3), "ABM-COND", "Conditioning therapy", "1", factor),
        (admission + timedelta(days=5), "ABM-INF", "Thawed-cell infusion", "1", Decimal(1)),
        (discharge, "ABM-WARD", "Ward bed days", str(days), factor),
    ]
    if marked_up:
        plan.append((admission + timedelta(days=5), "ABM-INF", "Thawed-cell infusion", "1", Decimal(1)))
    lines = [(day, code, text, quantity, resident_price(code, day) * f) for day, code, text, quantity, f in plan]
    if marked_up:
        lines.append((admission + timedelta(days=6), "ABM-VIP", "International patient service fee", "1", Decimal(950)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("line", "date", "code", "description", "quantity", "unit_price", "currency"))
    for number, (day, code, description, quantity, price) in enumerate(lines, start=1):
        writer.writerow(
            (number, day.isoformat(), code, description, quantity, f"{price.quantize(Decimal('0.01'))}", "EUR")
        )
    return out.getvalue().encode()


def stem_cell_stays(states: tuple[str, ...] = ("discharged", "aftercare"), *, limit: int | None = None) -> list:
    """(case id, admission, discharge) of the stem-cell cases in `states` with a confirmed stay, oldest case first."""
    query = (
        select(Case.id, HospitalAppointment.admission_on, HospitalAppointment.discharge_on)
        .join(HospitalAppointment, HospitalAppointment.case_id == Case.id)
        .join(Programme, Programme.id == Case.programme_id)
        .where(
            Programme.name == STEM_CELL_PROGRAMME,
            Case.state.in_(states),
            HospitalAppointment.status == "confirmed",
        )
        .order_by(Case.id)
    )
    return list(db.session.execute(query if limit is None else query.limit(limit)).all())


def seed_bills(actor_id: int | None) -> HospitalBill | None:
    """One received bill on a discharged stem-cell case; a second case's bill is left in instance/ to upload.
    (The demo's invoices take the stem-cell cases after these two: `demo/invoices.py`.)"""
    cases = stem_cell_stays(limit=2)
    if not cases or db.session.scalar(select(HospitalBill.id).limit(1)) is not None:
        return None
    case_id, admission, discharge = cases[0]
    bill = receive_bill(
        case_id,
        bill_csv(admission, discharge, marked_up=True),
        "ABM-2026-0815.csv",
        "ABM-2026-0815",
        discharge + timedelta(days=7),
        actor_id,
    )
    if len(cases) > 1:
        _, admission, discharge = cases[1]
        second_bill = Path(current_app.instance_path, "demo-bill-FRA-ABM.csv")
        second_bill.parent.mkdir(parents=True, exist_ok=True)  # a new INSTANCE_PATH may not exist yet
        second_csv = bill_csv(admission, discharge, marked_up=True)
        second_bill.write_bytes(second_csv)
        # The same bill as the hospital's ZUGFeRD PDF (its CII XML embedded): either may be uploaded.
        hospital = db.session.get(Hospital, db.session.get(Case, cases[1][0]).hospital_id)
        issued = discharge + timedelta(days=7)
        second_bill.with_suffix(".pdf").write_bytes(
            zugferd_bill(second_csv, hospital, f"ABM-{issued.year}-0871", issued)
        )
    return bill

"""A case's stay: the days the patient was in hospital, from admission to discharge.

The stay is recorded on the case's confirmed hospital appointment (`HospitalAppointment`): its
admission day and its discharge day, which the coordinator keeps to what happened (an appointment may be changed after
its start). A requested appointment the hospital never confirmed, or a cancelled one, is no stay the patient had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.logistics.models import HospitalAppointment


@dataclass(frozen=True, slots=True)
class Stay:
    admission_on: date
    discharge_on: date


def stay_of(case: Case | int) -> Stay | None:
    """The case's stay in hospital (admission to discharge) per its confirmed appointment; None without one.

    One statement. A case has one appointment in play at a time, so there is at most one confirmed appointment."""
    case_id = case if isinstance(case, int) else case.id
    row = db.session.execute(
        select(HospitalAppointment.admission_on, HospitalAppointment.discharge_on)
        .where(HospitalAppointment.case_id == case_id, HospitalAppointment.status == "confirmed")
        .order_by(HospitalAppointment.admission_on.desc(), HospitalAppointment.id.desc())
        .limit(1)
    ).first()
    return Stay(row[0], row[1]) if row else None


def planned_stay_of(case: Case | int) -> Stay | None:
    """The stay the case's newest appointment not cancelled plans (requested or confirmed); None without one.

    What a deposit invoice names as its service period: a deposit is asked before the hospital confirms."""
    case_id = case if isinstance(case, int) else case.id
    row = db.session.execute(
        select(HospitalAppointment.admission_on, HospitalAppointment.discharge_on)
        .where(HospitalAppointment.case_id == case_id, HospitalAppointment.status != "cancelled")
        .order_by(HospitalAppointment.admission_on.desc())
        .limit(1)
    ).first()
    return Stay(row[0], row[1]) if row else None

"""The hospital appointment of a case: at which hospital, with whom, when (local time), admission and discharge.

One per case, unless cancelled; a confirmed appointment lets the case move to travel_booked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.extensions import db
from backoffice.logistics.bookings.operations import (
    BookingDetails,
    BookingError,
    bookable_case,
    booking_name,
    check_not_too_far,
    create_booking,
    get_booking,
    refuse_cancelled,
    refuse_move_into_past,
    refuse_past_start,
    update_booking,
)
from backoffice.logistics.models import HospitalAppointment
from backoffice.logistics.timezones import combine


def has_confirmed_appointment(case: Case) -> bool:
    """The case guard for travel_booked: the hospital has confirmed the appointment."""
    return bool(
        db.session.scalar(
            select(exists().where(HospitalAppointment.case_id == case.id, HospitalAppointment.status == "confirmed"))
        )
    )


@dataclass(frozen=True, kw_only=True)
class AppointmentDetails(BookingDetails):
    """The appointment as typed: when (the hospital's local time), where, with whom, admission and discharge."""

    start_on: date | None
    start_time: time | None
    hospital_id: int | None = None
    physician_id: int | None = None
    programme_id: int | None = None
    admission_on: date | None = None
    discharge_on: date | None = None


def _appointment_values(case: Case, details: AppointmentDetails) -> dict[str, Any]:
    admission_on = details.admission_on
    discharge_on = details.discharge_on
    hospital = db.session.get(Hospital, details.hospital_id) if details.hospital_id is not None else case.hospital
    if details.hospital_id is not None and hospital is None:
        raise BookingError(_("Choose a hospital from the directory."))
    if hospital is None:
        raise BookingError(_("Choose the case's programme first (or the hospital of the appointment)."))
    physician = db.session.get(Physician, details.physician_id) if details.physician_id is not None else None
    if details.physician_id is not None and physician is None:
        raise BookingError(_("Choose a physician from the directory."))
    if physician is not None and physician.hospital_id != hospital.id:
        raise BookingError(
            _("%(physician)s does not work at %(hospital)s.", physician=physician.name, hospital=hospital.name)
        )
    programme = db.session.get(Programme, details.programme_id) if details.programme_id is not None else None
    if details.programme_id is not None and programme is None:
        raise BookingError(_("Choose a programme from the directory."))
    if programme is not None and programme.hospital_id != hospital.id:
        raise BookingError(
            _("%(programme)s is not a programme of %(hospital)s.", programme=programme.name, hospital=hospital.name)
        )
    if details.start_on is None or details.start_time is None:
        raise BookingError(_("Enter the date and the local time of the appointment."))
    for day, what in ((details.start_on, "appointment"), (admission_on, "admission"), (discharge_on, "discharge")):
        if day is not None:
            check_not_too_far(day, what)
    starts_at = combine(details.start_on, details.start_time, hospital.timezone)
    admission_on = admission_on or details.start_on
    if admission_on < details.start_on - timedelta(days=1):
        raise BookingError(
            _(
                "The admission (%(admission)s) cannot be more than a day before the appointment (%(start)s).",
                admission=admission_on.isoformat(),
                start=details.start_on.isoformat(),
            )
        )
    if discharge_on is None:
        if programme is None or programme.typical_stay_days is None:
            raise BookingError(_("Enter the expected discharge date."))
        discharge_on = admission_on + timedelta(days=programme.typical_stay_days)
    if discharge_on < admission_on:
        raise BookingError(_("The expected discharge must be on or after the admission date."))
    return {
        "hospital": hospital,
        "physician": physician,
        "programme": programme,
        "starts_at": starts_at,
        "timezone": hospital.timezone,
        "admission_on": admission_on,
        "discharge_on": discharge_on,
    }


def create_appointment(case_id: int, details: AppointmentDetails, *, actor_id: int) -> HospitalAppointment:
    """Request the hospital appointment: at the case's hospital unless another is named, its start in the hospital's
    local time, admission (by default the day of the start) and expected discharge. One per case, unless cancelled.
    """
    case = bookable_case(case_id)
    # Lock the case row: two coordinators booking at once must not both pass the one-appointment check.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    existing = db.session.scalar(
        select(HospitalAppointment)
        .where(HospitalAppointment.case_id == case.id, HospitalAppointment.status != "cancelled")
        .options(joinedload(HospitalAppointment.hospital))
    )
    if existing is not None:
        raise BookingError(
            _(
                "Case %(case)s already has a hospital appointment (%(appointment)s); change it, or cancel it before "
                "booking another.",
                case=case.number,
                appointment=booking_name("appointment", existing),
            )
        )
    values = _appointment_values(case, details)
    refuse_past_start(values["starts_at"], values["timezone"], _("the appointment on"))
    return create_booking("appointment", case, values, details, actor_id)


def update_appointment(
    booking_id: int, details: AppointmentDetails, *, actor_id: int, case_id: int | None = None
) -> HospitalAppointment:
    """Change the appointment (same rules as booking it; a start that has passed may stay as it is)."""
    booking = get_booking("appointment", booking_id, case_id, lock=True)
    case = bookable_case(booking.case_id)
    refuse_cancelled(booking)
    if details.hospital_id is None:
        details = replace(details, hospital_id=booking.hospital_id)
    values = _appointment_values(case, details)
    refuse_move_into_past(booking.starts_at, values["starts_at"], values["timezone"])
    return update_booking("appointment", booking, case, values, details, actor_id)

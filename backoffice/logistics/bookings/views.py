"""The bookings of a case: the list with its costs, the booking forms, confirming and cancelling."""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select

from backoffice.auth.permissions import CARE_COORDINATORS, STAFF_ROLES, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.forms import choices, form_status
from backoffice.logistics import bp
from backoffice.logistics.airports import UnknownAirport, airport
from backoffice.logistics.bookings import appointments, flights, hotel_stays, operations, transfers
from backoffice.logistics.bookings.forms import FORMS, BookingForm, CancelBookingForm, ConfirmBookingForm, initial_data
from backoffice.logistics.costs import logistics_costs
from backoffice.logistics.models import Flight
from backoffice.logistics.timezones import shown_local
from backoffice.transactions import commit_change

BOOKING_READERS = STAFF_ROLES  # finance reads bookings and costs to invoice them
BOOKING_WORKERS = CARE_COORDINATORS
KIND = "<kind>"  # appointment, hotel, flight or transfer; any other is not found

# Each kind: its details, how a new one is requested, how one is changed.
DETAILS = {
    "appointment": appointments.AppointmentDetails,
    "hotel": hotel_stays.HotelStayDetails,
    "flight": flights.FlightDetails,
    "transfer": transfers.TransferDetails,
}
CREATE = {
    "appointment": appointments.create_appointment,
    "hotel": hotel_stays.create_hotel_stay,
    "flight": flights.create_flight,
    "transfer": transfers.create_transfer,
}
UPDATE = {
    "appointment": appointments.update_appointment,
    "hotel": hotel_stays.update_hotel_stay,
    "flight": flights.update_flight,
    "transfer": transfers.update_transfer,
}
# What a coordinator is told once a booking of each kind is confirmed or cancelled.
CONFIRMED = {
    "appointment": _l("Hospital appointment confirmed (%(reference)s)."),
    "hotel": _l("Hotel stay confirmed (%(reference)s)."),
    "flight": _l("Flight confirmed (%(reference)s)."),
    "transfer": _l("Transfer confirmed (%(reference)s)."),
}
CANCELLED = {
    "appointment": _l("Hospital appointment cancelled."),
    "hotel": _l("Hotel stay cancelled."),
    "flight": _l("Flight cancelled."),
    "transfer": _l("Transfer cancelled."),
}


def _airport_label(code: str) -> str:
    try:
        return airport(code).label
    except UnknownAirport:
        return code


def _render_list(case_id: int, status: int = 200):
    case = get_case(case_id)
    return render_template(
        "logistics/bookings.html",
        case=case,
        states=states,
        bookings=operations.bookings_of(case.id),
        costs=logistics_costs(case.id),
        may_change=current_user.role in BOOKING_WORKERS,
        case_open=case.state not in states.FINAL,
        confirm_form=ConfirmBookingForm(formdata=None),
        cancel_form=CancelBookingForm(formdata=None),
        kind_labels=operations.KIND_LABELS,
        place_labels=operations.PLACE_LABELS,
        status_labels=operations.STATUS_LABELS,
        local_time=shown_local,
        airport_label=_airport_label,
    ), status


@bp.route("/cases/<int:case_id>/bookings")
@roles_required(*BOOKING_READERS)
@reads_health_data(case_arg="case_id")
def list_bookings(case_id: int):
    return _render_list(case_id)


# ---------------------------------------------------------------------------------------------- the forms


def _appointment_choices(form: BookingForm, case: Case, booking) -> None:
    hospital_ids = {case.hospital_id, booking.hospital_id if booking else None}
    if (form.hospital_id.data or "").isdigit():
        hospital_ids.add(int(form.hospital_id.data))
    hospital_ids.discard(None)
    zone = booking.timezone if booking else case.hospital.timezone if case.hospital else None
    if zone:
        form.start_time.description = _("The hospital's local time (%(zone)s).", zone=zone)
    hospitals = db.session.scalars(
        select(Hospital)
        .where(or_(Hospital.active.is_(True), Hospital.id.in_(sorted(hospital_ids))))
        .order_by(Hospital.name)
    ).all()
    names = {h.id: h.name for h in hospitals}
    form.hospital_id.choices = choices(
        [("", _("Choose a hospital")), *((str(h.id), f"{h.name}, {h.city}") for h in hospitals)]
    )
    current_physician = booking.physician_id if booking else case.physician_id
    physicians = db.session.scalars(
        select(Physician)
        .where(
            Physician.hospital_id.in_(sorted(hospital_ids)),
            or_(Physician.active.is_(True), Physician.id == current_physician),
        )
        .order_by(Physician.name)
    ).all()
    form.physician_id.choices = choices(
        [("", _("No physician")), *((str(p.id), f"{p.name} ({names.get(p.hospital_id, '')})") for p in physicians)]
    )
    current_programme = booking.programme_id if booking else case.programme_id
    programmes = db.session.scalars(
        select(Programme)
        .where(
            Programme.hospital_id.in_(sorted(hospital_ids)),
            or_(Programme.active.is_(True), Programme.id == current_programme),
        )
        .order_by(Programme.name)
    ).all()
    form.programme_id.choices = choices(
        [("", _("No programme")), *((str(p.id), f"{p.name} ({names.get(p.hospital_id, '')})") for p in programmes)]
    )


def _flight_choices(form: BookingForm, case: Case, booking) -> None:
    linked = booking.flight_id if booking else None
    flights = db.session.scalars(
        select(Flight)
        .where(Flight.case_id == case.id, or_(Flight.status != "cancelled", Flight.id == linked))
        .order_by(Flight.departs_at)
    ).all()
    options = [
        (
            str(f.id),
            _(
                "%(number)s %(origin)s→%(destination)s, departs %(departure)s, lands %(arrival)s",
                number=f.flight_number,
                origin=f.from_airport,
                destination=f.to_airport,
                departure=shown_local(f.departs_at, f.departure_tz),
                arrival=shown_local(f.arrives_at, f.arrival_tz),
            ),
        )
        for f in flights
    ]
    form.flight_id.choices = choices([("", _("No flight")), *options])
    if case.hospital:
        form.pickup_time.description = _(
            "Local time at the pickup: where the flight lands for an airport pickup, where it leaves from for a "
            "ride to the airport; without a flight, the hospital's (%(zone)s).",
            zone=case.hospital.timezone,
        )


def _known_kind(kind: str) -> str:
    if kind not in operations.KINDS:
        raise NotFound(_("There is no such kind of booking."))
    return kind


def _make_form(kind: str, case: Case, booking=None) -> BookingForm:
    form = FORMS[kind](data=initial_data(kind, booking, case))
    if kind == "appointment":
        _appointment_choices(form, case, booking)
    elif kind == "transfer":
        _flight_choices(form, case, booking)
    return form


def _render_form(case_id: int, kind: str, form: BookingForm, booking_id: int | None, status: int):
    case = get_case(case_id)  # again: after a rollback the loaded case is expired
    return render_template(
        "logistics/booking_form.html",
        case=case,
        kind=kind,
        kind_label=operations.KIND_LABELS[kind],
        form=form,
        booking_id=booking_id,
    ), status


def _save(case_id: int, kind: str, form: BookingForm, booking_id: int | None):
    """Run the create or update operation with the form's details; refused: the form again with the reason."""

    def change():
        cost = operations.parse_cost(form.cost_amount.data, form.cost_currency.data)
        details = DETAILS[kind](**form.values(), cost=cost, notes=form.notes.data or "")
        if booking_id is None:
            return CREATE[kind](case_id, details, actor_id=current_user.id)
        return UPDATE[kind](booking_id, details, actor_id=current_user.id, case_id=case_id)

    done = _("%(booking)s: requested.") if booking_id is None else _("%(booking)s: saved.")
    return commit_change(
        change,
        success=lambda booking: done % {"booking": operations.booking_name(kind, booking)},
        target=url_for("logistics.list_bookings", case_id=case_id),
        on_refusal=lambda status: _render_form(case_id, kind, form, booking_id, status),
    )


@bp.route(f"/cases/<int:case_id>/bookings/{KIND}/new", methods=["GET", "POST"])
@roles_required(*BOOKING_WORKERS)
@reads_health_data(case_arg="case_id")
def create_booking(case_id: int, kind: str):
    form = _make_form(_known_kind(kind), get_case(case_id))
    if not form.validate_on_submit():
        return _render_form(case_id, kind, form, None, form_status(form))
    return _save(case_id, kind, form, None)


@bp.route(f"/cases/<int:case_id>/bookings/{KIND}/<int:booking_id>/edit", methods=["GET", "POST"])
@roles_required(*BOOKING_WORKERS)
@reads_health_data(case_arg="case_id")
def edit_booking(case_id: int, kind: str, booking_id: int):
    booking = operations.get_booking(kind, booking_id, case_id)
    form = _make_form(kind, get_case(case_id), booking)
    if not form.validate_on_submit():
        return _render_form(case_id, kind, form, booking_id, form_status(form))
    return _save(case_id, kind, form, booking_id)


# ---------------------------------------------------------------------------------------------- status changes


def _change_status(case_id: int, form, change, success):
    if not form.validate():
        flash(" ".join(str(errors[0]) for errors in form.errors.values()) or _("The form was incomplete."), "error")
        return _render_list(case_id, 422)
    return commit_change(
        change,
        success=success,
        target=url_for("logistics.list_bookings", case_id=case_id),
        on_refusal=lambda status: _render_list(case_id, status),
    )


@bp.route(f"/cases/<int:case_id>/bookings/{KIND}/<int:booking_id>/confirm", methods=["POST"])
@roles_required(*BOOKING_WORKERS)
def confirm_booking(case_id: int, kind: str, booking_id: int):
    operations.get_booking(kind, booking_id, case_id)  # a booking of another case is not found, whatever the form
    form = ConfirmBookingForm()
    return _change_status(
        case_id,
        form,
        lambda: operations.confirm_booking(
            kind, booking_id, form.supplier_reference.data, actor_id=current_user.id, case_id=case_id
        ),
        lambda booking: CONFIRMED[kind] % {"reference": booking.supplier_reference},
    )


@bp.route(f"/cases/<int:case_id>/bookings/{KIND}/<int:booking_id>/cancel", methods=["POST"])
@roles_required(*BOOKING_WORKERS)
def cancel_booking(case_id: int, kind: str, booking_id: int):
    operations.get_booking(kind, booking_id, case_id)
    form = CancelBookingForm()
    return _change_status(
        case_id,
        form,
        lambda: operations.cancel_booking(
            kind, booking_id, form.reason.data, actor_id=current_user.id, case_id=case_id
        ),
        lambda booking: str(CANCELLED[kind]),
    )

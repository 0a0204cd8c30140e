"""Forms of the bookings: one per kind, each with the cost and notes every booking has.

Times are typed as the local wall-clock time of the place (the hospital, each airport); `values()` hands the
operation plain values and `initial_data` fills a form from a stored booking in the same local terms.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from backoffice.forms import FlaskForm, choices
from backoffice.logistics.bookings.operations import PLACE_LABELS
from backoffice.logistics.models import PLACE_KINDS
from backoffice.logistics.timezones import to_local

PLACE_CHOICES = choices([("", _l("Choose")), *((kind, PLACE_LABELS[kind]) for kind in PLACE_KINDS)])


def _date(label, *, required: bool = True, description="") -> DateField:
    validators = [InputRequired(message=_l("Enter the date."))] if required else [Optional()]
    return DateField(label, validators=validators, description=description)


def _time(label, description="") -> TimeField:
    return TimeField(label, validators=[InputRequired(message=_l("Enter the time (HH:MM)."))], description=description)


def _id(value: str | None) -> int | None:
    return int(value) if value else None


class BookingForm(FlaskForm):
    """What every booking has; the kinds below add their own fields, listed in `layout` in the order shown."""

    layout: tuple[str, ...] = ()

    cost_amount = StringField(
        _l("Cost"),
        validators=[Optional(), Length(max=20)],
        description=_l("In the supplier's currency, e.g. 1240.00. Leave empty while not known."),
    )
    cost_currency = StringField(_l("Currency"), default="EUR", validators=[Optional(), Length(max=3)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    def fields_in_order(self) -> list:
        return [self[name] for name in self.layout]

    def values(self) -> dict[str, Any]:
        return {name: self[name].data for name in self.layout}


class AppointmentForm(BookingForm):
    layout = ("hospital_id", "physician_id", "programme_id", "start_on", "start_time", "admission_on", "discharge_on")

    hospital_id = SelectField(_l("Hospital"), coerce=str, validate_choice=True)
    physician_id = SelectField(_l("Physician"), coerce=str, validate_choice=True)
    programme_id = SelectField(_l("Programme"), coerce=str, validate_choice=True)
    start_on = _date(_l("Appointment date"))
    start_time = _time(_l("Time"), _l("The hospital's local time."))
    admission_on = _date(_l("Admission"), required=False, description=_l("Empty: the day of the appointment."))
    discharge_on = _date(
        _l("Expected discharge"), required=False, description=_l("Empty: after the programme's typical stay.")
    )

    def values(self) -> dict[str, Any]:
        return {
            **super().values(),
            "hospital_id": _id(self.hospital_id.data),
            "physician_id": _id(self.physician_id.data),
            "programme_id": _id(self.programme_id.data),
        }


class HotelForm(BookingForm):
    layout = ("hotel_name", "address", "phone", "check_in_on", "check_out_on", "room_type", "guests")

    hotel_name = StringField(
        _l("Hotel"), validators=[DataRequired(message=_l("Enter the hotel's name.")), Length(max=200)]
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    check_in_on = _date(_l("Check-in"))
    check_out_on = _date(_l("Check-out"))
    room_type = StringField(_l("Room type"), validators=[Optional(), Length(max=100)])
    guests = StringField(
        _l("Guests"), validators=[Optional(), Length(max=300)], description=_l("The patient and companions, by name.")
    )


class FlightForm(BookingForm):
    layout = (
        "flight_number",
        "airline",
        "from_airport",
        "to_airport",
        "departure_on",
        "departure_time",
        "arrival_on",
        "arrival_time",
        "passengers",
    )

    flight_number = StringField(
        _l("Flight number"),
        validators=[DataRequired(message=_l("Enter the flight number.")), Length(max=10)],
        description=_l("Such as EK45."),
    )
    airline = StringField(_l("Airline"), validators=[DataRequired(message=_l("Enter the airline.")), Length(max=100)])
    from_airport = StringField(
        _l("From (IATA code)"),
        validators=[DataRequired(message=_l("Enter the airport code.")), Length(max=3)],
        description=_l("Three letters, such as DXB."),
    )
    to_airport = StringField(
        _l("To (IATA code)"),
        validators=[DataRequired(message=_l("Enter the airport code.")), Length(max=3)],
        description=_l("Three letters, such as FRA."),
    )
    departure_on = _date(_l("Departure date"))
    departure_time = _time(_l("Departure time"), _l("Local time at the departure airport."))
    arrival_on = _date(_l("Arrival date"))
    arrival_time = _time(_l("Arrival time"), _l("Local time at the arrival airport."))
    passengers = StringField(
        _l("Passengers"), validators=[DataRequired(message=_l("Enter the passengers.")), Length(max=300)]
    )


class TransferForm(BookingForm):
    layout = (
        "from_kind",
        "from_place",
        "to_kind",
        "to_place",
        "pickup_on",
        "pickup_time",
        "flight_id",
        "company",
        "driver_name",
        "driver_phone",
    )

    from_kind = SelectField(_l("From"), choices=PLACE_CHOICES, validate_choice=True)
    from_place = StringField(
        _l("Pickup place"), validators=[DataRequired(message=_l("Enter the pickup place.")), Length(max=200)]
    )
    to_kind = SelectField(_l("To"), choices=PLACE_CHOICES, validate_choice=True)
    to_place = StringField(
        _l("Destination"), validators=[DataRequired(message=_l("Enter the destination.")), Length(max=200)]
    )
    pickup_on = _date(_l("Pickup date"))
    pickup_time = _time(
        _l("Pickup time"),
        _l(
            "Local time at the pickup: at the airport the flight lands at, at the airport's city for a ride to a "
            "departing flight, else at the hospital."
        ),
    )
    flight_id = SelectField(_l("Meets flight"), coerce=str, validate_choice=True)
    company = StringField(_l("Transfer company"), validators=[Optional(), Length(max=200)])
    driver_name = StringField(_l("Driver"), validators=[Optional(), Length(max=120)])
    driver_phone = StringField(_l("Driver's phone"), validators=[Optional(), Length(max=40)])

    def validate_from_kind(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose where the transfer starts."))

    def validate_to_kind(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Choose where the transfer goes."))

    def values(self) -> dict[str, Any]:
        return {**super().values(), "flight_id": _id(self.flight_id.data)}


FORMS: dict[str, type[BookingForm]] = {
    "appointment": AppointmentForm,
    "hotel": HotelForm,
    "flight": FlightForm,
    "transfer": TransferForm,
}


class ConfirmBookingForm(FlaskForm):
    supplier_reference = StringField(
        _l("Supplier's reference"),
        validators=[
            DataRequired(message=_l("Enter the supplier's reference or confirmation number.")),
            Length(max=100),
        ],
    )


class CancelBookingForm(FlaskForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(message=_l("Give the reason for cancelling.")), Length(max=500)]
    )


def _local(instant, tz_name: str):
    local = to_local(instant, tz_name)
    return local.date(), local.time().replace(second=0, microsecond=0)


def initial_data(kind: str, booking=None, case=None) -> dict[str, Any]:
    """A form's starting values: a stored booking in local terms, or for a new appointment the case's choices."""
    if booking is None:
        if kind == "appointment" and case is not None:
            return {
                "hospital_id": str(case.hospital_id or ""),
                "physician_id": str(case.physician_id or ""),
                "programme_id": str(case.programme_id or ""),
            }
        return {}
    data: dict[str, Any] = {
        "cost_amount": str(booking.cost.amount) if booking.cost else "",
        "cost_currency": booking.cost.currency if booking.cost else "EUR",
        "notes": booking.notes,
    }
    if kind == "appointment":
        start_on, start_time = _local(booking.starts_at, booking.timezone)
        data |= {
            "hospital_id": str(booking.hospital_id),
            "physician_id": str(booking.physician_id or ""),
            "programme_id": str(booking.programme_id or ""),
            "start_on": start_on,
            "start_time": start_time,
            "admission_on": booking.admission_on,
            "discharge_on": booking.discharge_on,
        }
    elif kind == "hotel":
        data |= {name: getattr(booking, name) for name in HotelForm.layout}
    elif kind == "flight":
        departure_on, departure_time = _local(booking.departs_at, booking.departure_tz)
        arrival_on, arrival_time = _local(booking.arrives_at, booking.arrival_tz)
        data |= {name: getattr(booking, name) for name in ("flight_number", "airline", "passengers")}
        data |= {
            "from_airport": booking.from_airport,
            "to_airport": booking.to_airport,
            "departure_on": departure_on,
            "departure_time": departure_time,
            "arrival_on": arrival_on,
            "arrival_time": arrival_time,
        }
    else:
        pickup_on, pickup_time = _local(booking.pickup_at, booking.timezone)
        data |= {
            name: getattr(booking, name)
            for name in ("from_kind", "from_place", "to_kind", "to_place", "company", "driver_name", "driver_phone")
        }
        data |= {"pickup_on": pickup_on, "pickup_time": pickup_time, "flight_id": str(booking.flight_id or "")}
    return data

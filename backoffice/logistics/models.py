"""Bookings around a treatment (hospital appointment, hotel, flights, transfers, interpreters) and follow-ups.

Instants are stored in UTC with the IANA time zone they are shown in (the hospital's, an airport's); dates that
are local by nature (hotel nights, admission, follow-ups) are plain dates.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.extensions import db
from backoffice.money import Amount, Money, money_composite

BOOKING_STATUSES = ("requested", "confirmed", "cancelled")
PLACE_KINDS = ("airport", "hotel", "hospital", "other")
FOLLOW_UP_STATUSES = ("due", "done", "cancelled")


class Booking:
    """What every booking has: its case, a status, the supplier's reference, a cost and notes."""

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    supplier_reference: Mapped[str] = mapped_column(String(100), default="")
    cost_amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @declared_attr
    def case_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("cases.id"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id"))

    @declared_attr
    def cost(cls) -> Mapped[Money | None]:
        return money_composite(cls.cost_amount, cls.cost_currency)

    @declared_attr.directive
    def __table_args__(cls):
        return (
            CheckConstraint(f"status IN ({', '.join(repr(s) for s in BOOKING_STATUSES)})", name="status"),
            CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name="cost_not_negative"),
            *getattr(cls, "__extra_table_args__", ()),
        )

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"


class HospitalAppointment(Booking, db.Model):
    """The treatment appointment; once the hospital confirms it, the case may move to travel_booked."""

    __tablename__ = "hospital_appointments"

    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("physicians.id"))
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))  # the hospital's
    admission_on: Mapped[date]
    discharge_on: Mapped[date]  # expected

    __extra_table_args__ = (
        CheckConstraint("discharge_on >= admission_on", name="discharge_after_admission"),
        # One appointment of a case is in play at a time (two coordinators creating one at once: one wins).
        Index(
            "uq_hospital_appointments_case_in_play",
            "case_id",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )

    hospital: Mapped[Hospital] = relationship(lazy="raise")
    physician: Mapped[Physician | None] = relationship(lazy="raise")
    programme: Mapped[Programme | None] = relationship(lazy="raise")


class HotelStay(Booking, db.Model):
    __tablename__ = "hotel_stays"

    hotel_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    check_in_on: Mapped[date]
    check_out_on: Mapped[date]
    room_type: Mapped[str] = mapped_column(String(100), default="")
    guests: Mapped[str] = mapped_column(String(300), default="")  # the patient and companions, by name

    __extra_table_args__ = (CheckConstraint("check_out_on > check_in_on", name="check_out_after_check_in"),)


class Flight(Booking, db.Model):
    """One flight segment; the booking reference is the supplier reference."""

    __tablename__ = "flights"

    passengers: Mapped[str] = mapped_column(String(300))
    airline: Mapped[str] = mapped_column(String(100))
    flight_number: Mapped[str] = mapped_column(String(10))
    from_airport: Mapped[str] = mapped_column(String(3))  # IATA
    to_airport: Mapped[str] = mapped_column(String(3))
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime)
    departure_tz: Mapped[str] = mapped_column(String(64))
    arrives_at: Mapped[datetime] = mapped_column(UTCDateTime)
    arrival_tz: Mapped[str] = mapped_column(String(64))

    __extra_table_args__ = (CheckConstraint("arrives_at > departs_at", name="arrives_after_departure"),)


class Transfer(Booking, db.Model):
    """A ride between airport, hotel and hospital; an airport pickup names the flight it meets."""

    __tablename__ = "transfers"

    from_kind: Mapped[str] = mapped_column(String(10))
    from_place: Mapped[str] = mapped_column(String(200))
    to_kind: Mapped[str] = mapped_column(String(10))
    to_place: Mapped[str] = mapped_column(String(200))
    pickup_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    company: Mapped[str] = mapped_column(String(200), default="")
    driver_name: Mapped[str] = mapped_column(String(120), default="")
    driver_phone: Mapped[str] = mapped_column(String(40), default="")
    flight_id: Mapped[int | None] = mapped_column(ForeignKey("flights.id"), index=True)

    __extra_table_args__ = (
        CheckConstraint(f"from_kind IN ({', '.join(repr(k) for k in PLACE_KINDS)})", name="from_kind"),
        CheckConstraint(f"to_kind IN ({', '.join(repr(k) for k in PLACE_KINDS)})", name="to_kind"),
    )

    flight: Mapped[Flight | None] = relationship(lazy="raise")


class Interpreter(db.Model):
    """An interpreter of the directory, booked for appointments in the languages they offer."""

    __tablename__ = "interpreters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO 639-1
    hourly_rate_amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    hourly_rate_currency: Mapped[str | None] = mapped_column(String(3))
    hourly_rate: Mapped[Money | None] = money_composite(hourly_rate_amount, hourly_rate_currency)
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by every booking of this interpreter: the row lock that makes the overlap check atomic.
    booking_counter: Mapped[int] = mapped_column(Integer, default=0)


class InterpreterBooking(Booking, db.Model):
    __tablename__ = "interpreter_bookings"

    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreters.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))

    __extra_table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_interpreter_bookings_interpreter_starts_at", "interpreter_id", "starts_at"),
    )

    interpreter: Mapped[Interpreter] = relationship(lazy="raise")


class FollowUp(db.Model):
    """A follow-up examination after discharge, generated from the programme's schedule."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("case_id", "position"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in FOLLOW_UP_STATUSES)})", name="status"),
        Index("ix_follow_ups_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int]
    due_on: Mapped[date]
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="due")
    result: Mapped[str] = mapped_column(Text, default="")
    done_on: Mapped[date | None]
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    done_by: Mapped[User | None] = relationship(lazy="raise")


class CalendarFeed(db.Model):
    """A coordinator's personal calendar feed: the secret token in the URL is the only key; revoking ends it."""

    __tablename__ = "calendar_feeds"
    # A coordinator has one working feed address at a time.
    __table_args__ = (
        Index(
            "uq_calendar_feeds_user_working",
            "user_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

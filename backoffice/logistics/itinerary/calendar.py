"""Calendars: a case's itinerary as an .ics file, and each coordinator's personal feed of their cases.

Events carry a UID stable per booking ("flight-12@backoffice"), so a calendar that imports the file again or
refreshes the feed updates an event instead of duplicating it. Times carry their place's zone (TZID with the
VTIMEZONE it needs). Cancelled bookings are left out: a subscribed calendar drops an event that disappears from the
feed, and a one-off import must not show a trip that will not happen. Requested bookings are TENTATIVE.

The personal feed is reached by a secret URL, because calendar apps cannot sign in. Only the SHA-256 of the token
is stored: a leaked database or backup gives no working feed URL. The URL is therefore shown once, when it is made;
making a new one revokes the old one, and revoking ends it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event, vText
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backoffice.auth.models import User
from backoffice.auth.permissions import CARE_COORDINATORS
from backoffice.cases.models import OPEN_STATES, Case
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.logistics.itinerary.items import (
    AppointmentItem,
    FlightItem,
    HotelItem,
    InterpreterItem,
    Item,
    Itinerary,
    TransferItem,
)
from backoffice.logistics.itinerary.loading import appointment_item, flight_item, interpreter_item, transfer_item
from backoffice.logistics.models import CalendarFeed, Flight, HospitalAppointment, InterpreterBooking, Transfer
from backoffice.logistics.timezones import to_local
from backoffice.text import clean_line, clean_text
from backoffice.trail import record_event

PRODID = "-//Back office//Itinerary//EN"
UID_DOMAIN = "backoffice"
APPOINTMENT_LENGTH = timedelta(hours=1)
TRANSFER_LENGTH = timedelta(hours=1)
FEED_PAST = timedelta(days=30)
FEED_ROLES = CARE_COORDINATORS


class CalendarFeedError(DomainError):
    pass


# ---------------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class CalendarEvent:
    """What one VEVENT says, before it is written."""

    uid: str
    summary: str
    start: datetime | date
    end: datetime | date
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"
    last_modified: datetime | None = None


def _status(item: Item) -> str:
    return "CONFIRMED" if item.status == "confirmed" else "TENTATIVE"


def _lines(*pairs: tuple[str, str]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value)


def item_event(item: Item, *, prefix: str = "", with_names: bool = True) -> CalendarEvent:
    """The event of one booking. `with_names=False` leaves out people's names and medical details (the feed)."""
    uid = f"{item.uid}@{UID_DOMAIN}"
    start = to_local(item.starts_at, item.tz)
    reference = ("Reference", item.supplier_reference)
    if isinstance(item, AppointmentItem):
        details = [("Hospital", item.hospital_name), reference]
        if with_names:
            details[1:1] = [("Physician", item.physician_name), ("Programme", item.programme_name)]
        return CalendarEvent(
            uid,
            f"{prefix}Hospital appointment, {item.hospital_name}",
            start,
            start + APPOINTMENT_LENGTH,
            location=dict(item.details).get("Address", item.hospital_name),
            description=_lines(*details),
            status=_status(item),
        )
    if isinstance(item, FlightItem):
        return CalendarEvent(
            uid,
            f"{prefix}Flight {item.flight_number} {item.from_airport.code} → {item.to_airport.code}",
            start,
            to_local(item.arrives_at, item.arrival_tz),
            location=f"{item.from_airport.name} ({item.from_airport.code})",
            description=_lines(
                ("Airline", item.airline),
                ("From", f"{item.from_airport.name} ({item.from_airport.code})"),
                ("To", f"{item.to_airport.name} ({item.to_airport.code})"),
                ("Passengers", item.passengers if with_names else ""),
                ("Booking reference", item.supplier_reference),
            ),
            status=_status(item),
        )
    if isinstance(item, TransferItem):
        return CalendarEvent(
            uid,
            f"{prefix}Transfer {item.from_place} → {item.to_place}",
            start,
            start + TRANSFER_LENGTH,
            location=item.from_place,
            description=_lines(
                ("Company", item.company),
                ("Driver", " ".join(p for p in (item.driver_name, item.driver_phone) if p)),
                reference,
            ),
            status=_status(item),
        )
    if isinstance(item, InterpreterItem):
        return CalendarEvent(
            uid,
            f"{prefix}Interpreter {item.interpreter_name} ({item.language})",
            start,
            to_local(item.ends_at, item.tz) if item.ends_at else start + APPOINTMENT_LENGTH,
            location=item.place,
            description=_lines(("Phone", item.interpreter_phone), reference),
            status=_status(item),
        )
    if isinstance(item, HotelItem):
        # All-day, from the check-in date to the check-out date (DTEND of a date is exclusive in iCalendar).
        return CalendarEvent(
            uid,
            f"{prefix}Hotel {item.hotel_name}",
            item.check_in_on,
            item.check_out_on,
            location=item.address or item.hotel_name,
            description=_lines(("Phone", item.phone), ("Room", item.room_type), reference),
            status=_status(item),
        )
    raise TypeError(f"no calendar event for {type(item).__name__}")


def _ical_time(value: datetime | date) -> datetime | date:
    """A local time with its TZID, except the second occurrence of a time repeated when the clocks go back.

    RFC 5545 reads a repeated local time as its first occurrence, so the second one is written in UTC.
    """
    if isinstance(value, datetime) and value.fold == 1 and value.replace(fold=0).utcoffset() != value.utcoffset():
        return value.astimezone(UTC)
    return value


def build_calendar(events: Iterable[CalendarEvent], *, name: str, now: datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) document with the VTIMEZONEs its events use.

    Every text is written as an escaped TEXT value (backslash, comma, semicolon, line breaks as `\\n`) without
    control characters, and lines are folded at 75 octets between characters: no stored value can end a line or a
    property early, whatever it holds (a name typed with a line break, 10,000 characters, any script).
    """
    now = now or utcnow()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", vText(clean_line(name)))  # an X- property is not escaped unless typed as TEXT
    days: list[date] = []
    for spec in events:
        event = Event()
        event.add("uid", spec.uid)
        event.add("dtstamp", now)
        event.add("dtstart", _ical_time(spec.start))
        event.add("dtend", _ical_time(spec.end))
        event.add("summary", vText(clean_line(spec.summary)))
        if spec.location:
            event.add("location", vText(clean_line(spec.location)))
        if spec.description:
            event.add("description", vText(clean_text(spec.description)))
        event.add("status", spec.status)
        calendar.add_component(event)
        days += [value if not isinstance(value, datetime) else value.date() for value in (spec.start, spec.end)]
    if days:
        # Zone rules only for the years the events span: the file stays small.
        calendar.add_missing_timezones(
            first_date=date(max(min(days).year - 1, 1), 1, 1), last_date=date(min(max(days).year + 2, 9999), 1, 1)
        )
    return calendar.to_ical()


def itinerary_ics(itinerary: Itinerary) -> bytes:
    """The case's bookings that are not cancelled, hotels as all-day events."""
    events = [item_event(item) for item in itinerary.active_items]
    return build_calendar(events, name=f"Itinerary {itinerary.case_number} — {itinerary.patient_name}")


# ---------------------------------------------------------------------------------------------- the personal feed


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_feed(user_id: int) -> CalendarFeed | None:
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc())
        .limit(1)
    )


def _revoke_all(user_id: int) -> list[int]:
    now, revoked = utcnow(), []
    feeds = db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
    ).all()
    for feed in feeds:
        feed.revoked_at = now
        revoked.append(feed.id)
    return revoked


def create_feed(user_id: int, *, actor_id: int) -> tuple[CalendarFeed, str]:
    """A new personal feed for a coordinator or admin; any earlier one stops working. Returns (feed, token).

    The token is returned once and only its SHA-256 is stored.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in FEED_ROLES:
        raise CalendarFeedError(_("Only active coordinators and administrators have a calendar feed."))
    replaced = _revoke_all(user_id)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user_id, token=_digest(token), created_at=utcnow())
    db.session.add(feed)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CalendarFeedError(_("A new feed address was made at the same moment; reload the page.")) from None
    record_event(
        "calendar_feed_created",
        actor_id=actor_id,
        object_type="user",
        object_id=user_id,
        details={"feed_id": feed.id, **({"replaced_feeds": replaced} if replaced else {})},
    )
    return feed, token


def revoke_feed(user_id: int, *, actor_id: int) -> list[int]:
    """End the user's feed: its URL answers 404 from now on."""
    revoked = _revoke_all(user_id)
    if not revoked:
        raise CalendarFeedError(_("There is no calendar feed to revoke."))
    db.session.flush()
    record_event(
        "calendar_feed_revoked", actor_id=actor_id, object_type="user", object_id=user_id, details={"feeds": revoked}
    )
    return revoked


def feed_owner(token: str) -> User | None:
    """The active user whose feed this token opens, or None (unknown, revoked, deactivated)."""
    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token == _digest(token), CalendarFeed.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user = row[1]
    return user if user.active and user.role in FEED_ROLES else None


def feed_ics(user: User, *, now: datetime | None = None) -> bytes:
    """Appointments, flights, transfers and interpreter bookings of the open cases `user` coordinates.

    From 30 days back on; cancelled bookings left out. The events name the case number but no patient and no
    medical detail: the feed is fetched by outside calendar services with nothing but the URL.
    """
    now = now or utcnow()
    since = now - FEED_PAST
    events: list[CalendarEvent] = []

    def rows(model, start_column, *options):
        query = (
            select(model, Case.number)
            .join(Case, Case.id == model.case_id)
            .where(
                Case.coordinator_id == user.id,
                Case.state.in_(OPEN_STATES),
                model.status != "cancelled",
                start_column,
            )
            .options(*options)
        )
        return db.session.execute(query).all()

    for row, number in rows(
        HospitalAppointment,
        HospitalAppointment.starts_at >= since,
        joinedload(HospitalAppointment.hospital),
        joinedload(HospitalAppointment.physician),
        joinedload(HospitalAppointment.programme),
    ):
        events.append(item_event(appointment_item(row), prefix=f"{number} · ", with_names=False))
    for row, number in rows(Flight, or_(Flight.departs_at >= since, Flight.arrives_at >= since)):
        events.append(item_event(flight_item(row), prefix=f"{number} · ", with_names=False))
    for row, number in rows(Transfer, Transfer.pickup_at >= since):
        events.append(item_event(transfer_item(row), prefix=f"{number} · ", with_names=False))
    for row, number in rows(
        InterpreterBooking, InterpreterBooking.ends_at >= since, joinedload(InterpreterBooking.interpreter)
    ):
        events.append(item_event(interpreter_item(row), prefix=f"{number} · ", with_names=False))
    events.sort(key=lambda event: (event.start, event.uid))
    return build_calendar(events, name=f"Back office — {user.name}", now=now)

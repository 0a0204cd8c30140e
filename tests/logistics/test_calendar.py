"""Calendars: a case's itinerary as .ics (parsed back), and each coordinator's personal feed behind a secret URL."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.logistics.itinerary import calendar
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.logistics.models import CalendarFeed
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_user
from tests.logistics.factories import local, make_appointment, make_flight, make_transfer
from tests.logistics.test_itinerary import ADMISSION, ARRIVAL_DAY, make_trip


def events_of(body: bytes) -> dict[str, object]:
    parsed = Calendar.from_ical(body)
    assert str(parsed["VERSION"]) == "2.0" and str(parsed["PRODID"]) == calendar.PRODID
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def utc(value) -> datetime:
    return value.astimezone(UTC)


# ---------------------------------------------------------------------------------------------- a case's .ics


def test_the_itinerary_ics_parses_back_with_one_event_per_booking_at_the_right_instants(users):
    trip = make_trip()
    trip.drop_off.status = "cancelled"
    trip.hotels[1].status = "requested"
    db.session.flush()
    events = events_of(calendar.itinerary_ics(load_itinerary(trip.case.id)))
    # 9 bookings, one cancelled: left out.
    assert len(events) == 8 and f"transfer-{trip.drop_off.id}@backoffice" not in events

    flight = events[f"flight-{trip.inbound.id}@backoffice"]
    assert utc(flight.decoded("DTSTART")) == datetime(2027, 5, 9, 22, 40, tzinfo=UTC)  # 02:40 in Dubai
    assert utc(flight.decoded("DTEND")) == datetime(2027, 5, 10, 5, 5, tzinfo=UTC)  # 07:05 in Frankfurt
    assert flight["DTSTART"].params["TZID"] == "Asia/Dubai" and flight["DTEND"].params["TZID"] == "Europe/Berlin"
    assert str(flight["SUMMARY"]) == "Flight EK45 DXB → FRA" and "ABC123" in str(flight["DESCRIPTION"])
    assert str(flight["STATUS"]) == "CONFIRMED"

    appointment = events[f"appointment-{trip.appointment.id}@backoffice"]
    assert utc(appointment.decoded("DTSTART")) == datetime(2027, 5, 12, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert str(appointment["LOCATION"]) == "Musterstraße 1, 60311 Frankfurt am Main"

    pickup = events[f"transfer-{trip.pickup.id}@backoffice"]
    assert utc(pickup.decoded("DTSTART")) == trip.pickup.pickup_at
    assert "+49 170 555" in str(pickup["DESCRIPTION"])

    hotel = events[f"hotel-{trip.hotels[1].id}@backoffice"]
    assert hotel.decoded("DTSTART") == date(2027, 5, 26) and hotel.decoded("DTEND") == date(2027, 5, 28)
    assert str(hotel["STATUS"]) == "TENTATIVE"


def test_event_uids_stay_the_same_from_one_download_to_the_next(users):
    trip = make_trip()
    first = set(events_of(calendar.itinerary_ics(load_itinerary(trip.case.id))))
    trip.pickup.pickup_at = local(ARRIVAL_DAY, 8, 15)
    db.session.flush()
    assert set(events_of(calendar.itinerary_ics(load_itinerary(trip.case.id)))) == first


def test_times_across_a_dst_change_keep_their_instants(users):
    case = make_case()
    spring = make_flight(  # lands 01:30 CET on the night the clocks go forward
        case, departs_at=local(date(2027, 3, 27), 21, 0, "Asia/Dubai"), arrives_at=local(date(2027, 3, 28), 1, 30)
    )
    pickup = make_transfer(case, pickup_at=local(date(2027, 3, 28), 3, 15), flight=spring)  # 03:15 CEST
    autumn = make_transfer(case, pickup_at=datetime(2027, 10, 31, 1, 30, tzinfo=UTC))  # the second 02:30 (CET)
    events = events_of(calendar.itinerary_ics(load_itinerary(case.id)))
    assert utc(events[f"flight-{spring.id}@backoffice"].decoded("DTEND")) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)
    assert utc(events[f"transfer-{pickup.id}@backoffice"].decoded("DTSTART")) == datetime(
        2027, 3, 28, 1, 15, tzinfo=UTC
    )
    assert utc(events[f"transfer-{autumn.id}@backoffice"].decoded("DTSTART")) == datetime(
        2027, 10, 31, 1, 30, tzinfo=UTC
    )


def test_coordinator_downloads_the_ics_and_the_download_is_audited(users, as_role):
    trip = make_trip()
    db.session.commit()
    response = as_role("coordinator").get(f"/cases/{trip.case.id}/itinerary.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert f'filename="itinerary-{trip.case.number}.ics"' in response.headers["Content-Disposition"]
    assert len(events_of(response.data)) == 9
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "itinerary_ics_downloaded"))
    assert event.actor_id == users["coordinator"].id and event.details["number"] == trip.case.number


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_do_not_download_the_ics(users, as_role, role):
    trip = make_trip()
    db.session.commit()
    assert as_role(role).get(f"/cases/{trip.case.id}/itinerary.ics").status_code == 403


# ---------------------------------------------------------------------------------------------- the personal feed


@pytest.fixture
def calendar_app(app):
    """A client without any session, as a calendar app fetching the feed (the signed-in `client` is separate)."""
    return app.test_client()


def make_feed(client) -> str:
    """Make a feed through the page; the path of its URL, shown once in the answer."""
    response = client.post("/calendar/feed/new")
    assert response.status_code == 200
    match = re.search(r'value="http://localhost(/calendar/[A-Za-z0-9_-]{40,}\.ics)"', response.get_data(as_text=True))
    assert match, "the new feed URL is shown"
    return match.group(1)


def test_a_coordinators_feed_has_their_open_cases_appointments_flights_and_transfers(users, as_role, calendar_app):
    mine = make_trip(coordinator=users["coordinator"], patient_name="Amal Haddad")
    theirs = make_trip(coordinator=make_user("coordinator"))
    closed = make_case(coordinator=users["coordinator"], state="cancelled")
    make_appointment(closed, hospital=mine.hospital, admission_on=ADMISSION)
    old = make_case(coordinator=users["coordinator"], state="aftercare")
    long_ago = utcnow() - timedelta(days=40)
    make_flight(old, departs_at=long_ago, arrives_at=long_ago + timedelta(hours=6))
    db.session.commit()
    path = make_feed(as_role("coordinator"))

    response = calendar_app.get(path)  # no session: calendar apps cannot sign in
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = events_of(response.data)
    expected = {
        f"appointment-{mine.appointment.id}",
        f"flight-{mine.inbound.id}",
        f"flight-{mine.outbound.id}",
        f"transfer-{mine.pickup.id}",
        f"transfer-{mine.drop_off.id}",
        f"transfer-{mine.to_hospital.id}",
        f"interpreter-{mine.interpreter_booking.id}",
    }
    assert set(events) == {f"{uid}@backoffice" for uid in expected}
    summary = str(events[f"flight-{mine.inbound.id}@backoffice"]["SUMMARY"])
    assert summary == f"{mine.case.number} · Flight EK45 DXB → FRA"
    body = response.get_data(as_text=True)
    assert "Amal Haddad" not in body and "Dr. Anna Weber" not in body and "Stem cell" not in body
    assert theirs.case.number not in body


def test_the_feed_runs_a_fixed_number_of_statements(users, as_role, calendar_app, count_queries):
    path = make_feed(as_role("coordinator"))
    counts = []
    for _ in range(2):
        with count_queries() as statements:
            assert calendar_app.get(path).status_code == 200
        counts.append(len(statements))
        make_trip(coordinator=users["coordinator"])
        db.session.commit()
    assert counts[0] == counts[1] == 5  # the feed and its owner, then one per kind of booking


def test_the_feed_url_is_shown_once_and_only_its_hash_is_stored(users, as_role):
    client = as_role("coordinator")
    path = make_feed(client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == users["coordinator"].id))
    assert feed.token == hashlib.sha256(token.encode()).hexdigest() and token not in feed.token
    page = client.get("/calendar/feed").get_data(as_text=True)
    assert token not in page and "Active" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_feed_created"))
    assert event.actor_id == users["coordinator"].id and event.object_id == str(users["coordinator"].id)


def test_a_revoked_feed_is_404_and_the_revocation_is_audited(users, as_role, calendar_app):
    coordinator = as_role("coordinator")
    path = make_feed(coordinator)
    assert calendar_app.get(path).status_code == 200
    response = coordinator.post("/calendar/feed/revoke")
    assert response.status_code == 302
    assert calendar_app.get(path).status_code == 404
    assert "You have no calendar feed." in coordinator.get("/calendar/feed").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "calendar_feed_revoked")) is not None
    assert coordinator.post("/calendar/feed/revoke").status_code == 422  # nothing left to revoke


def test_a_new_feed_url_replaces_the_old_one(users, as_role, calendar_app):
    coordinator = as_role("coordinator")
    old, new = make_feed(coordinator), make_feed(coordinator)
    assert old != new
    assert calendar_app.get(old).status_code == 404 and calendar_app.get(new).status_code == 200


def test_unknown_tokens_are_404(users, calendar_app):
    assert calendar_app.get("/calendar/not-a-token.ics").status_code == 404
    assert calendar_app.get(f"/calendar/{'x' * 43}.ics").status_code == 404
    assert calendar_app.get(f"/calendar/{'x' * 500}.ics").status_code == 404


def test_the_feed_of_a_deactivated_user_is_404(users, as_role, calendar_app):
    path = make_feed(as_role("coordinator"))
    users["coordinator"].active = False
    db.session.commit()
    assert calendar_app.get(path).status_code == 404


def test_making_a_feed_needs_the_csrf_token(users, as_role):
    response = as_role("coordinator").post("/calendar/feed/new", csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(CalendarFeed)) is None


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_only_coordinators_and_admins_manage_a_feed(users, as_role, role):
    client = as_role(role)
    assert client.get("/calendar/feed").status_code == 403
    assert client.post("/calendar/feed/new").status_code == 403
    assert db.session.scalar(select(CalendarFeed)) is None


def test_admins_have_a_feed_page_too(users, as_role):
    page = as_role("admin").get("/calendar/feed")
    assert page.status_code == 200 and "Make my calendar feed" in page.get_data(as_text=True)


def test_no_stored_text_can_break_the_ics_it_is_folded_and_escaped_per_rfc_5545(users, as_role):
    """A name stored with a line break, control characters, bidi overrides, any script or 10,000 characters."""
    trip = make_trip(patient_name="Ann\r\nLee\x1b[31m\x85 \u202eevil\u202c СЧЁТ مريم 王小明 😀; a, b\\")
    trip.hotels[0].room_type = "Suite\r\nEND:VEVENT\r\nBEGIN:VEVENT"
    db.session.commit()
    response = as_role("coordinator").get(f"/cases/{trip.case.id}/itinerary.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    body = response.data
    lines = body.split(b"\r\n")
    assert lines[-1] == b"" and all(len(line) <= 75 for line in lines)  # folded at 75 octets
    assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", body.replace(b"\r\n", b"")), "a control character is left"
    body.decode("utf-8")  # folding never splits a character
    parsed = Calendar.from_ical(body)
    assert "Ann Lee" in str(parsed["X-WR-CALNAME"]) and "СЧЁТ مريم 王小明 😀" in str(parsed["X-WR-CALNAME"])
    hotel = next(event for event in parsed.walk("VEVENT") if str(event["UID"]).startswith("hotel-"))
    assert "Room: Suite\nEND:VEVENT\nBEGIN:VEVENT" in str(hotel["DESCRIPTION"])  # text, escaped: not a new event
    assert lines.count(b"BEGIN:VEVENT") == len(parsed.walk("VEVENT"))
    assert response.headers["Content-Disposition"] == f'attachment; filename="itinerary-{trip.case.number}.ics"'

    long = calendar.CalendarEvent(
        "x@backoffice", "ю" * 10_000, date(2027, 5, 1), date(2027, 5, 2), description="я" * 10
    )
    folded = calendar.build_calendar([long], name="Ann\rLee")
    assert all(len(line) <= 75 for line in folded.split(b"\r\n"))
    assert str(Calendar.from_ical(folded).walk("VEVENT")[0]["SUMMARY"]) == "ю" * 10_000

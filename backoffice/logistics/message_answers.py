"""Logistics' answers to `messages.signals`: the interpreters booked for the case as people to write to, and the
itinerary PDF as a file to attach.

The itinerary names the programme and whether a medical clearance is pending: it is health data, so it goes only to
the case's patient, physician or hospital. An interpreter is written to at the address in the interpreter directory;
hotels have no address on record (the coordinator types one).
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select, union_all
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.logistics.itinerary.document import render_itinerary_pdf
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, InterpreterBooking, Transfer
from backoffice.messages import signals
from backoffice.messages.signals import Attachable, Contact


@signals.case_contacts.connect
def booked_interpreters(case: Case) -> list[Contact]:
    """Each interpreter with a booking on the case that is not cancelled, and an email address (one statement)."""
    bookings = db.session.scalars(
        select(InterpreterBooking)
        .where(InterpreterBooking.case_id == case.id, InterpreterBooking.status != "cancelled")
        .options(joinedload(InterpreterBooking.interpreter))
        .order_by(InterpreterBooking.starts_at)
    ).all()
    contacts: dict[int, Contact] = {}
    for booking in bookings:
        interpreter = booking.interpreter
        if interpreter.email and interpreter.id not in contacts:
            language = "de" if "de" in interpreter.languages else "en"
            contacts[interpreter.id] = Contact(
                f"interpreter:{interpreter.id}", "interpreter", interpreter.name, interpreter.email, language
            )
    return list(contacts.values())


def _has_bookings(case_id: int) -> bool:
    """Whether anything is booked (not cancelled) for the case: an itinerary worth sending (one statement)."""
    kinds = (HospitalAppointment, HotelStay, Flight, Transfer, InterpreterBooking)
    booked = union_all(*(select(kind.id).where(kind.case_id == case_id, kind.status != "cancelled") for kind in kinds))
    return bool(db.session.scalar(select(exists(booked.subquery().select()))))


@signals.case_attachables.connect
def itinerary_file(case: Case) -> list[Attachable]:
    """The itinerary PDF, once something is booked; rendered only when it is attached."""
    if not _has_bookings(case.id):
        return []
    return [
        Attachable(
            key="itinerary",
            label=_("Itinerary (PDF)"),
            filename=f"itinerary-{case.number}.pdf",
            content_type="application/pdf",
            health_data=True,
            source="itinerary",
            load=lambda: render_itinerary_pdf(load_itinerary(case.id)),
        )
    ]

"""Sending the itinerary to the patient: a coordinator's action, "itinerary ready" the first time, "changed" after.

The mail carries the portal link and no detail of the journey (mail crosses servers we do not control); the patient's
PDF goes with it only when the coordinator ticks "attach the PDF" (then it is health data: the hospital appointment
is in it, and it goes to the patient's own address only). An itinerary with open problems is not sent: the same
findings the PDF warns about are the coordinator's to resolve first.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import exists, select

from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.logistics.itinerary import pickup_buffer
from backoffice.logistics.itinerary.document import render_itinerary_pdf
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.items import Itinerary
from backoffice.logistics.itinerary.loading import load_itinerary, local_today
from backoffice.messages import automatic, kinds
from backoffice.messages.models import Message
from backoffice.messages.operations import OutgoingAttachment
from backoffice.patients.models import Patient

KINDS = ("itinerary_ready", "itinerary_changed")


class ItineraryNotSent(DomainError):
    """The itinerary cannot go to the patient as it is; the message says what to do first."""


def open_problems(itinerary: Itinerary) -> list:
    """The findings of the itinerary that are problems (not mere notes), with the configured pickup buffer."""
    findings = find_problems(itinerary, pickup_buffer=pickup_buffer(), today=local_today(itinerary))
    return [finding for finding in findings if finding.is_problem]


def send_itinerary(case_id: int, *, attach_pdf: bool, actor_id: int) -> tuple[str, Message | None, bool]:
    """Mail the patient that the itinerary is ready (or, once it was sent, that it changed): (the kind, the message or
    None when an administrator switched that kind off, whether the PDF went with it). Written on the case's timeline;
    flushes, the caller commits.

    Refused while the itinerary has open problems or the patient has no email address.
    """
    itinerary = load_itinerary(case_id)
    problems = open_problems(itinerary)
    if problems:
        raise ItineraryNotSent(
            _(
                "The itinerary has %(count)d open problem(s); resolve them before it goes to the patient: %(problems)s",
                count=len(problems),
                problems="; ".join(finding.message for finding in problems),
            )
        )
    case = db.session.get(Case, case_id)
    patient = db.session.get(Patient, case.patient_id)
    if not (patient.email or "").strip():
        raise ItineraryNotSent(
            _("Record %(name)s's email address first: the itinerary goes to it by mail.", name=patient.name)
        )
    sent_before = db.session.scalar(
        select(exists().where(Message.case_id == case_id, Message.kind.in_(KINDS), Message.direction == "outbound"))
    )
    kind = "itinerary_changed" if sent_before else "itinerary_ready"
    attachments = []
    if attach_pdf and kinds.is_on(kind):
        attachments.append(
            OutgoingAttachment(
                filename=f"itinerary-{itinerary.case_number}.pdf",
                content_type="application/pdf",
                content=render_itinerary_pdf(itinerary),
                health_data=True,  # the hospital appointment is in it
                source="itinerary",
            )
        )
    message = automatic.send(
        kind,
        to=patient.email,
        language=patient.preferred_language,
        case_id=case_id,
        actor_id=actor_id,
        attachments=attachments,
        name=" ".join(patient.name.split()),
        case_number=itinerary.case_number,
        attached=bool(attachments),
        portal_link=automatic.public_link("portal.index"),
    )
    label = kinds.KINDS[kind].label
    if message is None:
        note = f"“{label}” mail not sent: switched off by an administrator"
    else:
        note = f"“{label}” mailed to the patient ({message.to_addresses})" + (" with the PDF" if attachments else "")
    record_case_event(case, "itinerary", actor_id, note=note)
    return kind, message, bool(attachments)

"""Opening a case by hand (a call, an e-mail, a referral): contacts we already know, and paused destinations.

A coordinator who types in an email or phone number another patient already has is told so before anything is
stored, and chooses: open the case for that patient, or for a new patient record anyway (a relative may share an
address). A request from the public form is never refused or told about it (that would reveal who is a patient);
the coordinator sees the same warning on the new case instead. A destination whose intake is paused needs a
reason to be overridden, written on the case's timeline.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.cases.operations import CaseError, open_case, open_case_for_new_patient, record_case_event
from backoffice.directory.operations import paused_countries
from backoffice.extensions import db
from backoffice.geo import country_name
from backoffice.patients.models import Patient, phone_digits
from backoffice.patients.restriction import not_erased

# Fewer digits than this are not a phone number worth matching on (an extension, a typo).
MIN_PHONE_DIGITS = 6
MAX_MATCHES = 10


@dataclass
class KnownPatient:
    """A patient who already has the email or phone number just entered, with their cases (newest first)."""

    patient: Patient
    same_email: bool
    same_phone: bool
    cases: list[Case] = field(default_factory=list)

    @property
    def what(self) -> str:
        return " and ".join(w for w, same in (("email", self.same_email), ("phone number", self.same_phone)) if same)


class ContactAlreadyKnown(CaseError):
    """Another patient has this email or phone; the coordinator must choose that patient or a new record."""

    status_code = 409

    def __init__(self, matches: list[KnownPatient]):
        self.matches = matches
        names = ", ".join(match.patient.name for match in matches)
        super().__init__(
            _(
                "The email or phone number is already known (%(names)s). Open the case for that patient, or for a "
                "new patient record if it is someone else.",
                names=names,
            )
        )


class DestinationPausedForStaff(CaseError):
    status_code = 422


def patients_sharing_contact(email: str, phone: str, *, exclude_patient_id: int | None = None) -> list[KnownPatient]:
    """Patients with this email (any case) or this phone's digits, each with their cases. Two statements. An erased
    patient is never one of them: their record is restricted, and a new case is not opened for it."""
    email = (email or "").strip().lower()
    digits = phone_digits(phone)
    conditions = [Patient.email == email] if "@" in email else []
    if len(digits) >= MIN_PHONE_DIGITS:
        conditions.append(Patient.phone_digits == digits)
    if not conditions:
        return []
    query = select(Patient).where(or_(*conditions), not_erased()).order_by(Patient.id).limit(MAX_MATCHES)
    if exclude_patient_id is not None:
        query = query.where(Patient.id != exclude_patient_id)
    matches = {
        patient.id: KnownPatient(patient, patient.email == email, bool(digits) and patient.phone_digits == digits)
        for patient in db.session.scalars(query)
    }
    if matches:
        cases: dict[int, list[Case]] = defaultdict(list)
        for case in db.session.scalars(
            select(Case).where(Case.patient_id.in_(matches)).order_by(Case.requested_at.desc(), Case.id.desc())
        ):
            cases[case.patient_id].append(case)
        for patient_id, match in matches.items():
            match.cases = cases[patient_id]
    return list(matches.values())


def note_known_contact(case: Case, patient: Patient, *, actor_id: int | None) -> list[KnownPatient]:
    """Write on a new case's timeline which other patients share its email or phone (for the coordinator)."""
    matches = patients_sharing_contact(patient.email, patient.phone, exclude_patient_id=patient.id)
    if matches:
        described = "; ".join(
            f"{m.patient.name} has the same {m.what}"
            + (f" (cases {', '.join(c.number for c in m.cases)})" if m.cases else "")
            for m in matches
        )
        record_case_event(case, "known_contact", actor_id, note=f"Possibly a known patient: {described}.")
    return matches


def open_case_by_staff(
    patient: dict,
    *,
    requested_treatment: str,
    destination_country: str | None,
    message: str,
    source: str,
    consent_at: datetime,
    actor_id: int,
    existing_patient_id: int | None = None,
    new_patient_confirmed: bool = False,
    paused_override_reason: str = "",
) -> tuple[Case, list[str]]:
    """A case a coordinator takes down; for a new patient record, or for a known patient chosen from the warning.

    Refused while the destination's intake is paused unless `paused_override_reason` says why (recorded on the
    timeline), and while the email or phone belongs to another patient and the coordinator has not chosen between
    that patient (`existing_patient_id`) and a new record (`new_patient_confirmed`). Returns the case and what the
    features answering `case_opened` tell the coordinator (the confirmation mail queued, or why not).
    """
    destination = (destination_country or "").strip().upper() or None
    override = " ".join((paused_override_reason or "").split())[:300]
    paused = paused_countries().get(destination) if destination else None
    if paused is not None and not override:
        raise DestinationPausedForStaff(
            _(
                "Intake to %(country)s is paused (%(reason)s). Choose another destination, or give the reason for "
                "opening the case anyway.",
                country=country_name(destination),
                reason=paused.reason,
            )
            if paused.reason
            else _(
                "Intake to %(country)s is paused. Choose another destination, or give the reason for opening the "
                "case anyway.",
                country=country_name(destination),
            )
        )

    case_fields = {
        "requested_treatment": requested_treatment,
        "destination_country": destination,
        "message": message,
        "source": source,
        "consent_at": consent_at,
        "actor_id": actor_id,
    }
    matches = patients_sharing_contact(patient.get("email", ""), patient.get("phone", ""))
    if existing_patient_id is not None:
        chosen = next((m.patient for m in matches if m.patient.id == existing_patient_id), None)
        if chosen is None:
            raise CaseError(_("That patient does not have this email or phone number; choose from the list shown."))
        case = open_case(patient_id=chosen.id, **case_fields)
        record_case_event(
            case, "known_contact", actor_id, note=f"Opened for the existing patient record of {chosen.name}."
        )
    elif matches and not new_patient_confirmed:
        raise ContactAlreadyKnown(matches)
    else:
        case = open_case_for_new_patient(patient, **case_fields)
        if matches:
            note_known_contact(case, db.session.get(Patient, case.patient_id), actor_id=actor_id)
    if paused is not None:
        record_case_event(
            case,
            "paused_override",
            actor_id,
            note=f"Opened although intake to {country_name(destination)} is paused: {override}",
            audit={"destination": destination},
        )
    return case, announce_opened(case, actor_id=actor_id)


def announce_opened(case: Case, *, actor_id: int | None) -> list[str]:
    """Tell the features that answer `signals.case_opened` that `case` was opened (the public form and a coordinator's
    new case both end here); returns what they answered for the person who opened it (the mail queued, or why not)."""
    answers = signals.case_opened.send(case, actor_id=actor_id)
    return [answer for _receiver, answer in answers if answer]

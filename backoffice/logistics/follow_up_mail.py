"""The mail about a follow-up a week ahead: to the patient, and to the hospital when it is held there.

Once per follow-up: a follow-up told about leaves the audit row `follow_up.due_mailed` (as `follow_up_reminders`
keeps its reminders single), written in the same transaction as the messages, whatever was queued (a kind switched
off, a patient without an address): turning a kind back on does not mail about follow-ups whose week has begun.
No column or migration needed; the audit trail is the record that the patient was told.

Where the hospital is told: nothing in a programme's schedule says where a follow-up is held, so the rule is the
follow-up's own name. One whose label names the hospital's outpatient clinic ("Outpatient examination") or says
"at the hospital" is held there, and the hospital's contact email gets its own mail ("follow_up_due_hospital");
a check-up with the physician at home or a PSA test is the patient's alone.

What the patient's mail says: the date and the case number, not the follow-up's name (a "PSA check" or a
"stimulator adjustment" tells any server on the way what the patient is treated for). The hospital, which treated
the patient, gets the name.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.logistics.follow_up_reminders import recorded_for
from backoffice.logistics.models import FollowUp
from backoffice.messages import automatic
from backoffice.messages.operations import MessageRefused
from backoffice.patients.models import Patient
from backoffice.trail import record_event

NOTICE = timedelta(days=7)
HELD_AT_HOSPITAL = ("outpatient", "at the hospital")


def held_at_hospital(follow_up: FollowUp) -> bool:
    """Whether the follow-up takes place at the treating hospital (its label says so)."""
    label = follow_up.label.casefold()
    return any(words in label for words in HELD_AT_HOSPITAL)


@every(timedelta(hours=1), "logistics.follow_up_due_mail")
def follow_up_due_mail() -> dict:
    """Follow-ups due within a week (today included) that nobody was told about yet: the patient's mail, and the
    hospital's where it is held; each follow-up once."""
    today = utcnow().date()
    told = recorded_for("follow_up.due_mailed")
    rows = db.session.execute(
        select(FollowUp, Case, Patient)
        .join(Case, Case.id == FollowUp.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(
            FollowUp.status == "due",
            FollowUp.due_on >= today,
            FollowUp.due_on <= today + NOTICE,
            Case.state != "cancelled",
            ~told,
        )
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(BATCH)
    ).all()
    mailed = 0
    for follow_up, case, patient in rows:
        sent = [
            automatic.to_patient(
                "follow_up_due", patient, case_id=case.id, case_number=case.number, due_on=follow_up.due_on
            )
        ]
        if held_at_hospital(follow_up):
            sent.append(_tell_hospital(follow_up, case, patient))
        queued = [message.id for message in sent if message is not None]
        mailed += len(queued)
        record_event(
            "follow_up.due_mailed",
            object_type="follow_up",
            object_id=follow_up.id,
            details={"case_id": case.id, "messages": queued, "hospital": held_at_hospital(follow_up)},
        )
    db.session.commit()
    return {"follow_ups": len(rows), "messages": mailed}


def _tell_hospital(follow_up: FollowUp, case: Case, patient: Patient):
    hospital = db.session.get(Hospital, case.hospital_id) if case.hospital_id else None
    if hospital is None or not (hospital.contact_email or "").strip():
        return None
    language = next((code for code in hospital.languages or () if code in ("en", "de")), "en")
    try:
        return automatic.send(
            "follow_up_due_hospital",
            to=hospital.contact_email,
            language=language,
            case_id=case.id,
            counterpart="hospital",
            hospital_name=hospital.name,
            patient_name=" ".join(patient.name.split()),
            case_number=case.number,
            label=follow_up.label,
            due_on=follow_up.due_on,
        )
    except MessageRefused:  # the directory's address is not one: the patient is still told
        return None

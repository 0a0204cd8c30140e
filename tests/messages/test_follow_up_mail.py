"""A week before a follow-up the patient is mailed its date (not its name), and the hospital, when the follow-up is
held there, its name too; each follow-up once, whatever the hourly job's runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.logistics.follow_up_mail import follow_up_due_mail
from backoffice.logistics.models import FollowUp
from backoffice.messages import kinds
from backoffice.messages.models import Message
from tests.factories import make_case, make_hospital, make_patient
from tests.shipments.factories import run_jobs


def follow_up(case, days: int, label: str, position: int = 1) -> FollowUp:
    row = FollowUp(case_id=case.id, position=position, due_on=utcnow().date() + timedelta(days=days), label=label)
    db.session.add(row)
    return row


def discharged_case(**patient):
    hospital = make_hospital(name="Klinikum am Main")
    hospital.contact_email = "followups@klinikum.example"
    case = make_case(state="discharged", hospital_id=hospital.id, patient=make_patient(name="Amal Haddad", **patient))
    db.session.flush()
    return case


def test_the_patient_and_the_hospital_are_told_a_week_ahead_once(app, smtp):
    case = discharged_case(email="amal@example.org", preferred_language="de")
    follow_up(case, 7, "Outpatient examination (3 of 8)", 1)
    follow_up(case, 8, "Outpatient examination (4 of 8)", 2)  # more than a week away: not yet
    number = case.number
    db.session.commit()

    assert follow_up_due_mail()["messages"] == 2
    assert follow_up_due_mail()["messages"] == 0, "each follow-up once"
    run_jobs(app)

    mails = {mail["To"]: mail for mail in smtp.inbox.messages()}
    patient, hospital = mails["amal@example.org"], mails["followups@klinikum.example"]
    assert patient["Subject"].startswith("Ihre Nachuntersuchung am ") and number in patient.get_content()
    assert "Outpatient" not in patient.as_string(), "the patient's mail names no examination"
    assert "Outpatient examination (3 of 8)" in hospital.get_content() and number in hospital["Subject"]
    assert hospital["Content-Language"] == "de"


def test_a_follow_up_not_held_at_the_hospital_is_the_patients_alone(users):
    case = discharged_case(email="amal@example.org")
    follow_up(case, 3, "PSA check (2 of 8)")
    db.session.commit()
    follow_up_due_mail()
    (message,) = db.session.scalars(select(Message)).all()
    assert message.to_addresses == "amal@example.org" and "PSA" not in message.body_text + message.subject


def test_a_switched_off_kind_is_not_mailed_later_either(users):
    case = discharged_case(email="amal@example.org")
    follow_up(case, 2, "Outpatient examination")
    kinds.switch_kind("follow_up_due", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    follow_up_due_mail()
    assert [m.kind for m in db.session.scalars(select(Message))] == ["follow_up_due_hospital"]
    kinds.switch_kind("follow_up_due", enabled=True, actor_id=users["admin"].id)
    db.session.commit()
    follow_up_due_mail()
    assert [m.kind for m in db.session.scalars(select(Message))] == ["follow_up_due_hospital"]


def test_past_done_and_cancelled_case_follow_ups_are_not_mailed(users):
    case = discharged_case(email="amal@example.org")
    follow_up(case, -1, "Outpatient examination", 1)
    follow_up(case, 2, "Outpatient examination", 2).status = "done"
    cancelled = discharged_case(email="other@example.org")
    cancelled.state = "cancelled"
    follow_up(cancelled, 2, "Outpatient examination", 1)
    db.session.commit()
    assert follow_up_due_mail() == {"follow_ups": 0, "messages": 0}

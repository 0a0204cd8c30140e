"""Staff invite a case's patient to the portal: the account is opened or reused, the link is shown once."""

import hashlib
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.portal import accepting, invites
from backoffice.portal.models import PortalInvite
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient, make_user
from tests.helpers import login_as
from tests.portal.conftest import LINK


def invite_from_case_page(client, case, mailbox):
    """Invite from the case page; the token is read from the mail the patient received (staff never see it)."""
    sent_before = len(mailbox.messages())
    response = client.post(f"/cases/{case.id}/portal-invite")
    body = response.get_data(as_text=True)
    assert not LINK.search(body), "the link is not shown to staff outside development"
    return response, body, mailbox.newest_token() if len(mailbox.messages()) > sent_before else None


def invites_of(patient_id):
    db.session.expire_all()
    return db.session.scalars(
        select(PortalInvite).where(PortalInvite.patient_id == patient_id).order_by(PortalInvite.id)
    ).all()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_the_cases_coordinator_or_an_admin_opens_the_account_and_the_link_is_mailed_to_the_patient_only(
    as_role, users, role, mailbox
):
    case = make_case(
        patient=make_patient(name="Layla Haddad", email="Layla.Haddad@Test.Example", preferred_language="en"),
        coordinator=users["coordinator"],
    )
    db.session.commit()
    client = as_role(role)

    response, body, token = invite_from_case_page(client, case, mailbox)

    assert response.status_code == 200 and token
    assert "Mailed to" in body and "layla.haddad@test.example" in body and "Valid until" in body
    (mail,) = mailbox.messages()
    assert mail["To"] == "layla.haddad@test.example" and mail["Subject"] == "Your invitation to the patient portal"
    assert "Dear Layla Haddad" in mail.get_content() and "layla.haddad@test.example" in mail.get_content()
    db.session.expire_all()
    patient = db.session.get(Patient, case.patient_id)
    account = db.session.get(User, patient.user_id)
    assert (account.email, account.name, account.role, account.active) == (
        "layla.haddad@test.example",
        "Layla Haddad",
        "patient",
        True,
    )
    [invite] = invites_of(patient.id)
    assert invite.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert invite.user_id == account.id and invite.case_id == case.id and invite.created_by_id == users[role].id
    assert timedelta(days=7) - timedelta(minutes=1) < invite.expires_at - utcnow() <= timedelta(days=7)
    assert invite.expires_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d") in body  # as staff see it
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(["portal.invited", "user_created"])))
    events = {event.action: event for event in events}
    assert events["portal.invited"].details["account"] == "created"
    assert events["user_created"].details["role"] == "patient"
    assert all(token not in str(event.details) for event in events.values())


def test_the_random_password_of_a_new_account_opens_nothing(as_role, users, client, mailbox):
    case = make_case(patient=make_patient(email="amal@test.example"), coordinator=users["coordinator"])
    db.session.commit()
    invite_from_case_page(as_role("coordinator"), case, mailbox)
    client.post("/logout")
    response = client.post("/login", data={"email": "amal@test.example", "password": ""})
    assert response.status_code in (400, 401)
    assert "/portal" not in response.headers.get("Location", "")


def test_a_new_invitation_revokes_the_earlier_unused_one(as_role, users, app, mailbox):
    case = make_case(coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    _, _, first = invite_from_case_page(client, case, mailbox)
    _, _, second = invite_from_case_page(client, case, mailbox)

    old, new = invites_of(case.patient_id)
    assert old.revoked_at is not None and new.revoked_at is None
    assert count(User) == len(users) + 1, "the account is opened once"
    anonymous = app.test_client()
    assert anonymous.get(f"/invite/{first}").status_code == 404
    assert anonymous.get(f"/invite/{second}").status_code == 200
    latest = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "portal.invited").order_by(AuditEvent.id.desc())
    )
    assert latest.details["earlier_invites_revoked"] == 1 and latest.details["account"] == "existing"


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_an_account_in_use_is_never_given_a_password_by_staff(as_role, users, role, mailbox):
    patient = make_patient(name="Paula Patient", email=users["patient"].email)
    patient.user_id = users["patient"].id
    case = make_case(patient=patient, coordinator=users["coordinator"])
    db.session.commit()
    password_hash = users["patient"].password_hash

    response, body, token = invite_from_case_page(as_role(role), case, mailbox)

    assert response.status_code == 422 and token is None
    assert "Paula Patient already has a portal account (patient@test.example)" in body
    assert "an administrator can make a password-reset link" in body and case.number in body
    assert count(PortalInvite) == 0
    db.session.expire_all()
    assert db.session.get(User, users["patient"].id).password_hash == password_hash


def test_an_account_whose_invitation_was_used_is_not_invited_again(as_role, users, mailbox):
    case = make_case(patient=make_patient(email="rana@test.example"), coordinator=users["coordinator"])
    token = invites.invite_patient(case.id, actor_id=users["coordinator"].id).token
    db.session.commit()
    accepting.accept_invite(token, "a long enough password")
    db.session.commit()

    response, body, token = invite_from_case_page(as_role("coordinator"), case, mailbox)

    assert response.status_code == 422 and token is None and "already has a portal account" in body
    assert len(invites_of(case.patient_id)) == 1


def test_an_unlinked_patient_account_with_the_patients_email_is_not_taken_over(as_role, users, mailbox):
    case = make_case(patient=make_patient(email="PATIENT@test.example"), coordinator=users["coordinator"])
    db.session.commit()

    response, body, token = invite_from_case_page(as_role("coordinator"), case, mailbox)

    assert response.status_code == 422 and token is None and "already has a portal account" in body
    db.session.expire_all()
    assert db.session.get(Patient, case.patient_id).user_id is None
    assert count(User) == len(users) and count(PortalInvite) == 0


@pytest.mark.parametrize("role", ["finance", "other coordinator"])
def test_only_the_cases_coordinator_or_an_admin_invites(app, users, role, mailbox):
    other = make_user("coordinator", email="other@test.example")
    case = make_case(patient=make_patient(email="hana@test.example"), coordinator=users["coordinator"])
    db.session.commit()
    client = app.test_client()
    login_as(client, other if role == "other coordinator" else users["finance"])

    response, body, token = invite_from_case_page(client, case, mailbox)

    assert response.status_code == 403 and token is None
    if role == "other coordinator":  # the finance role is refused before the case is looked up
        assert "Only the case&#39;s medical coordinator or an administrator invites" in body
    assert count(PortalInvite) == 0 and count(User) == len(users) + 1


@pytest.mark.parametrize(
    "holder, message",
    [
        ("finance", "is the sign-in email of a staff account"),
        ("patient", "already signs in to another patient&#39;s portal account"),
    ],
)
def test_an_email_that_signs_in_to_another_account_is_refused(as_role, users, holder, message, mailbox):
    owner = make_patient(email=users["patient"].email)
    owner.user_id = users["patient"].id
    case = make_case(patient=make_patient(email=users[holder].email.upper()), coordinator=users["coordinator"])
    db.session.commit()

    response, body, token = invite_from_case_page(as_role("coordinator"), case, mailbox)

    assert response.status_code == 422 and token is None
    assert message in body and case.number in body, "the case page again, with the reason"
    assert count(PortalInvite) == 0 and count(User) == len(users)
    db.session.expire_all()
    assert db.session.get(Patient, case.patient_id).user_id is None


def test_a_deactivated_portal_account_is_not_invited(as_role, users, mailbox):
    account = make_user("patient", email="gone@test.example", active=False)
    patient = make_patient(email="gone@test.example")
    patient.user_id = account.id
    case = make_case(patient=patient)
    db.session.commit()

    response, body, token = invite_from_case_page(as_role("admin"), case, mailbox)

    assert response.status_code == 422 and token is None
    assert "is deactivated" in body
    assert count(PortalInvite) == 0


def test_a_patient_without_email_is_not_invited(as_role, users, mailbox):
    patient = make_patient()
    patient.email = ""
    case = make_case(patient=patient, coordinator=users["coordinator"])
    db.session.commit()
    response, body, _ = invite_from_case_page(as_role("coordinator"), case, mailbox)
    assert response.status_code == 422 and "email address before inviting" in body
    assert count(User) == len(users) and count(PortalInvite) == 0


def test_inviting_for_an_unknown_case_is_not_found(as_role, users):
    response = as_role("coordinator").post("/cases/999999/portal-invite")
    assert response.status_code == 404
    assert count(PortalInvite) == 0


def test_patients_cannot_invite(as_role, users):
    case = make_case()
    db.session.commit()
    response = as_role("patient").post(f"/cases/{case.id}/portal-invite")
    assert response.status_code == 403
    assert count(PortalInvite) == 0


def test_an_invitation_without_the_form_token_is_refused(as_role, users):
    case = make_case(coordinator=users["coordinator"])
    db.session.commit()
    response = as_role("coordinator").post(f"/cases/{case.id}/portal-invite", csrf=False)
    assert response.status_code == 400
    assert count(PortalInvite) == 0 and count(User) == len(users)


def test_the_case_panel_shows_the_account_and_what_the_viewer_may_do(app, as_role, users, mailbox):
    case = make_case(patient=make_patient(email="noor@test.example"), coordinator=users["coordinator"])
    db.session.commit()

    def panel(viewer="coordinator"):
        status = invites.portal_status_of_patient(case.patient_id)
        with app.test_request_context():
            login_user(db.session.get(User, users[viewer].id))
            return status, render_template("portal/_case_invite.html", case=case, portal_status=status)

    status, html = panel()
    assert not status.has_account and status.open_invite_expires_at is None and status.may_invite
    assert "None yet" in html and 'name="csrf_token"' in html and f"/cases/{case.id}/portal-invite" in html
    assert "Opens the patient's portal account for noor@test.example" in html
    _, html = panel("finance")
    assert "portal-invite" not in html and "The case's medical coordinator or an administrator invites" in html

    _, _, token = invite_from_case_page(as_role("coordinator"), case, mailbox)
    db.session.expire_all()
    status, html = panel()
    assert status.has_account and status.account_email == "noor@test.example" and status.account_active
    assert status.open_invite_expires_at is not None and "Open until" in html and "Never signed in" in html
    assert not status.account_in_use and "waits for its first password" in html and "portal-reset" not in html

    accepting.accept_invite(token, "a long enough password")
    db.session.commit()
    status, html = panel()
    assert status.account_in_use and not status.may_invite
    assert "portal-invite" not in html and "portal-reset" not in html
    assert "Staff never set its password" in html
    _, html = panel("admin")
    assert f"/cases/{case.id}/portal-reset" in html and "Mail a password-reset link" in html

    db.session.get(User, db.session.get(Patient, case.patient_id).user_id).active = False
    db.session.commit()
    status, html = panel("admin")
    assert not status.may_invite and not status.may_reset and "Deactivated" in html
    assert "portal-invite" not in html and "portal-reset" not in html


def test_the_case_panel_runs_two_statements(users, count_queries):
    patient_id = make_case().patient_id
    db.session.commit()
    with count_queries() as statements:
        invites.portal_status_of_patient(patient_id)
    assert len(statements) == 2

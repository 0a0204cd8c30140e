"""A one-time password-reset link is mailed to the patient: an administrator has one sent, or the patient asks for one
on the sign-in page (the same answer whether or not the address is known); nobody sees the link but the patient."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.portal import invites
from backoffice.portal.models import RESET, PortalInvite
from backoffice.trail import AuditEvent
from tests.factories import PASSWORD, make_case, make_patient
from tests.helpers import login_as

NEW_PASSWORD = "a lantern by the old gate"


@pytest.fixture
def case_with_account(users):
    """A case whose patient signs in to the portal with the account of `users["patient"]`."""
    patient = make_patient(name="Paula Patient", email=users["patient"].email, preferred_language="en")
    patient.user_id = users["patient"].id
    case = make_case(patient=patient, coordinator=users["coordinator"])
    db.session.commit()
    return case


def test_an_admin_has_a_reset_link_mailed_that_sets_a_new_password_once(
    app, as_role, users, case_with_account, mailbox
):
    signed_in = app.test_client()
    login_as(signed_in, users["patient"])

    response = as_role("admin").post(f"/cases/{case_with_account.id}/portal-reset")

    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Password-reset link for Paula Patient" in body
    assert "/invite/" not in body, "staff never see the link outside development"
    (mail,) = mailbox.messages()
    assert mail["To"] == users["patient"].email and mail["Subject"] == "Choose a new password for the patient portal"
    token = mailbox.newest_token()
    db.session.expire_all()
    [link] = db.session.scalars(select(PortalInvite)).all()
    assert (link.purpose, link.user_id, link.created_by_id) == (RESET, users["patient"].id, users["admin"].id)
    assert timedelta(days=7) - timedelta(minutes=1) < link.expires_at - utcnow() <= timedelta(days=7)
    made = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.reset_link_created"))
    assert made.actor_id == users["admin"].id and made.details["case"] == case_with_account.number
    assert token not in str(made.details)

    patient_browser = app.test_client()
    page = patient_browser.get(f"/invite/{token}").get_data(as_text=True)
    assert "Choose a new password, Paula" in page
    answer = patient_browser.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302

    assert signed_in.get("/portal/").headers["Location"].startswith("/login"), "other sessions end"
    assert (
        app.test_client().post("/login", data={"email": users["patient"].email, "password": PASSWORD}).status_code
        == 401
    )
    login_as(app.test_client(), users["patient"], password=NEW_PASSWORD)
    used = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.password_reset"))
    assert used.actor_id == users["patient"].id
    assert patient_browser.get(f"/invite/{token}").status_code == 404, "the link works once"


@pytest.mark.parametrize("role", ["coordinator", "finance", "patient"])
def test_only_an_admin_makes_a_reset_link(as_role, users, case_with_account, role):
    hash_before = users["patient"].password_hash
    response = as_role(role).post(f"/cases/{case_with_account.id}/portal-reset")
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalars(select(PortalInvite)).all() == []
    assert db.session.get(User, users["patient"].id).password_hash == hash_before
    with pytest.raises(invites.PermissionDenied):
        invites.create_reset_link(case_with_account.id, actor_id=users[role].id)


def test_a_reset_link_expires_like_an_invitation(client, users, case_with_account):
    made = invites.create_reset_link(case_with_account.id, actor_id=users["admin"].id)
    link, token = made.invite, made.token
    link.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 404


def test_a_patient_without_an_account_is_invited_not_reset(as_role, users):
    case = make_case(patient=make_patient(name="Omar Said", email="omar@test.example"))
    db.session.commit()
    response = as_role("admin").post(f"/cases/{case.id}/portal-reset")
    assert response.status_code == 422
    assert "Omar Said has no portal account yet: invite the patient to the portal instead." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "omar@test.example")) is None

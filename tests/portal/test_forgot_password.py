"""A patient who forgot the portal password asks for a link on the sign-in page: it is mailed to the account's address,
the page answers the same whether or not the address is known, and a second request within minutes sends nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.extensions import db
from backoffice.messages import kinds
from backoffice.portal import invites
from backoffice.portal.models import RESET, PortalInvite
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import change_settings, login_as

NEW_PASSWORD = "a lantern by the old gate"


@pytest.fixture
def paula(users):
    """Paula signs in to the portal with the account of `users["patient"]`; she reads German."""
    patient = make_patient(name="Paula Patient", email=users["patient"].email, preferred_language="de")
    patient.user_id = users["patient"].id
    make_case(patient=patient)
    db.session.commit()
    return users["patient"]


def ask(client, email):
    return client.post("/portal/forgot-password", data={"email": email})


def test_the_sign_in_page_leads_to_the_forgotten_password_form(client):
    assert "/portal/forgot-password" in client.get("/login").get_data(as_text=True)
    assert "Forgot your password?" in client.get("/portal/forgot-password").get_data(as_text=True)


def test_a_patient_gets_a_reset_link_by_mail_in_their_language_and_sets_a_new_password(app, client, paula, mailbox):
    response = ask(client, paula.email.upper())

    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    (mail,) = mailbox.messages()
    assert mail["To"] == paula.email and mail["Subject"] == "Neues Passwort für das Patientenportal"
    assert "Guten Tag Paula Patient" in mail.get_content() and mail["Content-Language"] == "de"
    token = mailbox.newest_token()
    [link] = db.session.scalars(select(PortalInvite)).all()
    assert (link.purpose, link.user_id, link.created_by_id, link.case_id) == (RESET, paula.id, None, None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.reset_link_requested"))

    answer = app.test_client().post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    login_as(app.test_client(), paula, password=NEW_PASSWORD)


@pytest.mark.parametrize("email", ["nobody@test.example", "finance@test.example", "not an address"])
def test_an_unknown_or_staff_address_gets_the_same_answer_and_no_mail(app, users, email, mailbox):
    known = ask(app.test_client(), users["patient"].email)  # an account without a patient record: no mail either
    unknown = ask(app.test_client(), email)

    assert unknown.status_code in (302, 422)
    if unknown.status_code == 302:
        assert unknown.headers["Location"] == known.headers["Location"]
    assert mailbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(PortalInvite)) == 0


def test_a_second_request_within_minutes_sends_no_second_mail(client, paula, mailbox):
    ask(client, paula.email)
    ask(client, paula.email)
    assert len(mailbox.messages()) == 1
    assert db.session.scalar(select(func.count()).select_from(PortalInvite)) == 1


def test_with_the_reset_mail_switched_off_nothing_is_made(client, users, paula, mailbox):
    kinds.switch_kind("portal_password_reset", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    assert ask(client, paula.email).status_code == 302
    assert mailbox.messages() == []
    assert db.session.scalar(select(func.count()).select_from(PortalInvite)) == 0


def test_with_the_invitation_mail_switched_off_staff_are_told_and_no_account_is_opened(as_role, users, mailbox):
    case = make_case(patient=make_patient(email="noor@test.example"), coordinator=users["coordinator"])
    kinds.switch_kind("portal_invite", enabled=False, actor_id=users["admin"].id)
    db.session.commit()

    response = as_role("coordinator").post(f"/cases/{case.id}/portal-invite")

    assert response.status_code == 422
    assert "“Portal invitation” mail is switched off, so no link was made" in response.get_data(as_text=True)
    assert mailbox.messages() == []
    assert db.session.scalar(select(User).where(User.email == "noor@test.example")) is None


def test_in_development_the_page_shows_the_link_marked_as_such(app, as_role, users, mailbox, monkeypatch):
    change_settings(monkeypatch, app, app_env="development", public_url="http://127.0.0.1:5000")
    case = make_case(patient=make_patient(email="noor@test.example"), coordinator=users["coordinator"])
    db.session.commit()

    body = as_role("coordinator").post(f"/cases/{case.id}/portal-invite").get_data(as_text=True)

    assert "(development only)" in body
    (mail,) = mailbox.messages()
    link = mail.get_content().split("http://127.0.0.1:5000/invite/")[1].split()[0]
    assert f"http://127.0.0.1:5000/invite/{link}" in body, "the page shows the link the mail carries"


def test_the_link_in_the_mail_ignores_the_host_the_request_named(app, paula, mailbox):
    with app.test_request_context("/portal/forgot-password", base_url="http://attacker.example"):
        invites.request_password_reset(paula.email)
    db.session.commit()
    (mail,) = mailbox.messages()
    assert "attacker.example" not in mail.get_content() and "http://localhost/invite/" in mail.get_content()

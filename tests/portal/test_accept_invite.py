"""The patient opens the invitation link, chooses a password and signs in; a link works once and only while valid."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backoffice.auth.models import User
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.portal import accepting, invites
from backoffice.portal.models import PortalInvite
from backoffice.trail import AuditEvent
from tests.factories import PASSWORD, make_case, make_patient
from tests.helpers import login_as

NEW_PASSWORD = "sunrise over the dunes"
INVALID = "This invitation link is no longer valid. Ask your coordinator for a new one."


@pytest.fixture
def invited(users):
    """A case's patient, invited by a coordinator: (invite, token, account)."""
    case = make_case(
        patient=make_patient(name="Layla Haddad", email="layla@test.example", preferred_language="en"),
        coordinator=users["coordinator"],
    )
    made = invites.invite_patient(case.id, actor_id=users["coordinator"].id)
    invite, token = made.invite, made.token
    db.session.commit()
    return invite, token, db.session.get(User, invite.user_id)


def choose_password(client, token, password=NEW_PASSWORD, confirm=None):
    return client.post(f"/invite/{token}", data={"password": password, "confirm": confirm or password})


def main_of(response) -> str:
    return response.get_data(as_text=True).split("<main", 1)[1]


def test_the_link_greets_the_patient_by_first_name(client, invited):
    _, token, _ = invited
    response = client.get(f"/invite/{token}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Welcome, Layla" in body and "Haddad" not in main_of(response)
    assert 'name="password"' in body and 'name="confirm"' in body


def test_choosing_a_password_opens_the_account_and_the_patient_signs_in(client, invited):
    invite, token, account = invited
    old_session_token = account.session_token

    response = choose_password(client, token)

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Password set. Sign in with layla@test.example." in client.get("/login").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortalInvite, invite.id).used_at is not None
    account = db.session.get(User, account.id)
    assert account.session_token != old_session_token
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.invite_accepted"))
    assert event.actor_id == account.id and token not in str(event.details)

    signed_in = client.post("/login", data={"email": "layla@test.example", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/portal/"
    assert "Welcome, Layla Haddad" in client.get("/portal/").get_data(as_text=True)


def test_a_reset_link_sets_a_new_password_and_ends_the_sessions_open_on_the_account(app, users):
    patient = make_patient(email=users["patient"].email)
    patient.user_id = users["patient"].id
    case = make_case(patient=patient)
    token = invites.create_reset_link(case.id, actor_id=users["admin"].id).token
    db.session.commit()
    signed_in = app.test_client()
    login_as(signed_in, users["patient"])
    assert signed_in.get("/portal/").status_code == 200

    assert choose_password(app.test_client(), token).status_code == 302

    assert signed_in.get("/portal/").headers["Location"].startswith("/login")
    refused = app.test_client().post("/login", data={"email": users["patient"].email, "password": PASSWORD})
    assert refused.status_code == 401


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("short pass", "short pass", "at least 12 characters"),
        (NEW_PASSWORD, "sunrise over the dune", "The passwords do not match."),
        ("", "", "Choose a password."),
        ("x" * 300, "x" * 300, "256 at most"),
    ],
)
def test_a_refused_password_changes_nothing_and_the_link_still_works(client, invited, password, confirm, message):
    invite, token, account = invited
    hash_before = account.password_hash

    response = choose_password(client, token, password, confirm)

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortalInvite, invite.id).used_at is None
    assert db.session.get(User, account.id).password_hash == hash_before
    assert choose_password(client, token).status_code == 302


def test_the_password_rule_holds_in_the_operation_too(invited):
    _, token, _ = invited
    with pytest.raises(DomainError, match="at least 12 characters"):
        accepting.accept_invite(token, "too short")


def _used(invite):
    invite.used_at = utcnow()


def _expired(invite):
    invite.expires_at = utcnow() - timedelta(seconds=1)


def _revoked(invite):
    invite.revoked_at = utcnow()


def test_unknown_expired_used_and_revoked_links_get_the_same_not_found_page(client, users):
    tokens = {}
    for name, spoil in (("used", _used), ("expired", _expired), ("revoked", _revoked)):
        case = make_case()
        made = invites.invite_patient(case.id, actor_id=users["admin"].id)
        invite, tokens[name] = made.invite, made.token
        spoil(invite)
    db.session.commit()
    tokens["unknown"] = "A" * 43
    tokens["absurdly long"] = "A" * 101
    hashes_before = dict(db.session.execute(select(User.id, User.password_hash)).all())

    pages = set()
    for name, token in tokens.items():
        for response in (client.get(f"/invite/{token}"), choose_password(client, token)):
            assert response.status_code == 404, name
            assert INVALID in response.get_data(as_text=True)
            pages.add(main_of(response))
    assert len(pages) == 1, "every unusable link gets the same page"
    db.session.expire_all()
    assert dict(db.session.execute(select(User.id, User.password_hash)).all()) == hashes_before
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.invite_accepted")).all()


def test_a_link_for_a_deactivated_account_is_not_valid(client, invited):
    _, token, account = invited
    db.session.execute(update(User).where(User.id == account.id).values(active=False))
    db.session.commit()
    assert client.get(f"/invite/{token}").status_code == 404
    assert choose_password(client, token).status_code == 404


def test_a_link_works_once(app, invited):
    _, token, account = invited
    assert choose_password(app.test_client(), token).status_code == 302
    db.session.expire_all()
    hash_after_first = db.session.get(User, account.id).password_hash

    second = choose_password(app.test_client(), token, "somebody else's password")

    assert second.status_code == 404 and INVALID in second.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, account.id).password_hash == hash_after_first
    accepted = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.invite_accepted")).all()
    assert len(accepted) == 1


def test_two_simultaneous_uses_of_a_link_set_one_password(app, invited, monkeypatch):
    _, token, account = invited
    barrier = threading.Barrier(2)
    real_hash = invites.hash_password

    def hash_then_wait(password):
        hashed = real_hash(password)
        barrier.wait(timeout=10)  # both have found the link valid before either marks it used
        return hashed

    monkeypatch.setattr(invites, "hash_password", hash_then_wait)
    outcomes = {}

    def accept(password):
        with app.app_context():
            try:
                accepting.accept_invite(token, password)
                db.session.commit()
                outcomes[password] = "ok"
            except DomainError as error:
                db.session.rollback()
                outcomes[password] = error.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=(p,)) for p in ("first password here", "second password here")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == sorted(["ok", INVALID]), outcomes
    winner = next(password for password, outcome in outcomes.items() if outcome == "ok")
    loser = next(password for password, outcome in outcomes.items() if outcome != "ok")
    monkeypatch.undo()
    client = app.test_client()
    assert client.post("/login", data={"email": account.email, "password": winner}).status_code == 302
    assert app.test_client().post("/login", data={"email": account.email, "password": loser}).status_code == 401
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.invite_accepted")).all()) == 1


def test_a_link_to_an_account_that_became_staff_does_nothing(client, users):
    """An invitation belongs to a patient account; had the account become staff since, the link does nothing."""
    case = make_case(patient=make_patient(email="later-staff@test.example"))
    made = invites.invite_patient(case.id, actor_id=users["admin"].id)
    invite, token = made.invite, made.token
    db.session.execute(update(User).where(User.id == invite.user_id).values(role="finance"))
    db.session.commit()
    assert choose_password(client, token).status_code == 404


@pytest.mark.parametrize(
    "password, message",
    [
        ("password1234", "one of the most common passwords"),
        ("aaaaaaaaaaaa", "a repetition or a sequence"),
        ("LaylaHaddad2026", "built from your name, your email address"),
    ],
)
def test_the_invitation_refuses_common_sequential_and_personal_passwords(client, invited, password, message):
    invite, token, account = invited
    hash_before = account.password_hash

    response = choose_password(client, token, password)

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PortalInvite, invite.id).used_at is None
    assert db.session.get(User, account.id).password_hash == hash_before

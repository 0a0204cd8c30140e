"""Passwords: the rule every new password passes, the change every account can make, the change forced on an account
whose password an administrator chose, the absolute session lifetime and the production session cookie."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from backoffice import create_app
from backoffice.auth.models import User
from backoffice.auth.passwords import WeakPassword, check_new_password
from backoffice.config import load_settings, settings
from backoffice.demo.data import DEMO_PASSWORD
from backoffice.demo.seeding import seed_accounts
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import PASSWORD
from tests.helpers import PRODUCTION, login_as

OWN = "tangerine otter violin"


def text(response) -> str:
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------- the rule


@pytest.mark.parametrize(
    "password, message",
    [
        ("short words", "at least 12 characters"),
        ("aaaaaaaaaaaa", "repetition or a sequence"),
        ("abcabcabcabc", "repetition or a sequence"),
        ("123456789012", "repetition or a sequence"),
        ("qwertyuiop12", "repetition or a sequence"),
        ("password1234", "most common passwords"),
        ("P@ssw0rd2024!", "most common passwords"),
        ("Summer2024!!!", "most common passwords"),
        ("monkeymonkey1", "most common passwords"),
        ("FridaFinance2026", "built from your name"),
        ("frida.finance!!77", "built from your name"),
        ("frida-clinic-2026", "built from your name"),
        ("backoffice2026!", "built from your name"),
        ("MedTravel-GmbH-1", "built from your name"),
    ],
)
def test_common_repeated_sequential_and_personal_passwords_are_refused(password, message):
    with pytest.raises(WeakPassword, match=message):
        check_new_password(
            password, name="Frida Finance", email="frida.finance@clinic.example", operator_name="MedTravel GmbH"
        )


@pytest.mark.parametrize("password", [OWN, "correct horse battery", "7Tq!mZ#2vR9x", "Frida likes green tea at nine"])
def test_long_uncommon_passwords_are_accepted(password):
    check_new_password(
        password, name="Frida Finance", email="frida.finance@clinic.example", operator_name="MedTravel GmbH"
    )


def test_an_admin_cannot_give_an_account_a_common_password(as_role, users):
    client = as_role("admin")
    before = db.session.scalar(select(func.count()).select_from(User))
    refusals = {"password1234": "most common passwords", "aaaaaaaaaaaa": "repetition or a sequence"}
    for password, message in refusals.items():
        data = {"name": "Nina New", "email": "nina@test.example", "role": "finance"}
        response = client.post("/admin/users/new", data={**data, "password": password, "confirm": password})
        assert response.status_code == 422 and message in text(response), password
    assert db.session.scalar(select(func.count()).select_from(User)) == before


# ---------------------------------------------------------------------------------------------- changing it


def test_every_account_changes_its_own_password_with_the_current_one(app, users):
    for role in ("finance", "patient"):
        user = users[role]
        browser, elsewhere = app.test_client(), app.test_client()
        login_as(browser, user)
        login_as(elsewhere, user)
        page = browser.get("/account/password")
        assert page.status_code == 200 and "Current password" in text(page)

        wrong = browser.post("/account/password", data={"current": "not my password", "password": OWN, "confirm": OWN})
        assert wrong.status_code == 422 and "Your current password is not correct." in text(wrong)
        weak = browser.post(
            "/account/password", data={"current": PASSWORD, "password": "password1234", "confirm": "password1234"}
        )
        assert weak.status_code == 422 and "most common passwords" in text(weak)
        db.session.expire_all()
        assert db.session.get(User, user.id).password_changed_at is None

        changed = browser.post("/account/password", data={"current": PASSWORD, "password": OWN, "confirm": OWN})
        assert changed.status_code == 302
        assert browser.get(changed.headers["Location"]).status_code == 200  # this session goes on
        assert elsewhere.get("/account/password").headers["Location"].startswith("/login")  # the others end
        assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
        login_as(app.test_client(), user, password=OWN)
        changes = select(func.count()).where(AuditEvent.action == "password_changed", AuditEvent.actor_id == user.id)
        assert db.session.scalar(changes) == 1


def test_an_account_opened_by_an_admin_must_choose_its_own_password_before_anything_else(app, as_role, users):
    admin = as_role("admin")
    chosen_by_admin = "the admin knows this one"
    response = admin.post(
        "/admin/users/new",
        data={
            "name": "Nina New",
            "email": "nina@test.example",
            "role": "coordinator",
            "password": chosen_by_admin,
            "confirm": chosen_by_admin,
        },
    )
    assert response.status_code == 302
    nina = app.test_client()

    signed_in = nina.post("/login", data={"email": "nina@test.example", "password": chosen_by_admin})
    assert signed_in.headers["Location"] == "/account/password"
    for url in ("/dashboard", "/cases/", "/"):
        assert nina.get(url).headers["Location"] == "/account/password", url
    assert "Choose your own before" in text(nina.get("/account/password"))

    changed = nina.post("/account/password", data={"current": chosen_by_admin, "password": OWN, "confirm": OWN})
    assert changed.status_code == 302
    assert nina.get("/dashboard").status_code == 200
    stored = db.session.scalar(select(User).where(User.email == "nina@test.example"))
    assert not stored.must_change_password
    # what the admin typed no longer opens the account
    refused = app.test_client().post("/login", data={"email": "nina@test.example", "password": chosen_by_admin})
    assert refused.status_code == 401


def test_the_demo_logins_are_not_asked_to_change_their_password(app):
    seed_accounts()
    db.session.commit()
    response = app.test_client().post("/login", data={"email": "admin@demo.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


# ---------------------------------------------------------------------------------------------- sessions


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client, users):
    login_as(client, users["coordinator"])
    lifetime = settings(app).session_absolute_lifetime.total_seconds()
    with client.session_transaction() as session:
        session["signed_in_at"] = time.time() - lifetime - 5
        session["seen_at"] = time.time()  # active a moment ago
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/dashboard")
    assert "12 hours after signing in" in text(client.get("/login"))
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "logout_expired"))


def test_outside_development_the_session_cookie_carries_the_host_prefix(app_config):
    cookies = load_settings(PRODUCTION).flask_config()
    assert cookies["SESSION_COOKIE_NAME"] == "__Host-session"
    assert cookies["SESSION_COOKIE_SECURE"] is True and cookies["SESSION_COOKIE_PATH"] == "/"
    assert not cookies["SESSION_COOKIE_DOMAIN"]

    production = create_app({**app_config, **PRODUCTION})
    response = production.test_client().get("/login", base_url="https://backoffice.example")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("__Host-session=")]
    assert "Secure" in cookie and "Path=/" in cookie and "HttpOnly" in cookie and "Domain" not in cookie

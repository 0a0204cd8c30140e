from datetime import timedelta

import pytest
from sqlalchemy import select, update

from backoffice.auth.models import LoginAttempt
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import PASSWORD


def fail(client, email, times, addr="127.0.0.1"):
    for _ in range(times):
        client.post("/login", data={"email": email, "password": "wrong password"}, environ_base={"REMOTE_ADDR": addr})


def test_five_failures_block_that_account_from_that_address_even_with_the_right_password(client, users):
    email = users["finance"].email
    fail(client, email, 5)
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "login_throttled"))


def test_the_real_user_elsewhere_is_not_locked_out_by_an_attacker(client, users):
    email = users["finance"].email
    fail(client, email, 5, addr="203.0.113.9")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.7"}
    )
    assert response.status_code == 302


def test_one_address_trying_many_accounts_is_blocked(client, users):
    for n in range(20):
        fail(client, f"guess{n}@test.example", 1, addr="203.0.113.50")
    response = client.post(
        "/login",
        data={"email": users["admin"].email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.50"},
    )
    assert response.status_code == 429


def test_the_block_ends_when_the_failures_leave_the_window(app, client, users):
    email = users["coordinator"].email
    fail(client, email, 5)
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 429
    window = settings(app).login_throttle_window
    db.session.execute(update(LoginAttempt).values(attempted_at=utcnow() - window - timedelta(seconds=1)))
    db.session.commit()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


def test_a_success_does_not_count_as_a_failure(client, users):
    email = users["coordinator"].email
    for _ in range(6):
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        client.post("/logout")


def strangers_guess(app, email: str, times: int) -> None:
    """One wrong password from each of `times` addresses, each from a browser of its own."""
    for n in range(times):
        fail(app.test_client(), email, 1, addr=f"203.0.{n // 250}.{n % 250 + 1}")


def sign_in(client, user, addr: str):
    return client.post("/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": addr})


@pytest.fixture
def attacked(app, users):
    """The finance clerk signed in once from her browser (and address) and out again; then strangers sent
    LOGIN_MAX_FAILURES_PER_ACCOUNT + 10 wrong passwords for her account, one from each of as many addresses."""
    own_browser = app.test_client()
    assert sign_in(own_browser, users["finance"], "198.51.100.7").status_code == 302
    own_browser.post("/logout")
    strangers_guess(app, users["finance"].email, settings(app).login_max_failures_per_account + 10)
    return own_browser


def test_strangers_guessing_from_many_addresses_do_not_lock_the_owner_out(app, users, attacked):
    finance = users["finance"]
    # her own browser, even on the road (another address): known by its cookie
    assert sign_in(attacked, finance, "192.0.2.50").status_code == 302
    # another browser at the office address she signed in from before
    assert sign_in(app.test_client(), finance, "198.51.100.7").status_code == 302
    # a browser and address that never signed in to the account stays refused, even with the right password
    stranger = sign_in(app.test_client(), finance, "192.0.2.99")
    assert stranger.status_code == 429 and "Too many failed sign-in attempts" in stranger.get_data(as_text=True)


def test_a_forged_known_device_cookie_is_worth_nothing(app, users, attacked):
    from backoffice.auth import devices

    browser = app.test_client()
    with app.test_request_context():
        name = devices.cookie_name()
    browser.set_cookie(name, "WzJd.forged.signature")
    assert sign_in(browser, users["finance"], "192.0.2.98").status_code == 429


def test_a_wave_of_guessing_at_an_account_alerts_the_admins_once(app, users, attacked, as_role):
    strangers_guess(app, users["finance"].email, 10)  # the wave goes on
    alerts = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_account_attacked")).all()
    assert len(alerts) == 1
    assert alerts[0].object_id == str(users["finance"].id)
    assert alerts[0].details["failures"] == settings(app).login_max_failures_per_account

    dashboard = as_role("admin").get("/dashboard").get_data(as_text=True)
    assert f"Password guessing on {users['finance'].email}" in dashboard
    assert "the account's owner can still sign in" in dashboard
    for role in ("coordinator", "finance"):
        other = app.test_client()
        assert sign_in(other, users[role], "198.51.100.7").status_code == 302
        assert "Password guessing" not in other.get("/dashboard").get_data(as_text=True)

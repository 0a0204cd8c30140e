from datetime import timedelta

from sqlalchemy import select, update

from backoffice.audit.models import AuditEvent
from backoffice.auth.models import LoginAttempt
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
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
    window = app.config["LOGIN_THROTTLE_WINDOW"]
    db.session.execute(update(LoginAttempt).values(attempted_at=utcnow() - window - timedelta(seconds=1)))
    db.session.commit()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302


def test_a_success_does_not_count_as_a_failure(client, users):
    email = users["coordinator"].email
    for _ in range(6):
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        client.post("/logout")

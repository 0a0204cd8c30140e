from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.factories import PASSWORD, make_user
from tests.helpers import login_as


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_login_page_has_email_password_and_csrf_fields(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_staff_land_on_the_dashboard_and_patients_on_the_portal(client, users):
    for role, home in (
        ("admin", "/dashboard"),
        ("coordinator", "/dashboard"),
        ("finance", "/dashboard"),
        ("patient", "/portal/"),
    ):
        response = login_as(client, users[role])
        assert response.headers["Location"] == home
        page = client.get(home).get_data(as_text=True)
        assert users[role].name in page
        client.post("/logout")


def test_login_records_last_login_and_an_audit_event(client, users):
    login_as(client, users["finance"])
    db.session.expire_all()
    assert users["finance"].last_login_at is not None
    [event] = events("login")
    assert event.actor_id == users["finance"].id and event.remote_addr == "127.0.0.1"


def test_unknown_email_and_wrong_password_get_the_same_message(client, users):
    unknown = client.post("/login", data={"email": "nobody@test.example", "password": PASSWORD})
    wrong = client.post("/login", data={"email": users["admin"].email, "password": "wrong password!"})
    assert unknown.status_code == wrong.status_code == 401
    message = "The email or password is not correct."
    assert message in unknown.get_data(as_text=True) and message in wrong.get_data(as_text=True)
    reasons = sorted(event.details["reason"] for event in events("login_failed"))
    assert reasons == ["unknown_email", "wrong_password"]


def test_email_is_matched_without_regard_to_case_or_spaces(client, users):
    response = client.post("/login", data={"email": "  ADMIN@Test.Example ", "password": PASSWORD})
    assert response.status_code == 302


def test_deactivated_account_cannot_sign_in(client):
    user = make_user("coordinator", active=False)
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "The email or password is not correct." in response.get_data(as_text=True)


def test_empty_or_overlong_fields_are_refused_without_a_500(client, users):
    assert client.post("/login", data={"email": "", "password": ""}).status_code == 400
    huge = client.post("/login", data={"email": "a" * 5000 + "@x.example", "password": "p" * 5000})
    assert huge.status_code == 400
    assert events("login") == []


def test_logout_is_a_post_and_ends_the_session(client, users):
    login_as(client, users["coordinator"])
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/dashboard").status_code == 302
    assert len(events("logout")) == 1


def test_an_old_session_cookie_stops_working_after_logout(app, client, users):
    login_as(client, users["coordinator"])
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    response = other.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_next_only_leads_to_a_page_of_this_site(client, users):
    user = users["coordinator"]
    for target, expected in (
        ("/admin/users/", "/admin/users/"),
        ("https://evil.example/", "/dashboard"),
        ("//evil.example/x", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
    ):
        response = client.post(f"/login?next={target}", data={"email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == expected, target
        client.post("/logout")


def test_a_patient_is_never_sent_to_a_staff_page_after_login(client, users):
    response = client.post("/login?next=/dashboard", data={"email": users["patient"].email, "password": PASSWORD})
    assert response.headers["Location"] == "/portal/"


def test_signed_in_user_visiting_login_goes_home(client, users):
    login_as(client, users["patient"])
    assert client.get("/login").headers["Location"] == "/portal/"


def test_password_is_stored_as_a_scrypt_hash(users):
    stored = db.session.scalar(select(User.password_hash).where(User.id == users["admin"].id))
    assert stored.startswith("scrypt:") and PASSWORD not in stored

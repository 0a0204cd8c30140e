import time
from datetime import timedelta

from sqlalchemy import select

from backoffice.config import load_settings, settings
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.helpers import PRODUCTION, login_as


def test_session_cookie_is_httponly_and_samesite_lax(app, client, users):
    response = login_as(client, users["admin"])
    name = app.config["SESSION_COOKIE_NAME"]
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie  # no remember-me: the cookie ends with the browser session


def test_production_cookies_are_secure():
    production = load_settings(PRODUCTION).flask_config()
    assert production["SESSION_COOKIE_SECURE"] is True


def test_an_idle_staff_session_is_signed_out(app, client, users):
    login_as(client, users["coordinator"])
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - settings(app).idle_timeout_staff.total_seconds() - 5
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/dashboard")
    assert "without activity" in client.get("/login").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "logout_idle"))


def test_activity_keeps_a_session_alive(app, client, users):
    login_as(client, users["coordinator"])
    almost = settings(app).idle_timeout_staff - timedelta(minutes=1)
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - almost.total_seconds()
    assert client.get("/dashboard").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5


def test_deactivated_users_session_stops_at_the_next_request(app, client, users):
    login_as(client, users["coordinator"])
    admin = app.test_client()
    login_as(admin, users["admin"])
    assert admin.post(f"/admin/users/{users['coordinator'].id}/deactivate").status_code == 302
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_role_change_ends_the_users_sessions(app, client, users):
    login_as(client, users["finance"])
    admin = app.test_client()
    login_as(admin, users["admin"])
    admin.post(f"/admin/users/{users['finance'].id}/role", data={"role": "coordinator"})
    assert client.get("/dashboard").status_code == 302


def test_authenticated_pages_are_not_cached_and_carry_security_headers(client, users):
    login_as(client, users["admin"])
    for url in ("/dashboard", "/admin/users/", "/admin/audit/", "/no-such-page"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-store", url
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_static_assets_are_served_without_no_store(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script(client, users):
    login_as(client, users["admin"])
    for url in ("/login", "/dashboard", "/admin/users/", "/admin/users/new", "/admin/audit/"):
        assert "<script" not in client.get(url).get_data(as_text=True), url

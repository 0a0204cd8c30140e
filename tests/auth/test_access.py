"""Every route of the app, requested by every kind of visitor: nobody reaches what is not theirs."""

import re

import pytest
from flask import Blueprint, Flask

from backoffice import create_app
from backoffice.auth.permissions import ADMIN, ANY_USER, PATIENT, PUBLIC, ROLES, STAFF_ROLES, audience_of
from tests.helpers import login_as

PUBLIC_ENDPOINTS = {
    "auth.login",
    "health.healthz",
    "intake.request_treatment",
    "intake.thanks",
    "logistics.calendar_feed_ics",
    "portal_invites.accept_invite",
    "static",
}


def routes(app: Flask):
    """(endpoint, method, url) for every rule, with ids filled in (1: nobody's record in particular)."""
    for rule in app.url_map.iter_rules():
        url = rule.rule.replace("<path:filename>", "css/app.css")
        url = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", "1", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def request(client, method, url):
    return client.open(url, method=method, data={}) if method != "POST" else client.post(url, data={})


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and audience_of(rule.endpoint) is None
    ]
    assert undeclared == []


def test_public_endpoints_are_exactly_the_expected_ones(app):
    with app.test_request_context():
        public = {rule.endpoint for rule in app.url_map.iter_rules() if audience_of(rule.endpoint) == PUBLIC}
    assert public | {"static"} == PUBLIC_ENDPOINTS


def test_anonymous_requests_to_every_non_public_route_are_refused(app, client):
    checked = 0
    for endpoint, method, url in routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = request(client, method, url)
        assert response.status_code in (302, 403, 404), (endpoint, method, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), endpoint
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_its_own_routes(app, client, users, role):
    login_as(client, users[role])
    refused = allowed = 0
    for endpoint, method, url in routes(app):
        if endpoint in PUBLIC_ENDPOINTS or endpoint == "auth.logout":
            continue
        audience = audience_of(endpoint)
        may = audience == ANY_USER or role in audience
        response = request(client, method, url)
        if may:
            assert response.status_code < 500, (endpoint, method, response.status_code)
            allowed += 1
        else:
            assert response.status_code == 403, (role, endpoint, method, response.status_code)
            assert "@" not in response.get_data(as_text=True).split("<main", 1)[1], "403 page shows an email"
            refused += 1
    assert refused > 0


def test_patients_are_refused_on_every_staff_endpoint(app, client, users):
    login_as(client, users["patient"])
    staff_endpoints = [
        (e, m, u)
        for e, m, u in routes(app)
        if audience_of(e) not in (PUBLIC, ANY_USER, None) and PATIENT not in audience_of(e)
    ]
    assert staff_endpoints
    for endpoint, method, url in staff_endpoints:
        assert request(client, method, url).status_code == 403, endpoint


def test_admin_pages_are_for_admins_only(app):
    admin_only = {e for e, _, _ in routes(app) if audience_of(e) == (ADMIN,)}
    assert {"users.list_users", "users.create_user", "users.deactivate_user", "audit.list_events"} <= admin_only
    for endpoint in ("dashboard.index",):
        assert audience_of(endpoint) == STAFF_ROLES


def test_an_endpoint_without_declared_audience_is_refused(app_config):
    app = create_app(app_config)
    forgotten = Blueprint("forgotten", __name__)
    forgotten.add_url_rule("/forgotten", "page", lambda: "secret")
    app.register_blueprint(forgotten)
    assert app.test_client().get("/forgotten").status_code == 403


def test_unknown_route_gives_a_404_page_in_the_layout_without_data(client, users):
    login_as(client, users["admin"])
    response = client.get("/cases/99999/secret")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in body and "Traceback" not in body and "<title>" in body

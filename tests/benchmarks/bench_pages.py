"""Baseline page costs: a signed-in staff page and the health check against a bare route of the same app."""

from flask import Blueprint

from backoffice import create_app
from backoffice.auth.permissions import public
from tests.benchmarks.timing import measure, report
from tests.helpers import BackofficeClient, login_as


def test_page_costs_against_a_bare_route(app_config, users):
    app = create_app(app_config)
    bare = Blueprint("bench_bare", __name__)
    bare.add_url_rule("/bench-bare", "bare", public(lambda: "ok"))
    app.register_blueprint(bare)
    app.test_client_class = BackofficeClient
    client = app.test_client()
    login_as(client, users["admin"])
    with app.app_context():
        timings = [
            measure("bare route (baseline)", lambda: client.get("/bench-bare")),
            measure("GET /healthz (database + redis)", lambda: client.get("/healthz")),
            measure("GET /dashboard as admin", lambda: client.get("/dashboard")),
            measure("GET /admin/audit/", lambda: client.get("/admin/audit/")),
        ]
    report("pages through the Flask test client", *timings)

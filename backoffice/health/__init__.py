"""`GET /healthz`: do the database, Redis and the file store answer? For load balancers and monitoring."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from backoffice.health import views  # noqa: E402,F401

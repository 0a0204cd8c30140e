"""`GET /healthz`: is the app able to reach its database, Redis and its file store? For load balancers and monitoring."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from backoffice.health import views  # noqa: E402,F401

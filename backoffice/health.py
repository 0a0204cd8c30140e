"""`GET /healthz`: is the app able to reach its database and Redis? For load balancers and monitoring."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from backoffice.auth.permissions import public
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.jobs import redis_connection

bp = Blueprint("health", __name__)


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return "unreachable"


def _check_redis() -> str:
    try:
        redis_connection(timeout=settings().health_redis_timeout_seconds).ping()
        return "ok"
    except Exception:
        current_app.logger.warning("health check: redis unreachable", exc_info=True)
        return "unreachable"


@bp.route("/healthz")
@public
def healthz():
    parts = {"database": _check_database(), "redis": _check_redis()}
    healthy = all(state == "ok" for state in parts.values())
    return jsonify(status="ok" if healthy else "failing", **parts), 200 if healthy else 503

"""The health check: the database answers `SELECT 1`, Redis answers a ping, within a short timeout."""

from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text

from backoffice.auth.permissions import public
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.health import bp
from backoffice.jobs import redis_connection


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

"""The health check: the database answers `SELECT 1`, Redis answers a ping, within a short timeout; the file store
answers within STORAGE_TIMEOUT_SECONDS (bucket there, credentials taken) or the answer names what is wrong."""

from __future__ import annotations

import concurrent.futures

from flask import current_app, jsonify
from sqlalchemy import text

from backoffice.auth.permissions import public
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.health import bp
from backoffice.jobs import redis_connection
from backoffice.storage import files
from backoffice.storage.backends import Health, StorageUnavailable

# A store that hangs must not hold the health check: its check runs here and is given up after the timeout (the
# thread ends by itself, its client has timeouts too). Few threads: a load balancer asks every few seconds.
_STORAGE_CHECKS = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="health-storage")


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


def _check_storage() -> str:
    try:
        store = files.backend()
    except (StorageUnavailable, ValueError) as failure:
        return getattr(failure, "message", str(failure))
    timeout = settings().storage_timeout_seconds
    try:
        health: Health = _STORAGE_CHECKS.submit(store.check).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        health = Health(False, f"the endpoint did not answer within {timeout:g} s")
    except Exception as failure:  # whatever the store's client raised: the check answers, never a 500
        current_app.logger.warning("health check: storage check failed", exc_info=True)
        health = Health(False, str(failure))
    if health.ok:
        return "ok"
    current_app.logger.warning("health check: storage %s: %s", store.describe(), health.detail)
    # The answer is public: a folder's path stays in the log; the object store's detail names no bucket or address.
    return "a local folder cannot be written (the log names it)" if store.name == "local" else health.detail


@bp.route("/healthz")
@public
def healthz():
    parts = {"database": _check_database(), "redis": _check_redis(), "storage": _check_storage()}
    healthy = all(state == "ok" for state in parts.values())
    return jsonify(status="ok" if healthy else "failing", **parts), 200 if healthy else 503

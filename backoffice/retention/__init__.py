"""Legal retention of records: the report of what the store holds and when it falls due, the erased patients'
restricted records, and the daily job deleting those whose day has come (with `flask retention ...`)."""

from flask import Blueprint

bp = Blueprint("retention", __name__)

from backoffice.retention import job, views  # noqa: E402,F401  (routes and the periodic job register on import)

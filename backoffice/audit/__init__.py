"""The audit log: who did what to which record, when, from where. Rows are appended, never changed.

Besides the changes the features record, every read of a patient's health data and every refused request is logged
(`backoffice.auth.reads`: routes declare their reads with `@reads_health_data`, one hook writes the row).
"""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

from backoffice.audit import views  # noqa: E402,F401

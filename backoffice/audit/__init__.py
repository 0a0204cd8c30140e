"""The audit log: who did what to which record, when, from where. Rows are appended, never changed."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

from backoffice.audit import views  # noqa: E402,F401

"""Cases: one patient's treatment abroad, from the first request to aftercare."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from backoffice.cases import document_views, list_views, new_case_views, reminder_views, search, sla, views  # noqa: E402,F401

"""Billing: resident tariffs, the audit of hospital bills against them, and (later) the bills' workflow."""

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

from backoffice.billing import bill_views, case_page, report_views, views  # noqa: E402,F401

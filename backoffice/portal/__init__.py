"""What patients see: their own records and nothing else. Everything lives under /portal."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from backoffice.portal import views  # noqa: E402,F401

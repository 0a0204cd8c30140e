"""The staff home page: what needs attention, by role."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from backoffice.dashboard import views  # noqa: E402,F401

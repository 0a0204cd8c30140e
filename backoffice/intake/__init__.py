"""Intake: the public treatment-request form, and the paused destinations it respects."""

from flask import Blueprint

bp = Blueprint("intake", __name__)

from backoffice.intake import views  # noqa: E402,F401

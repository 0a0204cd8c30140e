"""Signing in and out, sessions, login throttling and who may see what."""

from flask import Blueprint

from backoffice.auth.permissions import ROLE_LABELS, TEMPLATE_QUESTIONS

bp = Blueprint("auth", __name__)

# Templates ask the same named questions as the views (`may_see_health_data()`), never compare roles themselves.
for question in TEMPLATE_QUESTIONS:
    bp.add_app_template_global(question)
bp.add_app_template_filter(lambda role: ROLE_LABELS.get(role, role), "role_label")

from backoffice.auth import views  # noqa: E402,F401

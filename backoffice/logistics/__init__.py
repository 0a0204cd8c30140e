"""Logistics: the hospital appointment and the trip around it, interpreters, the itinerary and follow-ups."""

from flask import Blueprint

bp = Blueprint("logistics", __name__)

from backoffice.logistics import (  # noqa: E402,F401
    case_page,
    case_rules,
    follow_up_reminders,
    follow_up_views,
    interpreter_views,
    itinerary_views,
    views,
)

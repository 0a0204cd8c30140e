"""Logistics: the hospital appointment and the trip around it, interpreters, the itinerary and follow-ups."""

from flask import Blueprint

bp = Blueprint("logistics", __name__)

# Every page of logistics, and its answers to `cases.signals` and `messages.signals` (connected on import).
from backoffice.logistics import case_page, case_rules, follow_up_mail, follow_up_reminders, message_answers  # noqa: E402,F401
from backoffice.logistics.bookings import views as booking_views  # noqa: E402,F401
from backoffice.logistics.follow_ups import views as follow_up_views  # noqa: E402,F401
from backoffice.logistics.interpreters import views as interpreter_views  # noqa: E402,F401
from backoffice.logistics.itinerary import alerts as itinerary_alerts  # noqa: E402,F401
from backoffice.logistics.itinerary import views as itinerary_views  # noqa: E402,F401

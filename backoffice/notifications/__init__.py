"""Notifications: what needs a staff member (a new request, a reply on their case, a bounced mail ...), in their
notification centre and, by their choice, in an email digest.

Features above `notifications` call `operations.notify`; `notifications` reads `cases` for its own periodic checks
(first contact due) and knows no feature above it.
"""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from backoffice.notifications import checks, queue, views  # noqa: E402, F401

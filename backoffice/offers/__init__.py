"""Treatment offers: the programme priced at resident tariffs beside the foreign-patient price, sent, accepted."""

from flask import Blueprint

bp = Blueprint("offers", __name__)

# Its answers to `cases.signals` (connected on import), and its pages.
from backoffice.offers import case_page, case_rules, views  # noqa: E402,F401

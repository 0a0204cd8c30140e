"""Treatment offers: the programme priced at resident tariffs beside the foreign-patient price, sent, accepted."""

from flask import Blueprint

bp = Blueprint("offers", __name__)

# Its answers to `cases.signals` and `billing.signals` (connected on import), and its pages.
from backoffice.offers import bill_limits, case_page, case_rules, savings, views  # noqa: E402,F401

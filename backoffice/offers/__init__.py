"""Treatment offers: the programme priced at resident tariffs beside the foreign-patient price, sent, accepted."""

from flask import Blueprint

bp = Blueprint("offers", __name__)

# Its answers to `cases.signals` and `billing.signals` (connected on import).
import backoffice.offers.bill_limits  # noqa: E402,F401
from backoffice.offers import case_rules  # noqa: E402,F401
from backoffice.offers import savings as _promised_savings  # noqa: E402,F401  (billing.signals.promised_savings)

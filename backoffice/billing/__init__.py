"""Billing: resident tariffs (`tariffs`), the hospital bills audited against them (`bills`, the pure rules in
`audit`, the money figures in `figures`), dispute letters to hospitals (`disputes`) and the savings report
(`savings`)."""

from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

# Every page module, so that all the routes are registered on `bp`.
from backoffice.billing import case_page  # noqa: E402,F401
from backoffice.billing.bills import views as bills_views  # noqa: E402,F401
from backoffice.billing.disputes import views as disputes_views  # noqa: E402,F401
from backoffice.billing.savings import views as savings_views  # noqa: E402,F401
from backoffice.billing.tariffs import hospital_page  # noqa: E402,F401
from backoffice.billing.tariffs import views as tariffs_views  # noqa: E402,F401

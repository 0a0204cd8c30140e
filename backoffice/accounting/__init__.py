"""The accountant's books: DATEV booking batches of issued invoices, credit notes and payments per period, each
export recorded so that nothing is booked twice; and the VAT table finance keeps."""

from flask import Blueprint

bp = Blueprint("accounting", __name__, url_prefix="/accounting")

import backoffice.accounting.vat_views  # noqa: E402
import backoffice.accounting.views  # noqa: E402,F401

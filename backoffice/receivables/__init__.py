"""Receivables: what patients and payers owe and since when, what was paid, payment reminders, revenue by VAT
category (finance's reports, each with its CSV)."""

from flask import Blueprint

bp = Blueprint("receivables", __name__)

import backoffice.receivables.views  # noqa: E402,F401

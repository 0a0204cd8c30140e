"""Medicines bought abroad and shipped to the patient, as background jobs (purchase, pack, ship, track)."""

from flask import Blueprint

bp = Blueprint("shipments", __name__)

from backoffice.shipments import case_page, pharmacy_views, steps, views  # noqa: E402,F401

"""Billing's part of the hospital page (`directory.signals.hospital_page`): its resident tariff and international
price list, beside the foreign-patient coefficient the directory keeps."""

from __future__ import annotations

from backoffice.billing.tariffs.current import current_imports
from backoffice.directory import signals
from backoffice.directory.models import Hospital


@signals.hospital_page.connect
def price_lists(hospital: Hospital) -> dict:
    """The hospital's current list of each kind (one statement): kind -> import; a kind without a list missing."""
    return {"price_lists": current_imports([hospital.id]).get(hospital.id, {})}

"""VAT categories of what the operator sells: medical treatment is exempt (section 4 no. 14 UStG), hotel nights carry
the reduced rate, the operator's other services the standard rate. One list for offers and invoices."""

from __future__ import annotations

from decimal import Decimal

from backoffice.config import settings
from backoffice.languages import N_

CATEGORIES = ("exempt", "standard", "reduced")
LABELS = {
    "exempt": N_("Exempt (medical treatment)"),
    "standard": N_("Standard rate"),
    "reduced": N_("Reduced rate"),
}
# The UNTDID 5305 code an e-invoice gives each category.
CODES = {"exempt": "E", "standard": "S", "reduced": "S"}


def rate_of(category: str) -> Decimal:
    """The category's rate in percent, as configured (VAT_RATE, VAT_REDUCED_RATE)."""
    if category == "exempt":
        return Decimal(0)
    if category == "reduced":
        return settings().vat_reduced_rate
    if category == "standard":
        return settings().vat_rate
    raise ValueError(f"no VAT category {category!r}")

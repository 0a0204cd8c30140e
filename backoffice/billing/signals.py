"""Where billing asks the features above it (they connect receivers on import, with their package).

- `accepted_offer_limits` (sender: the case) -> a list of `OfferLimits`: what the case's accepted treatment offer
  promised the hospital's treatment would cost, one entry per tariff currency (normally one), or an empty list /
  None when the case has no accepted offer. Answered by offers (`offers/bill_limits.py`). Billing holds a hospital
  bill against it (`bills/offer_findings.py`): a bill whose total, or any code's charges, exceed it gets an
  `exceeds_offer` finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from blinker import Namespace

from backoffice.cases.models import Case

_signals = Namespace()

accepted_offer_limits = _signals.signal("accepted-offer-limits")


@dataclass(frozen=True, slots=True)
class OfferLimits:
    """The accepted offer's treatment in one tariff currency: its total and, per tariff code, (description, amount).

    Amounts are quantity x resident unit price of the offer's treatment items (those not optional, and the optional
    ones the patient chose), each rounded half-up to the cent, in the tariff's currency: what a bill is in."""

    offer_id: int
    label: str  # "C-2026-00042 offer, version 2", in English: stored with the finding and printed in letters
    currency: str
    total: Decimal
    per_code: dict[str, tuple[str, Decimal]] = field(default_factory=dict)


def limits_of(case: Case) -> list[OfferLimits]:
    """Every answer to `accepted_offer_limits` for the case (none without an accepted offer)."""
    limits: list[OfferLimits] = []
    for _receiver, answer in accepted_offer_limits.send(case):
        limits.extend(answer or ())
    return limits

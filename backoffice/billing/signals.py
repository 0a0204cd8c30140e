"""Where features above `billing` take part in it (they connect receivers on import, with their package); billing
sends these and never imports the features that answer.

- `promised_savings` (sender: an `AcceptedWindow`) -> a list of `AcceptedOffer`: every accepted treatment offer
  accepted in the window (of the window's hospital, when it names one), with the saving it promised. The savings
  report asks it to set the saving promised beside the saving realised on bills. Answered by offers
  (`offers.savings`), in one statement whatever the number of offers.
- `accepted_offer_limits` (sender: the case) -> a list of `OfferLimits`: what the case's accepted treatment offer
  promised the hospital's treatment would cost, one entry per tariff currency (normally one), or an empty list /
  None when the case has no accepted offer. Answered by offers (`offers/bill_limits.py`). Billing holds a hospital
  bill against it (`bills/offer_findings.py`): a bill whose total, or any code's charges, exceed it gets an
  `exceeds_offer` finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from blinker import Namespace

from backoffice.cases.models import Case

_signals = Namespace()

promised_savings = _signals.signal("billing-promised-savings")
accepted_offer_limits = _signals.signal("accepted-offer-limits")


@dataclass(frozen=True, slots=True)
class AcceptedWindow:
    """Offers accepted from `accepted_from` (inclusive) until `accepted_before` (exclusive), both UTC instants."""

    accepted_from: datetime
    accepted_before: datetime
    hospital_id: int | None = None  # None: every hospital


@dataclass(frozen=True, slots=True)
class AcceptedOffer:
    """One accepted offer, as the savings report counts it: its hospital, when it was accepted (UTC), and in the
    offer's currency what the treatment would cost a foreign patient and the saving promised (both None when the
    offer claims no saving)."""

    hospital_id: int
    hospital_code: str
    hospital_name: str
    currency: str
    accepted_at: datetime
    foreign_total: Decimal | None
    saving: Decimal | None


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

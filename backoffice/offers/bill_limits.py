"""Offers' answer to `billing.signals.accepted_offer_limits`: what the case's accepted offer promised the hospital's
treatment would cost, per tariff code and in total, in the tariff's currency (what the hospital bills in).

Counted: the treatment items that are not optional, and the optional ones the patient chose; each item's quantity x
resident unit price rounded half-up to the cent in its source currency. An item without a code counts in the total
only. Services (the operator's own) are not the hospital's and do not count. A one-line offer made from a cost
estimate typed before offers existed (`from_estimate`) promised no itemised treatment and was never accepted by the
patient: it sets no limit (bills of cases already under way are not stopped over a rough figure).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from backoffice.billing import signals
from backoffice.billing.signals import OfferLimits
from backoffice.cases.models import Case
from backoffice.money import round_half_up
from backoffice.offers.models import Offer, OfferItem
from backoffice.offers.operations import accepted_offer


def counts(item: OfferItem) -> bool:
    """A treatment item the patient accepted: not optional, or optional and chosen; priced."""
    return item.section == "treatment" and (not item.optional or item.chosen) and item.unit_price is not None


def offer_limits(offer: Offer, case_number: str) -> list[OfferLimits]:
    """The offer's treatment limits, one entry per source currency (alphabetical)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    per_code: dict[str, dict[str, tuple[str, Decimal]]] = defaultdict(dict)
    for item in offer.items:
        if not counts(item):
            continue
        amount = round_half_up(item.quantity * item.unit_price, 2)
        currency = item.source_currency
        totals[currency] += amount
        if item.code:
            description, so_far = per_code[currency].get(item.code, (item.description, Decimal("0.00")))
            per_code[currency][item.code] = (description, so_far + amount)
    label = f"{case_number} offer, version {offer.version}"[:60]
    return [
        OfferLimits(offer.id, label, currency, round_half_up(total, 2), dict(sorted(per_code[currency].items())))
        for currency, total in sorted(totals.items())
    ]


@signals.accepted_offer_limits.connect
def accepted_limits(case: Case) -> list[OfferLimits]:
    offer = accepted_offer(case.id)
    if offer is None or offer.from_estimate:
        return []
    return offer_limits(offer, case.number)

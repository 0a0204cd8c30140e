"""Where features above `billing` take part in it (they connect receivers on import, with their package); billing
sends these and never imports the features that answer.

- `promised_savings` (sender: an `AcceptedWindow`) -> a list of `AcceptedOffer`: every accepted treatment offer
  accepted in the window (of the window's hospital, when it names one), with the saving it promised. The savings
  report asks it to set the saving promised beside the saving realised on bills. Answered by offers
  (`offers.savings`), in one statement whatever the number of offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from blinker import Namespace

_signals = Namespace()

promised_savings = _signals.signal("billing-promised-savings")


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

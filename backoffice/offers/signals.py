"""Where features above `offers` take part in an offer's life (they connect receivers on import, with their package).

- `offer_sent` (sender: the offer; keyword: actor_id). Runs after an offer was sent (frozen, its PDF archived), in the
  same transaction. Answered by portal: the "an offer waits" mail to the patient.
- `offer_accepted` (sender: the offer; keyword: actor_id). Runs after an offer was accepted (in the portal or recorded
  by a coordinator), in the same transaction. Answered by invoicing: the deposit invoice draft from the offer's
  payment schedule.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

offer_sent = _signals.signal("offer-sent")
offer_accepted = _signals.signal("offer-accepted")

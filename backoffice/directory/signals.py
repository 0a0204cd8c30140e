"""Where features above `directory` take part in its pages (they connect receivers on import, with their package).

- `hospital_page` (sender: the hospital) -> a dict of what a feature shows on the hospital's page, merged into the
  template's values. Answered by billing: the hospital's current resident tariff and international price list
  (`price_lists`: kind -> import, a kind without a list missing).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

hospital_page = _signals.signal("directory-hospital-page")

"""How logistics takes part in the case pipeline; connected once by create_app.

- a case may move to `travel_booked` only with a confirmed hospital appointment;
- entering `discharged` generates the programme's follow-ups;
- the logistics costs of a case include its interpreter bookings.
"""

from __future__ import annotations

from backoffice.cases import operations as cases
from backoffice.logistics import follow_ups, interpreters
from backoffice.logistics import operations as bookings


def connect() -> None:
    """Idempotent: several apps in one process (tests) connect the same functions once."""
    if bookings.has_confirmed_appointment not in cases.appointment_checks:
        cases.appointment_checks.append(bookings.has_confirmed_appointment)
    discharge_hooks = cases.state_entered_hooks.setdefault("discharged", [])
    if follow_ups.on_discharge not in discharge_hooks:
        discharge_hooks.append(follow_ups.on_discharge)
    if interpreters.interpreter_costs not in bookings.COST_SOURCES:
        bookings.COST_SOURCES.append(interpreters.interpreter_costs)

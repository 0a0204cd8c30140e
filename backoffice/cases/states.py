"""The case pipeline: states, their labels, and the only edges a case may take."""

from __future__ import annotations

PIPELINE = (
    "new",
    "contacted",
    "records_review",
    "programme_offered",
    "confirmed",
    "travel_booked",
    "in_treatment",
    "discharged",
    "aftercare",
    "closed",
)
LABELS = {
    "new": "New request",
    "contacted": "Contacted",
    "records_review": "Records review",
    "programme_offered": "Programme offered",
    "confirmed": "Confirmed",
    "travel_booked": "Travel booked",
    "in_treatment": "In treatment",
    "discharged": "Discharged",
    "aftercare": "Aftercare",
    "closed": "Closed",
    "on_hold": "On hold",
    "cancelled": "Cancelled",
}
# Before treatment starts a case may be paused or cancelled; once the patient is in hospital it runs to the end.
BEFORE_TREATMENT = PIPELINE[: PIPELINE.index("in_treatment")]
FINAL = ("closed", "cancelled")

# The forward edges of the pipeline, each state to the next one.
FORWARD = {state: PIPELINE[i + 1] for i, state in enumerate(PIPELINE[:-1])}


def next_states(state: str, state_before_hold: str | None = None) -> tuple[str, ...]:
    """Every state a case in `state` may move to (on hold: back where it was, or cancelled)."""
    if state == "on_hold":
        return (state_before_hold, "cancelled") if state_before_hold else ("cancelled",)
    if state in FINAL:
        return ()
    options = [FORWARD[state]]
    if state in BEFORE_TREATMENT:
        options += ["on_hold", "cancelled"]
    return tuple(options)


def label(state: str | None) -> str:
    return LABELS.get(state or "", state or "")

"""The case pipeline: states, their labels, and the only edges a case may take."""

from __future__ import annotations

from flask_babel import gettext

from backoffice.languages import N_

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
    "new": N_("New request"),
    "contacted": N_("Contacted"),
    "records_review": N_("Records review"),
    "programme_offered": N_("Programme offered"),
    "confirmed": N_("Confirmed"),
    "travel_booked": N_("Travel booked"),
    "in_treatment": N_("In treatment"),
    "discharged": N_("Discharged"),
    "aftercare": N_("Aftercare"),
    "closed": N_("Closed"),
    "on_hold": N_("On hold"),
    "cancelled": N_("Cancelled"),
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
    """The state's name in English (as stored in texts that stay as written, e.g. the timeline's notes)."""
    return LABELS.get(state or "", state or "")


def shown(state: str | None) -> str:
    """The state's name in the page's language (a label for people: a button, a flash message)."""
    return gettext(LABELS[state]) if state in LABELS else (state or "")

"""How offers take part in the case pipeline (answers to `cases.signals`).

- a case's programme is offered once an offer was sent (or accepted) and still stands;
- a case is confirmed only with an accepted offer that still stands (a later version sent supersedes it). Checked on
  the way into `confirmed` and `travel_booked`: a new version made during treatment does not stop a discharge.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.offers.models import Offer

BEFORE_TRAVEL = ("new", "contacted", "records_review", "programme_offered", "confirmed")


def _standing(case: Case) -> set[str]:
    return set(
        db.session.scalars(select(Offer.status).where(Offer.case_id == case.id, Offer.status.in_(("sent", "accepted"))))
    )


def _before_travel(case: Case) -> bool:
    state = case.state_before_hold if case.state == "on_hold" else case.state
    return state in BEFORE_TRAVEL


@signals.entry_guard.connect_via("programme_offered")
def offer_sent(_state: str, *, case: Case) -> str | None:
    if not _before_travel(case) or _standing(case):
        return None
    return _("Send the patient a treatment offer before marking the programme as offered.")


@signals.entry_guard.connect_via("confirmed")
def offer_accepted(_state: str, *, case: Case) -> str | None:
    if not _before_travel(case) or "accepted" in _standing(case):
        return None
    if "sent" in _standing(case):
        return _("The patient has not accepted the offer yet; the case is confirmed once they do.")
    return _("The case is confirmed only with a treatment offer the patient accepted.")

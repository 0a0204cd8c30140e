"""The patient's own cases: the trip and documents pages show one of them, the open one unless the patient picks
another. A case, document or request that is not the signed-in patient's is answered by one and the same 404
(`NotYours`), whether it belongs to another patient, is not shared, or does not exist; the attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.patients.models import Patient

NOT_YOURS = N_("There is nothing of yours at this address.")


class NotYours(NotFound):
    def __init__(self, *, user_id: int, object_type: str, object_id: int):
        super().__init__(
            _(NOT_YOURS),
            trace={
                "action": "portal.record_refused",
                "actor_id": user_id,
                "object_type": object_type,
                "object_id": object_id,
            },
        )


@dataclass(frozen=True)
class OwnCases:
    """The case a portal page shows (None for an account without one) and every case of the patient, newest first."""

    shown: Case | None
    all: list[Case]

    @property
    def patient_language(self) -> str | None:
        return self.all[0].patient.preferred_language if self.all else None


def cases_of_user(user_id: int) -> list[Case]:
    """The cases of the patient whose portal account this is, newest first, each with its patient and coordinator
    (one statement)."""
    return list(
        db.session.scalars(
            select(Case)
            .join(Patient, Patient.id == Case.patient_id)
            .where(Patient.user_id == user_id)
            .options(contains_eager(Case.patient), joinedload(Case.coordinator))
            .order_by(Case.requested_at.desc(), Case.id.desc())
        )
    )


def current_case(cases: list[Case]) -> Case | None:
    """The case the portal shows first: the newest that is still running, else the newest."""
    return next((case for case in cases if case.state not in states.FINAL), cases[0] if cases else None)


def own_cases(user_id: int, case_id: int | None = None) -> OwnCases:
    """The patient's cases and the one to show: `case_id` when it is one of theirs (else NotYours), or the current."""
    cases = cases_of_user(user_id)
    if case_id is None:
        return OwnCases(current_case(cases), cases)
    shown = next((case for case in cases if case.id == case_id), None)
    if shown is None:
        raise NotYours(user_id=user_id, object_type="case", object_id=case_id)
    return OwnCases(shown, cases)
